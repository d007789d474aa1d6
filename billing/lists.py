"""The invoice details list of a month, declared for `portal.core.lists`."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from billing.forms import ItemFilterForm
from billing.selectors import ITEM_SORTS
from portal.core.lists import Column, ListSpec, coded
from portal.core.vocabulary import ITEMS, ItemType, Plan, SubOptionProduct, UsageState

CSV_COLUMNS = (
    ("year", _("Year")),
    ("month", _("Month")),
    ("domain_id", _("Domain ID")),
    ("customer_name", _("Company")),
    ("domain", _("Domain")),
    ("customer_code", _("Customer code")),
    *coded("item_type", _("Item type"), ItemType),
    *coded("item_id", _("Product or option"), *ITEMS),
    *coded("sub_item_id", _("Sub-item"), SubOptionProduct),
    *coded("plan", _("Plan"), Plan),
    ("subscription_id", _("Subscription ID")),
    ("start_date", _("From")),
    ("end_date", _("Until")),
    ("license_count", _("Licences")),
    ("member_count", _("Members")),
    ("quantity", _("Quantity")),
    *coded("status", _("Status"), UsageState),
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
