"""Subscriptions' sections of the home page's worklist (home/worklist.py): renewal decisions, trials
ending or in their grace period, and licence plans with many unused licences. Each reads the cache in two
queries (the first items, then the count), both by an index alone: the dated sections list their items by
date, then by the customer's domainId, along a partial index of those columns (`Subscription.Meta.indexes`),
so the first items are the index's first entries and the count reads the index without visiting a row.
Ordered by company within a day instead, the database must read every subscription of the first days with its
customer's name to return five (`python -m bench scale`, Home)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from customers.selectors import still_in_api
from home.worklist import DECISION_DAYS, WorkContext, WorkItem, WorkList, WorkSection
from portal.core import constant_urls
from portal.core.vocabulary import (
    Plan,
    Product,
    RenewalType,
    ReservationType,
    label,
)
from subscriptions.models import DATED_ORDER, RENEWAL_DECISION, TRIAL, Reservation, Subscription
from subscriptions.permissions import CHANGE_SUBSCRIPTIONS, VIEW_SUBSCRIPTIONS
from subscriptions.rules import TRIAL_GRACE_DAYS

#: A licence plan with at least this many licences more than the customer has members is on the worklist.
UNUSED_LICENCES_MIN = 10

_ROW = ("subscription_id", "customer_id", "customer__company_name", "product_id", "plan", "plan_end_date")
#: The full lists' sorts (`WorkContext.first_and_count(sorts=)`): by company, or by end date.
_SORTS = {
    "customer": ("customer__sort_name", "subscription_id"),
    "day": ("plan_end_date", "subscription_id"),
}


def _live(ctx: WorkContext):
    """Subscriptions of customers still in the API whose work this is: the database starts from the
    subscriptions' own index (the end date), not from every live customer (measured with bench.home)."""
    return ctx.narrow(still_in_api(Subscription.objects.all()))


def _what(product: str, plan: str) -> str:
    """The subscription in words: product and plan (a trial product's name already says Trial)."""
    if plan == Plan.TRIAL:
        return str(label(Product, product))
    return f"{label(Product, product)} {label(Plan, plan)}"


def renewal_decisions(ctx: WorkContext) -> WorkList:
    """Paid subscriptions whose term ends within DECISION_DAYS: the renewal settings can be changed until the
    term's last day (subscriptions/schedule.py), so an ended term is not listed."""
    qs = _live(ctx).filter(
        plan_end_date__gte=ctx.today, plan_end_date__lte=ctx.today + dt.timedelta(days=DECISION_DAYS)
    )
    qs = qs.filter(RENEWAL_DECISION).order_by(*DATED_ORDER)
    read, change = (
        constant_urls.pattern("subscriptions:detail"),
        constant_urls.pattern("subscriptions:renewal"),
    )
    settings = {k: str(v) for k, v in RenewalType.choices}
    # The page's keys along the decisions' partial index alone (an Account manager's customers in a hash), then
    # those rows: read whole, an Account manager's page read every subscription of the window from the table.
    rows, count = ctx.first_and_count(
        qs, *_ROW, "renewal_type", count_apart=True, sorts=_SORTS, keys_first=True, bulk_key="subscription_id"
    )
    said = gettext("%(subscription)s: %(renewal)s")
    items = [
        WorkItem(
            customer=company,
            text=said % {"subscription": _what(product, plan), "renewal": settings.get(renewal, renewal)},
            url=read.format(sub_id),
            change_url=change.format(sub_id),
            day=end,
            uid=f"renewal-decision-{sub_id}-{end:%Y%m%d}",
            bulk_key=str(sub_id),
        )
        for sub_id, domain_id, company, product, plan, end, renewal in rows
    ]
    return WorkList(count, items)


def _trials(ctx: WorkContext):
    # A trial whose paid start is already scheduled has been decided: those few are read apart (a subquery the
    # database computes once), not probed for every trial.
    decided = Reservation.objects.filter(type=ReservationType.START_PAID_SERVICE).values("subscription_id")
    return _live(ctx).filter(TRIAL).exclude(subscription_id__in=decided).order_by(*DATED_ORDER)


def _trial_items(ctx: WorkContext, qs, *, grace: bool) -> WorkList:
    read, change = (
        constant_urls.pattern("subscriptions:detail"),
        constant_urls.pattern("subscriptions:convert"),
    )
    # The fixed sentences are translated once a section, not once an item.
    ended = gettext("%(subscription)s ended on %(end)s; paid service can start until %(last)s")
    today = gettext("%(subscription)s ends today")
    items = []
    rows, count = ctx.first_and_count(qs, *_ROW, count_apart=True, sorts=_SORTS, keys_first=True)
    for sub_id, _domain_id, company, product, plan, end in rows:
        what = _what(product, plan)
        if grace:
            last = end + dt.timedelta(days=TRIAL_GRACE_DAYS)
            text = ended % {"subscription": what, "end": end.isoformat(), "last": last.isoformat()}
        else:
            last = end
            days = (end - ctx.today).days
            if days == 0:
                text = today % {"subscription": what}
            else:
                text = ngettext(
                    "%(subscription)s ends in %(n)s day", "%(subscription)s ends in %(n)s days", days
                ) % {"subscription": what, "n": days}
        items.append(
            WorkItem(
                customer=company,
                text=text,
                url=read.format(sub_id),
                change_url=change.format(sub_id),
                day=last,
                uid=f"trial-{sub_id}-{last:%Y%m%d}",
            )
        )
    return WorkList(count, items)


