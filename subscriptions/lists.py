"""The subscriptions list, declared for `portal.core.lists`: its filter form, sorts, columns, CSV columns and row
template."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.core.lists import Column, ListSpec, coded
from portal.core.vocabulary import Plan, Product, RenewalType, ReservationType, SubscriptionStatus
from subscriptions.forms import SubscriptionFilterForm
from subscriptions.selectors import SORTS

CSV_COLUMNS = (
    ("customer_id", _("Domain ID")),
    ("customer__company_name", _("Company")),
    ("customer__domain", _("Domain")),
    ("subscription_id", _("Subscription ID")),
    *coded("product_id", _("Product"), Product),
    *coded("plan", _("Plan"), Plan),
    ("license_count", _("Licences")),
    ("plan_start_date", _("Start date")),
    ("plan_end_date", _("End date")),
    *coded("status", _("Status"), SubscriptionStatus),
    *coded("renewal_type", _("Renewal"), RenewalType),
    *coded("renewal_product_id", _("Product at renewal"), Product),
    *coded("renewal_plan", _("Plan at renewal"), Plan),
    ("renewal_license_count", _("Licences at renewal")),
    *coded("reservation__type", _("Scheduled change"), ReservationType),
    ("reservation__apply_date", _("Scheduled change date")),
    ("reservation__license_count", _("Scheduled change licences")),
    ("synced_at", _("Last synced (UTC)")),
)

SUBSCRIPTION_LIST = ListSpec(
    form=SubscriptionFilterForm,
    sorts=SORTS,
    columns=(
        Column(_("Customer"), sort="customer"),
        Column(_("Product"), sort="product"),
        Column(_("Plan"), sort="plan"),
        Column(_("Licences"), sort="licences", numeric=True),
        Column(_("Start date"), sort="start"),
        Column(_("End date"), sort="end"),
        Column(_("Status"), sort="status"),
        Column(_("Renewal"), sort="renewal"),
        Column(_("Scheduled change")),
    ),
    template="subscriptions/subscription_list.html",
    row_template="subscriptions/_subscription_row.html",
    csv_columns=CSV_COLUMNS,
    customer_filters=True,
    sort_in_form=True,
    bulk="subscriptions",
)
