"""The subscriptions list, declared for `portal.core.lists`: its filter form, sorts, columns (what each cell
shows; the core renderer draws the rows) and CSV columns. The renewal and scheduled-change cells say what
subscriptions/_renewal.html and _reservation.html say on the customer page."""

from __future__ import annotations

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from portal.core import constant_urls
from portal.core.lists import Badge, Below, Code, Column, Link, ListSpec, Muted, Tick, coded
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


def _licences(n: int) -> str:
    return ngettext("%(n)s licence", "%(n)s licences", n) % {"n": n}


def _customer(s, page):
    url = page["customer"].format(s.customer_id)
    return Link(s.customer.company_name, url), Below(Muted((Code(s.customer_id), s.customer.domain)))


def _plan(s, page):
    plan = s.get_plan_display()
    return (plan, Badge(gettext("Trial"), "trial")) if s.is_trial else plan


def _renewal(s, page):
    if not s.renewal_type:
        return Muted(gettext("None"))
    kind = {"CANCEL": "danger", "CHANGE": "info"}.get(s.renewal_type, "")
    parts: tuple = (Badge(s.get_renewal_type_display(), kind),)
    if s.renewal_type == "CHANGE":
        if s.renewal_product_id:
            parts += (s.get_renewal_product_display(),)
        if s.renewal_plan:
            parts += (s.get_renewal_plan_display(),)
        if s.renewal_license_count is not None:
            parts += (_licences(s.renewal_license_count),)
    return parts


def _reservation(s, page):
    r = getattr(s, "reservation", None)  # none: the one-to-one's RelatedObjectDoesNotExist, an AttributeError
    if not r:
        return None
    parts: tuple = (
        Badge(r.get_type_display(), "info"),
        r.apply_date.strftime("%Y-%m-%d") if r.apply_date else "",
    )
    if r.plan:
        parts += (r.get_plan_display(),)
    if r.license_count is not None:
        parts += (_licences(r.license_count),)
    return parts


def _date(name: str):
    def value(s, page):
        day = getattr(s, name)
        return day.strftime("%Y-%m-%d") if day else ""

    return value


SUBSCRIPTION_LIST = ListSpec(
    form=SubscriptionFilterForm,
    sorts=SORTS,
    columns=(
        Column(_("Customer"), sort="customer", value=_customer),
        Column(
            _("Product"),
            sort="product",
            value=lambda s, page: s.get_product_display(),
            link=lambda s, page: page["detail"].format(s.subscription_id),
            testid="subscription-link",
        ),
        Column(_("Plan"), sort="plan", value=_plan),
        Column(_("Licences"), sort="licences", numeric=True, value="license_count"),
        Column(_("Start date"), sort="start", css="date", value=_date("plan_start_date")),
        Column(_("End date"), sort="end", css="date", value=_date("plan_end_date")),
        Column(
            _("Status"),
            sort="status",
            value=lambda s, page: Badge(s.get_status_display(), (s.status or "").lower()),
        ),
        Column(_("Renewal"), sort="renewal", value=_renewal),
        Column(_("Scheduled change"), value=_reservation),
    ),
    template="subscriptions/subscription_list.html",
    row_attrs=(("data-subscription-id", "subscription_id"),),
    page=lambda context: {
        "customer": constant_urls.pattern("customers:detail") + "#section-subscriptions",
        "detail": constant_urls.pattern("subscriptions:detail"),
    },
    tick=Tick(
        key="subscription_id",
        name=lambda s, page: (
            gettext("%(company)s, %(product)s")
            % {"company": s.customer.company_name, "product": s.get_product_display()}
        ),
    ),
    csv_columns=CSV_COLUMNS,
    customer_filters=True,
    sort_in_form=True,
    bulk="subscriptions",
)