def trials_ending(ctx: WorkContext) -> WorkList:
    """Trials whose end date is within DECISION_DAYS (today included), not yet converted."""
    qs = _trials(ctx).filter(
        plan_end_date__gte=ctx.today, plan_end_date__lte=ctx.today + dt.timedelta(days=DECISION_DAYS)
    )
    return _trial_items(ctx, qs, grace=False)


def trials_in_grace(ctx: WorkContext) -> WorkList:
    """Trials that ended and are in their grace period (paid service can still start), last day first."""
    qs = _trials(ctx).filter(
        plan_end_date__lt=ctx.today, plan_end_date__gte=ctx.today - dt.timedelta(days=TRIAL_GRACE_DAYS)
    )
    return _trial_items(ctx, qs, grace=True)


def unused_licences(ctx: WorkContext) -> WorkList:
    """Customers whose main subscription is a licence plan with at least UNUSED_LICENCES_MIN licences more than
    their members, the most unused first: the customer's subscription summary (licences, and licences - members,
    kept by the resync) is read through its partial index, not by joining every licence plan to its customer."""
    qs = ctx.narrow(
        Customer.objects.filter(removed_at=None, unused_licences__gte=UNUSED_LICENCES_MIN), key="domain_id"
    ).order_by("-unused_licences", "sort_name", "domain_id")
    read, change = (
        constant_urls.pattern("subscriptions:detail"),
        constant_urls.pattern("subscriptions:renewal"),
    )
    items = []
    rows, count = ctx.first_and_count(
        qs,
        "main_subscription_id",
        "company_name",
        "product_id",
        "plan",
        "license_count",
        "member_count",
        "unused_licences",
        count_apart=True,
        keys_first=True,
        sorts={"customer": ("sort_name", "domain_id")},
        bulk_key="main_subscription_id",
    )
    for sub_id, company, product, plan, licences, members, unused in rows:
        items.append(
            WorkItem(
                customer=company,
                text=gettext("%(subscription)s: %(members)s members of %(licences)s licences")
                % {"subscription": _what(product, plan), "members": members, "licences": licences},
                url=read.format(sub_id),
                change_url=change.format(sub_id),
                figure=ngettext("%(n)s unused", "%(n)s unused", unused) % {"n": unused},
                uid=f"unused-{sub_id}",
                bulk_key=str(sub_id),
            )
        )
    return WorkList(count, items)


SECTIONS = [
    WorkSection(
        key="renewal-decisions",
        title=_("Renewal decisions"),
        help=_("Paid terms ending within 14 days: the renewal can be changed until the term's last day."),
        read=renewal_decisions,
        change_perm=CHANGE_SUBSCRIPTIONS,
        perm=VIEW_SUBSCRIPTIONS,
        day_label=_("Decide by"),
        action=_("Change the renewal"),
        decision=True,
        order=10,
        bulk="subscriptions",
    ),
    WorkSection(
        key="trials-ending",
        title=_("Trials ending"),
        help=_("Trials ending within 14 days, not yet converted to paid."),
        read=trials_ending,
        change_perm=CHANGE_SUBSCRIPTIONS,
        perm=VIEW_SUBSCRIPTIONS,
        day_label=_("Ends on"),
        action=_("Convert to paid"),
        decision=True,
        order=20,
    ),
    WorkSection(
        key="trials-grace",
        title=_("Trials in their grace period"),
        help=_("Trials that ended: paid service can still start until the end of the grace period."),
        read=trials_in_grace,
        change_perm=CHANGE_SUBSCRIPTIONS,
        perm=VIEW_SUBSCRIPTIONS,
        day_label=_("Decide by"),
        action=_("Convert to paid"),
        decision=True,
        order=25,
    ),
    WorkSection(
        key="unused-licences",
        title=_("Unused licences"),
        help=_("Licence plans with 10 or more licences than members, the most unused first."),
        read=unused_licences,
        change_perm=CHANGE_SUBSCRIPTIONS,
        perm=VIEW_SUBSCRIPTIONS,
        action=_("Change the renewal"),
        order=60,
        bulk="subscriptions",
    ),
]
