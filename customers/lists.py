"""The customer list, declared for `portal.core.lists`: its filter form, sorts, columns (and what each cell
shows) and CSV columns. The core renderer draws its rows from the columns."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.forms import CustomerFilterForm
from customers.models import shown_status, status_labels
from customers.selectors import CSV_COLUMNS, SORTS
from portal.core import clock, constant_urls
from portal.core.lists import Badge, Code, Column, Link, ListSpec, Muted, Tick
from portal.core.vocabulary import Plan, Product, per_language


@per_language
def _words() -> dict:
    """The cells' words, translated once per language (not once per row, nor per page)."""
    return {
        "removed": Badge(gettext("Removed"), "removed"),
        "scheduled": Badge(gettext("Scheduled"), "info", gettext("Has scheduled changes")),
        "stale": Badge(gettext("Stale"), "warn"),
        "no_limit": gettext("No limit"),
        "no_subscription": Muted(gettext("No subscription")),
        "products": {k: str(v) for k, v in Product.choices},
        "plans": {k: Badge(str(v), "trial" if k == "TRIAL" else "") for k, v in Plan.choices},
        "states": {k: Badge(str(v), k.lower()) for k, v in status_labels().items()},
    }


def _page(context) -> dict:
    """What every row of a page shares: the words, the business date and zone, the detail page's URL."""
    return {
        "words": _words(),
        "today": clock.today(),
        "zone": ZoneInfo(settings.BUSINESS_TIME_ZONE),
        "stale_before": timezone.now() - dt.timedelta(minutes=settings.STALE_AFTER_MINUTES),
        "detail": constant_urls.pattern("customers:detail"),
    }


def _company(c, page):
    link = Link(c.company_name, page["detail"].format(c.domain_id))
    return (link, page["words"]["removed"]) if c.removed_at else link


def _plan(c, page):
    words = page["words"]
    product = words["products"].get(c.product_id, c.product_id) if c.product_id else words["no_subscription"]
    if not c.plan:
        return product
    return product, words["plans"].get(c.plan) or Badge(c.plan)


def _status(c, page):
    words = page["words"]
    shown = shown_status(
        usage_status=c.usage_status, plan=c.plan, trial_ends_on=c.trial_ends_on, today=page["today"]
    )
    status = (words["states"].get(shown) or Badge(shown, shown.lower())) if shown else None
    return (status, words["scheduled"]) if c.has_scheduled_changes else status


def _max_users(c, page):
    return page["words"]["no_limit"] if c.max_member_unlimited else c.max_member_count


def _synced(c, page):
    synced = c.synced_at.astimezone(page["zone"]).strftime("%Y-%m-%d %H:%M") if c.synced_at else ""
    if c.synced_at is None or c.synced_at < page["stale_before"]:
        return synced, page["words"]["stale"]
    return synced


CUSTOMER_LIST = ListSpec(
    form=CustomerFilterForm,
    sorts=SORTS,
    columns=(
        Column(_("Company"), sort="company", value=_company),
        Column(_("Domain"), sort="domain", value="domain"),
        Column(_("Domain ID"), sort="domain_id", value=lambda c, page: Code(c.domain_id)),
        Column(_("Plan"), value=_plan),
        Column(_("Status"), value=_status),
        Column(_("Members"), sort="members", numeric=True, value="member_count"),
        Column(_("Maximum users"), sort="max_users", numeric=True, value=_max_users),
        Column(_("Trial ends"), sort="trial", css="date", value="trial_ends_on"),
        Column(_("Synced (JST)"), sort="synced", value=_synced),
    ),
    template="customers/customer_list.html",
    row_attrs=(("data-domain-id", "domain_id"),),
    page=_page,
    tick=Tick(key="domain_id", name="company_name"),
    csv_columns=CSV_COLUMNS,
    customer_filters=True,
    bulk="customers",
)
