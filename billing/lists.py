"""The invoice details list of a month, declared for `portal.core.lists`."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from billing.forms import ItemFilterForm
from billing.selectors import ITEM_SORTS
from portal.core.lists import Column, ListSpec

CSV_COLUMNS = (
    ("year", _("Year")),
    ("month", _("Month")),
    ("domain_id", _("domainId")),
    ("customer_name", _("Company")),
    ("domain", _("Domain")),
    ("customer_code", _("Customer code")),
    ("item_type", _("Item type")),
    ("item_id", _("Product or option")),
    ("sub_item_id", _("Sub-item")),
    ("plan", _("Plan")),
    ("subscription_id", _("subscriptionId")),
    ("start_date", _("From")),
    ("end_date", _("Until")),
    ("license_count", _("Licences")),
    ("member_count", _("Members")),
    ("quantity", _("Quantity")),
    ("status", _("Status")),
    ("amount", _("Amount (JPY, tax excluded)")),
    ("flagged", _("Flagged")),
)

ITEM_LIST = ListSpec(
    form=ItemFilterForm,
    sorts=ITEM_SORTS,
    columns=(
        Column(_("Customer"), sort="customer"),
        Column(_("Item type"), sort="type"),
        Column(_("Product or option"), sort="item"),
        Column(_("Plan")),
        Column(_("Period (JST)")),
        Column(_("Licences"), numeric=True),
        Column(_("Members"), numeric=True),
        Column(_("Quantity"), numeric=True),
        Column(_("Amount"), sort="amount", numeric=True),
    ),
    template="billing/details.html",
    # Rows are formatted in Python (billing/presenters.py), measured by `python -m bench.billing pages`.
    csv_columns=CSV_COLUMNS,
    page_sizes=(100, 50, 200),
)
