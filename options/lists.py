"""The Options list, declared for `portal.core.lists`."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from options import presenters
from options.forms import OptionFilterForm
from options.selectors import SORTS
from portal.core.lists import Column, ListSpec, coded
from portal.core.vocabulary import OptionProduct, OptionRenewalType, Plan, SubOptionProduct

CSV_COLUMNS = (
    ("customer_id", _("Domain ID")),
    ("customer__company_name", _("Company")),
    ("customer__domain", _("Domain")),
    *coded("option_product_id", _("Option"), OptionProduct),
    *coded("sub_option_id", _("Sub option"), SubOptionProduct),
    ("quantity", _("Quantity")),
    *coded("plan", _("Plan"), Plan),
    ("trial", _("Trial")),
    ("plan_start_date", _("Start date")),
    ("plan_end_date", _("End date")),
    *coded("renewal_type", _("Renewal"), OptionRenewalType),
    *coded("renewal_sub_option_id", _("Sub option at renewal"), SubOptionProduct),
    ("renewal_quantity", _("Quantity at renewal")),
    ("subscription_id", _("Subscription ID")),
    ("synced_at", _("Last synced (UTC)")),
)

OPTION_LIST = ListSpec(
    form=OptionFilterForm,
    sorts=SORTS,
    columns=(
        Column(_("Customer"), sort="customer"),
        Column(_("Option"), sort="option"),
        Column(_("Sub option"), sort="sub_option"),
        Column(_("Quantity"), sort="quantity", numeric=True),
        Column(_("Plan"), sort="plan"),
        Column(_("Start date"), sort="start"),
        Column(_("End date"), sort="end"),
        Column(_("Renewal"), sort="renewal"),
    ),
    template="options/option_list.html",
    rows=presenters.rows,
    csv_columns=CSV_COLUMNS,
    customer_filters=True,
    sort_in_form=True,
    bulk="options",
)
