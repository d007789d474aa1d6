"""Subscriptions' sources of the Scheduled changes page (schedule/): pre-orders, reservations and renewal
changes, each read in one query over the range the page shows (see schedule/sources.py for the framework)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.utils.translation import gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _

from customers.selectors import live_and_found, live_walked, still_in_api
from portal.core import constant_urls
from portal.core.vocabulary import Plan, Product, ReservationType
from schedule.sources import (
    DEADLINE_SOON_DAYS,
    ONE_DAY,
    ScheduledItem,
    ScheduleFilters,
    ScheduleSource,
    Walk,
    date_range,
    for_customers,
    rows_shown,
)
from subscriptions.models import RENEWAL_CHANGES, PreOrder, Reservation, Subscription
from subscriptions.permissions import CHANGE_SUBSCRIPTIONS, VIEW_SUBSCRIPTIONS


def _section_pattern() -> str:
    """Where an item is read: the Subscriptions section of its customer's page (`.format(domain_id)`)."""
    return constant_urls.pattern("customers:detail") + "#section-subscriptions"


class _Words:
    """Labels and phrases translated once per request, not once per item."""

    def __init__(self) -> None:
        self.products = {k: str(v) for k, v in Product.choices}
        self.plans = {k: str(v) for k, v in Plan.choices}
        self.reservation_types = {k: str(v) for k, v in ReservationType.choices}
        self.licences: dict[int, str] = {}
        #: Japanese lists its parts with 、 rather than a comma.
        self.separator = pgettext("between the parts of a list: product, plan, licences", ", ")

    def join(self, *parts) -> str:
        return self.separator.join(str(p) for p in parts if p)

    def product(self, value: str) -> str:
        return self.products.get(value, value)

    def plan(self, value: str) -> str:
        return self.plans.get(value, value)

    def n_licences(self, n: int | None) -> str:
        if n is None:
            return ""
        if n not in self.licences:
            self.licences[n] = ngettext("%(n)s licence", "%(n)s licences", n) % {"n": n}
        return self.licences[n]


def _in_range(
    qs,
    field: str,
    filters: ScheduleFilters,
    today: dt.date,
    shift: dt.timedelta = dt.timedelta(),
    *,
    items: bool = False,
):
    """Rows of customers still in the API (and matching the search) whose `field` + `shift` is in the range:
    the database starts from the date index, and the customers are read only for the rows in range. `items`:
    the rows read whole, with their customer's name (`_joined`)."""
    start, end = date_range(filters, today)
    live = live_and_found(qs, filters.q, customer=filters.customer, joined=items and _joined(filters))
    # The removal the rows carry, searched or not: their indexes by day hold the live customers' rows alone.
    qs = for_customers(still_in_api(live), filters)
    return qs.filter(**{f"{field}__gte": start - shift, f"{field}__lte": end - shift}).order_by()


def _walk(
    qs, field: str, filters: ScheduleFilters, today: dt.date, shift: dt.timedelta = dt.timedelta()
) -> Walk:
    """The rows `_in_range` reads, walked in date order (the agenda's first items, the calendar's counts): the
    search's customers apart (`live_walked`), and the customer filters' planned apart (`for_customers`)."""
    start, end = date_range(filters, today)
    live, found = live_walked(qs, filters.q, customer=filters.customer)
    rows = for_customers(live, filters, apart=True)
    rows = rows.filter(**{f"{field}__gte": start - shift, f"{field}__lte": end - shift}).order_by()
    return Walk(rows, field, shift, found=found)


def _joined(filters: ScheduleFilters) -> bool:
    """Whether a source's items test their customer's removal on the customer row they read for its name
    (`live_and_found(joined=True)`): not when they pick the first of each day (`first_of_each_day` reads the
    keys of the month from the index alone, without the customers)."""
    return filters.per_day is None


def _renewals(filters: ScheduleFilters, today: dt.date, *, items: bool = False):
    qs = _in_range(Subscription.objects, "plan_end_date", filters, today, shift=ONE_DAY, items=items)
    return qs.filter(RENEWAL_CHANGES)


def pre_order_walk(filters: ScheduleFilters, today: dt.date) -> Walk:
    return _walk(PreOrder.objects.all(), "apply_date", filters, today)


def reservation_walk(filters: ScheduleFilters, today: dt.date) -> Walk:
    return _walk(Reservation.objects.all(), "apply_date", filters, today)


def renewal_walk(filters: ScheduleFilters, today: dt.date) -> Walk:
    return _walk(Subscription.objects.filter(RENEWAL_CHANGES), "plan_end_date", filters, today, shift=ONE_DAY)


