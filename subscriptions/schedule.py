"""The Scheduled changes agenda and its extension point.

Each kind of upcoming change is a **schedule source**: a key, a label, the permission that lets a user see it,
and a selector `items(filters, today)` that reads the cache (one query) and yields `ScheduledItem`s. The
subscriptions app registers pre-orders, reservations and renewal changes; another app (options) registers its
own source in its AppConfig.ready()::

    from subscriptions.schedule import ScheduleSource, register_schedule_source

    register_schedule_source(ScheduleSource(
        key="option_order", label=_("Option order"), perm=Perm.VIEW_OPTIONS, items=option_order_items, order=40,
    ))

Dates are business dates (Asia/Tokyo by default). A change on day D can still be moved or withdrawn until
D - 1 (the contract's windows start tomorrow), so that is its deadline; items whose deadline is at most
`DEADLINE_SOON_DAYS` away stand out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import groupby

from django.db.models import F
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from portal.core.access import Perm, can, check
from portal.core.selectors import business_today
from subscriptions.models import PreOrder, Reservation, Subscription
from subscriptions.selectors import customer_search

#: An item whose last day to change it is this close (in days) stands out.
DEADLINE_SOON_DAYS = 7
#: Without a date range the agenda shows this many days from today.
DEFAULT_HORIZON_DAYS = 92


@dataclass(frozen=True)
class ScheduleFilters:
    q: str = ""
    kinds: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None


@dataclass(frozen=True)
class ScheduledItem:
    date: dt.date
    kind: str
    kind_label: str
    domain_id: int
    company_name: str
    summary: str
    url: str
    #: The last day the change can still be moved or withdrawn.
    deadline: dt.date
    deadline_soon: bool


@dataclass(frozen=True)
class ScheduleSource:
    key: str
    label: Promise | str
    items: Callable[[ScheduleFilters, dt.date], Iterable[ScheduledItem]]
    perm: Perm = Perm.VIEW_SUBSCRIPTIONS
    order: int = 100


_SOURCES: dict[str, ScheduleSource] = {}


def register_schedule_source(source: ScheduleSource) -> None:
    """Add (or replace, by key) a kind of scheduled change on the agenda."""
    _SOURCES[source.key] = source


def schedule_sources(*, user=None) -> list[ScheduleSource]:
    """The registered sources in order; only those the user may see when a user is given."""
    out = sorted(_SOURCES.values(), key=lambda s: (s.order, s.key))
    return [s for s in out if user is None or can(user, s.perm)]


def make_item(*, source: str, label, day: dt.date, customer, summary: str, today: dt.date) -> ScheduledItem:
    """A ScheduledItem whose deadline is the day before it applies."""
    deadline = day - dt.timedelta(days=1)
    return ScheduledItem(
        date=day,
        kind=source,
        kind_label=str(label),
        domain_id=customer.domain_id,
        company_name=customer.company_name,
        summary=summary,
        url=reverse("customers:detail", args=[customer.domain_id]) + "#section-subscriptions",
        deadline=deadline,
        deadline_soon=(deadline - today).days <= DEADLINE_SOON_DAYS,
    )


def date_range(filters: ScheduleFilters, today: dt.date) -> tuple[dt.date, dt.date]:
    """The range shown: never before today (only upcoming changes), by default DEFAULT_HORIZON_DAYS long."""
    start = max(filters.date_from or today, today)
    end = filters.date_to or today + dt.timedelta(days=DEFAULT_HORIZON_DAYS)
    return start, end


def _licences(n: int | None) -> str:
    return _t("%(n)s licences") % {"n": n} if n is not None else ""


def _join(*parts) -> str:
    return ", ".join(str(p) for p in parts if p)


def pre_order_items(filters: ScheduleFilters, today: dt.date) -> Iterable[ScheduledItem]:
    start, end = date_range(filters, today)
    qs = customer_search(PreOrder.objects.filter(customer__removed_at=None), filters.q)
    qs = qs.filter(apply_date__gte=start, apply_date__lte=end).select_related("customer")
    for p in qs.only("apply_date", "product_id", "plan", "license_count", "customer__company_name"):
        summary = _t("New subscription: %(what)s") % {
            "what": _join(p.get_product_display(), p.get_plan_display(), _licences(p.license_count))
        }
        yield make_item(
            source="pre_order",
            label=_("Pre-order"),
            day=p.apply_date,
            customer=p.customer,
            summary=summary,
            today=today,
        )


def reservation_items(filters: ScheduleFilters, today: dt.date) -> Iterable[ScheduledItem]:
    start, end = date_range(filters, today)
    qs = customer_search(Reservation.objects.filter(customer__removed_at=None), filters.q)
    qs = qs.filter(apply_date__gte=start, apply_date__lte=end).select_related("customer", "subscription")
    for r in qs:
        summary = _t("%(type)s on %(subscription)s") % {
            "type": _join(r.get_type_display(), r.plan and r.get_plan_display(), _licences(r.license_count)),
            "subscription": _join(r.subscription.get_product_display(), r.subscription.get_plan_display()),
        }
        yield make_item(
            source="reservation",
            label=_("Reservation"),
            day=r.apply_date,
            customer=r.customer,
            summary=summary,
            today=today,
        )


def renewal_items(filters: ScheduleFilters, today: dt.date) -> Iterable[ScheduledItem]:
    """Renewals set to CHANGE or CANCEL; they take effect the day after the term ends."""
    start, end = date_range(filters, today)
    qs = customer_search(Subscription.objects.filter(customer__removed_at=None), filters.q)
    qs = qs.filter(
        renewal_type__in=("CHANGE", "CANCEL"),
        plan_end_date__gte=start - dt.timedelta(days=1),
        plan_end_date__lte=end - dt.timedelta(days=1),
    ).select_related("customer")
    for s in qs.order_by(F("plan_end_date").asc()):
        if s.renewal_type == "CANCEL":
            summary = _t("%(subscription)s is not renewed") % {
                "subscription": _join(s.get_product_display(), s.get_plan_display())
            }
        else:
            summary = _t("Renews as %(what)s") % {
                "what": _join(
                    s.renewal_product_id and s.get_renewal_product_display(),
                    s.renewal_plan and s.get_renewal_plan_display(),
                    _licences(s.renewal_license_count),
                )
                or _join(s.get_product_display(), s.get_plan_display())
            }
        yield make_item(
            source="renewal",
            label=_("Renewal"),
            day=s.renewal_date,
            customer=s.customer,
            summary=summary,
            today=today,
        )


def agenda(*, user, filters: ScheduleFilters) -> dict:
    """Every upcoming change the user may see, as [(date, [items])] in date order. One query per source."""
    check(user, Perm.VIEW_SUBSCRIPTIONS)
    today = business_today()
    items: list[ScheduledItem] = []
    for source in schedule_sources(user=user):
        if filters.kinds and source.key not in filters.kinds:
            continue
        items.extend(source.items(filters, today))
    items.sort(key=lambda i: (i.date, i.company_name, i.kind, i.summary))
    days = [(day, list(group)) for day, group in groupby(items, key=lambda i: i.date)]
    start, end = date_range(filters, today)
    return {"days": days, "count": len(items), "today": today, "date_from": start, "date_to": end}


def register_builtin_sources() -> None:
    register_schedule_source(
        ScheduleSource(key="pre_order", label=_("Pre-order"), items=pre_order_items, order=10)
    )
    register_schedule_source(
        ScheduleSource(key="reservation", label=_("Reservation"), items=reservation_items, order=20)
    )
    register_schedule_source(ScheduleSource(key="renewal", label=_("Renewal"), items=renewal_items, order=30))
