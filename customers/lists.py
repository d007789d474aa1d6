"""The customer list, declared for `portal.core.lists`: its filter form, sorts, columns and CSV columns.

Its rows are formatted in Python (`customers/presenters.py`, the spec's `rows`) instead of a row template: the
busiest page (`python -m bench.customers list` keeps it honest).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from customers import presenters
from customers.forms import CustomerFilterForm
from customers.selectors import CSV_COLUMNS, SORTS
from portal.core.lists import Column, ListSpec

CUSTOMER_LIST = ListSpec(
    form=CustomerFilterForm,
    sorts=SORTS,
    columns=(
        Column(_("Company"), sort="company"),
        Column(_("Domain"), sort="domain"),
        Column(_("Domain ID"), sort="domain_id"),
        Column(_("Plan")),
        Column(_("Status")),
        Column(_("Members"), sort="members", numeric=True),
        Column(_("Maximum users"), sort="max_users", numeric=True),
        Column(_("Trial ends"), sort="trial"),
        Column(_("Synced (JST)"), sort="synced"),
    ),
    template="customers/customer_list.html",
    rows=presenters.rows,
    csv_columns=CSV_COLUMNS,
    customer_filters=True,
    bulk="customers",
)