def pre_order_items(filters: ScheduleFilters, today: dt.date) -> Iterator[ScheduledItem]:
    """Pre-orders (new paid subscriptions on a date): moved or deleted until the day before."""
    qs = _in_range(PreOrder.objects, "apply_date", filters, today, items=True)
    rows = rows_shown(qs, filters, day="apply_date").values_list(
        "pre_order_id",
        "apply_date",
        "product_id",
        "plan",
        "license_count",
        "customer_id",
        "customer__company_name",
    )
    words = _Words()
    label, what = gettext("Pre-order"), gettext("New subscription: %(what)s")
    read, change = _section_pattern(), constant_urls.pattern("subscriptions:pre_order", 2)
    soon = today + dt.timedelta(days=DEADLINE_SOON_DAYS)
    for pre_order_id, day, product, plan, licences, domain_id, company in rows:
        deadline = day - ONE_DAY
        yield ScheduledItem(
            day,
            "pre_order",
            label,
            domain_id,
            company,
            what % {"what": words.join(words.product(product), words.plan(plan), words.n_licences(licences))},
            read.format(domain_id),
            deadline,
            deadline <= soon,
            change.format(domain_id, pre_order_id),
            f"pre_order-{pre_order_id}",
        )


def reservation_items(filters: ScheduleFilters, today: dt.date) -> Iterator[ScheduledItem]:
    """Reservations of subscriptions (paid start, more licences, cancel): moved or deleted until the day before."""
    qs = _in_range(Reservation.objects, "apply_date", filters, today, items=True)
    rows = rows_shown(qs, filters, day="apply_date").values_list(
        "subscription_id",
        "apply_date",
        "type",
        "plan",
        "license_count",
        "customer_id",
        "customer__company_name",
        "subscription__product_id",
        "subscription__plan",
    )
    words = _Words()
    label, on = gettext("Reservation"), gettext("%(type)s on %(subscription)s")
    read, change = (
        constant_urls.pattern("subscriptions:detail"),
        constant_urls.pattern("subscriptions:reservation"),
    )
    soon = today + dt.timedelta(days=DEADLINE_SOON_DAYS)
    for sub_id, day, kind, plan, licences, domain_id, company, sub_product, sub_plan in rows:
        deadline = day - ONE_DAY
        summary = on % {
            "type": words.join(
                words.reservation_types.get(kind, kind), plan and words.plan(plan), words.n_licences(licences)
            ),
            "subscription": words.join(words.product(sub_product), words.plan(sub_plan)),
        }
        yield ScheduledItem(
            day,
            "reservation",
            label,
            domain_id,
            company,
            summary,
            read.format(sub_id),
            deadline,
            deadline <= soon,
            change.format(sub_id),
            # One reservation per subscription: moving its date keeps the same identity.
            f"reservation-{sub_id}",
        )


def renewal_items(filters: ScheduleFilters, today: dt.date) -> Iterator[ScheduledItem]:
    """Renewals set to CHANGE or CANCEL; they take effect the day after the term ends (planEndDate + 1).

    Deadline: the contract (updateSubscriptionRenewal, parts/subscriptions.notes.md) documents no cut-off for
    changing the renewal settings, only that a CANCEL "ends after planEndDate". So, as for the other kinds,
    the last day to change is the day before the renewal applies, i.e. planEndDate itself.
    """
    rows = rows_shown(
        _renewals(filters, today, items=True), filters, day="plan_end_date", shift=ONE_DAY
    ).values_list(
        "subscription_id",
        "plan_end_date",
        "renewal_type",
        "product_id",
        "plan",
        "renewal_product_id",
        "renewal_plan",
        "renewal_license_count",
        "customer_id",
        "customer__company_name",
    )
    words = _Words()
    label = gettext("Renewal")
    not_renewed, renews_as = gettext("%(subscription)s is not renewed"), gettext("Renews as %(what)s")
    read, change = (
        constant_urls.pattern("subscriptions:detail"),
        constant_urls.pattern("subscriptions:renewal"),
    )
    soon = today + dt.timedelta(days=DEADLINE_SOON_DAYS)
    for sub_id, end, kind, product, plan, new_product, new_plan, new_licences, domain_id, company in rows:
        current = words.join(words.product(product), words.plan(plan))
        if kind == "CANCEL":
            summary = not_renewed % {"subscription": current}
        else:
            changed = words.join(
                new_product and words.product(new_product),
                new_plan and words.plan(new_plan),
                words.n_licences(new_licences),
            )
            summary = renews_as % {"what": changed or current}
        yield ScheduledItem(
            end + ONE_DAY,
            "renewal",
            label,
            domain_id,
            company,
            summary,
            read.format(sub_id),
            end,
            end <= soon,
            change.format(sub_id),
            # One renewal per term: the next term's renewal is another event.
            f"renewal-{sub_id}-{end + ONE_DAY:%Y%m%d}",
        )


#: Each kind is seen by those who read subscriptions and changed by those who change them.
_PERMS = {"perm": VIEW_SUBSCRIPTIONS, "change_perm": CHANGE_SUBSCRIPTIONS}

SOURCES = [
    ScheduleSource(
        key="pre_order",
        label=_("Pre-order"),
        items=pre_order_items,
        walk=pre_order_walk,
        order=10,
        **_PERMS,
    ),
    ScheduleSource(
        key="reservation",
        label=_("Reservation"),
        items=reservation_items,
        walk=reservation_walk,
        order=20,
        **_PERMS,
    ),
    ScheduleSource(
        key="renewal",
        label=_("Renewal"),
        items=renewal_items,
        walk=renewal_walk,
        order=30,
        **_PERMS,
    ),
]
