"""The Scheduled changes page (agenda and month calendar), its exports, and its extension point.

Each kind of upcoming change is a **schedule source**: a key, a label, the permission that lets a user see it,
the permission that lets a user open its forms, and a selector `items(filters, today)` that reads the cache
(one query) and yields `ScheduledItem`s. The subscriptions app registers pre-orders, reservations and renewal
changes; another app (options) registers its own source in its AppConfig.ready()::

    from subscriptions.schedule import ScheduleSource, date_range, make_item, register_schedule_source

    def option_order_items(filters, today):
        start, end = date_range(filters, today)
        for order in ...:  # one query over [start, end], filtered by filters.q
            yield make_item(source="option_order", label=_("Option order"), day=order.apply_date,
                            customer=order.customer, summary=..., today=today, ref=order.pk,
                            url=..., change_url=...)

    register_schedule_source(ScheduleSource(
        key="option_order", label=_("Option order"), items=option_order_items, order=40,
        perm=Perm.VIEW_OPTIONS, change_perm=Perm.CHANGE_OPTIONS,
    ))

A source always fills `change_url`; the page's selectors blank it for users without the source's `change_perm`
(Support sees every item read-only), so no source can forget that check. A source may also give
`day_counts(filters, today)` ({date: n}, one aggregate query): the agenda then reads only the items of the days
it shows (AGENDA_PAGE_ITEMS at a time, whole days); without it, the agenda reads all of the source's items.

Dates are business dates (Asia/Tokyo by default). A change on day D can still be moved or withdrawn until
D - 1 (the contract's windows start tomorrow), so that is its deadline; items whose deadline is at most
`DEADLINE_SOON_DAYS` away stand out.

The page is the portal's biggest list (bench.scheduled: 5,000 items over the default range), so the agenda
shows whole days up to AGENDA_PAGE_ITEMS items and links to the later ones; the built-in sources read plain
rows (`values_list`), translate their labels once per request, and build URLs from a pattern reversed once per
request (`url_pattern`) rather than one `reverse()` per item. The exports read every item of the range.
"""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from itertools import groupby
from operator import attrgetter
from typing import NamedTuple

from django.db.models import Count, DateTimeField, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _

from customers.selectors import customer_search
from portal.core.access import Perm, can, check
from portal.core.csv_export import csv_rows
from portal.core.ical import AllDayEvent, calendar_lines
from portal.core.selectors import business_today
from subscriptions.models import Plan, PreOrder, Product, Reservation, ReservationType, Subscription

#: An item whose last day to change it is this close (in days) stands out.
DEADLINE_SOON_DAYS = 7
#: Without a date range the agenda shows this many days from today.
DEFAULT_HORIZON_DAYS = 92
#: The agenda shows whole days, from the start of the range, up to this many items (at least one day), and
#: links to the later ones.
AGENDA_PAGE_ITEMS = 300
#: A calendar day lists this many items, then "+N more" (a link to that day's agenda).
CALENDAR_ITEMS_PER_DAY = 3
#: Weeks of the month calendar start on Monday (Japanese business calendars, ISO 8601), whatever the language.
FIRST_WEEKDAY = pycalendar.MONDAY

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class ScheduleFilters:
    q: str = ""
    kinds: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    #: The month calendar rather than the agenda.
    calendar: bool = False
    #: The first day of the month the calendar shows (None: that of date_from, else this month).
    #: Sources see it set whenever the calendar is shown (date_range() then keeps to the month).
    month: dt.date | None = None


class ScheduledItem(NamedTuple):
    """One upcoming change. A named tuple: the page builds thousands of them per request."""

    date: dt.date
    kind: str
    kind_label: str
    domain_id: int
    company_name: str
    summary: str
    #: The item's read-only page (a subscription's page, or the customer's Subscriptions section).
    url: str
    #: The last day the change can still be moved or withdrawn.
    deadline: dt.date
    deadline_soon: bool
    #: The item's form; "" when the user may not change it.
    change_url: str = ""
    #: Stable identity of the item across syncs and date moves (`<kind>-<remote id>`): the iCalendar UID.
    uid: str = ""


@dataclass(frozen=True)
class ScheduleSource:
    key: str
    label: Promise | str
    items: Callable[[ScheduleFilters, dt.date], Iterable[ScheduledItem]]
    perm: Perm = Perm.VIEW_SUBSCRIPTIONS
    #: Who may open the items' forms (`change_url`); others see the items read-only.
    change_perm: Perm = Perm.CHANGE_SUBSCRIPTIONS
    order: int = 100
    #: Optional: the number of items per date within the filters (one aggregate query).
    day_counts: Callable[[ScheduleFilters, dt.date], Mapping[dt.date, int]] | None = None


_SOURCES: dict[str, ScheduleSource] = {}


def register_schedule_source(source: ScheduleSource) -> None:
    """Add (or replace, by key) a kind of scheduled change on the agenda."""
    _SOURCES[source.key] = source


def schedule_sources(*, user=None) -> list[ScheduleSource]:
    """The registered sources in order; only those the user may see when a user is given."""
    out = sorted(_SOURCES.values(), key=lambda s: (s.order, s.key))
    return [s for s in out if user is None or can(user, s.perm)]


def url_pattern(name: str, nargs: int = 1) -> str:
    """`reverse(name)` as a `str.format` pattern with `nargs` positional fields: one reverse per request.

    >>> url_pattern("subscriptions:pre_order", 2).format(10000001, 5)
    '/subscriptions/customers/10000001/pre-orders/5/'
    """
    markers = [str(9_876_543_210 + i) for i in range(nargs)]
    url = reverse(name, args=markers).replace("{", "{{").replace("}", "}}")
    for i, marker in enumerate(markers):
        assert url.count(marker) == 1, (name, url)
        url = url.replace(marker, f"{{{i}}}")
    return url


def _customer_section_pattern() -> str:
    return url_pattern("customers:detail") + "#section-subscriptions"


def make_item(
    *,
    source: str,
    label,
    day: dt.date,
    summary: str,
    today: dt.date,
    customer=None,
    domain_id: int | None = None,
    company_name: str | None = None,
    url: str | None = None,
    change_url: str = "",
    ref: object = "",
    deadline: dt.date | None = None,
) -> ScheduledItem:
    """A ScheduledItem for a source of another app (the built-in sources build theirs in bulk).

    `customer` (or `domain_id` and `company_name`) says whose change it is; `url` defaults to the customer's
    Subscriptions section; `ref` is the change's remote id, for a stable `uid`; `deadline` defaults to the day
    before `day`.
    """
    if customer is not None:
        domain_id, company_name = customer.domain_id, customer.company_name
    deadline = deadline or day - ONE_DAY
    return ScheduledItem(
        date=day,
        kind=source,
        kind_label=str(label),
        domain_id=domain_id,
        company_name=company_name,
        summary=summary,
        url=url or _customer_section_pattern().format(domain_id),
        deadline=deadline,
        deadline_soon=(deadline - today).days <= DEADLINE_SOON_DAYS,
        change_url=change_url,
        uid=f"{source}-{ref}" if ref != "" else f"{source}-{domain_id}-{day:%Y%m%d}",
    )


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    return first, first.replace(day=pycalendar.monthrange(first.year, first.month)[1])


def date_range(filters: ScheduleFilters, today: dt.date) -> tuple[dt.date, dt.date]:
    """The range shown: never before today (only upcoming changes); by default DEFAULT_HORIZON_DAYS long for
    the agenda, and the whole month (within the date filters) for the calendar. Empty when start > end."""
    start = max(filters.date_from or today, today)
    if filters.month is None:
        return start, filters.date_to or today + dt.timedelta(days=DEFAULT_HORIZON_DAYS)
    first, last = month_bounds(filters.month)
    return max(start, first), min(filters.date_to or last, last)


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


def _in_range(qs, field: str, filters: ScheduleFilters, today: dt.date, shift: dt.timedelta = dt.timedelta()):
    """Rows of customers still in the API (and matching the search) whose `field` + `shift` is in the range.

    "Still in the API" is written COALESCE(removed_at, NULL) IS NULL: the same rows as removed_at IS NULL, but
    SQLite (which has no statistics unless ANALYZE was run) would otherwise start from the customers' removed_at
    index, i.e. every live customer, for any range; this way it starts from the date index (measured with
    bench.scheduled: a few days of the agenda 0.3 ms instead of 3 ms per source). PostgreSQL plans it from its
    statistics either way; removed_at IS NULL is not selective enough for its index to matter.
    """
    start, end = date_range(filters, today)
    qs = qs.alias(customer_removed_at=Coalesce("customer__removed_at", Value(None, DateTimeField())))
    qs = customer_search(qs.filter(customer_removed_at=None), filters.q)
    return qs.filter(**{f"{field}__gte": start - shift, f"{field}__lte": end - shift}).order_by()


def _day_counts(qs, field: str, shift: dt.timedelta = dt.timedelta()) -> dict[dt.date, int]:
    return {day + shift: n for day, n in qs.values_list(field).annotate(n=Count("*")).order_by()}


def pre_order_day_counts(filters: ScheduleFilters, today: dt.date) -> dict[dt.date, int]:
    return _day_counts(_in_range(PreOrder.objects, "apply_date", filters, today), "apply_date")


def reservation_day_counts(filters: ScheduleFilters, today: dt.date) -> dict[dt.date, int]:
    return _day_counts(_in_range(Reservation.objects, "apply_date", filters, today), "apply_date")


def _renewals(filters: ScheduleFilters, today: dt.date):
    qs = _in_range(Subscription.objects, "plan_end_date", filters, today, shift=ONE_DAY)
    return qs.filter(renewal_type__in=("CHANGE", "CANCEL"))


def renewal_day_counts(filters: ScheduleFilters, today: dt.date) -> dict[dt.date, int]:
    return _day_counts(_renewals(filters, today), "plan_end_date", shift=ONE_DAY)


def pre_order_items(filters: ScheduleFilters, today: dt.date) -> Iterator[ScheduledItem]:
    """Pre-orders (new paid subscriptions on a date): moved or deleted until the day before."""
    rows = _in_range(PreOrder.objects, "apply_date", filters, today).values_list(
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
    read, change = _customer_section_pattern(), url_pattern("subscriptions:pre_order", 2)
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
    rows = _in_range(Reservation.objects, "apply_date", filters, today).values_list(
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
    read, change = url_pattern("subscriptions:detail"), url_pattern("subscriptions:reservation")
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
    rows = _renewals(filters, today).values_list(
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
    read, change = url_pattern("subscriptions:detail"), url_pattern("subscriptions:renewal")
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


_ORDER = attrgetter("date", "company_name", "kind", "summary")


def _visible_sources(user, filters: ScheduleFilters) -> list[tuple[ScheduleSource, bool]]:
    """The sources the user may see and asked for, each with whether the user may open its forms."""
    check(user, Perm.VIEW_SUBSCRIPTIONS)
    return [
        (source, can(user, source.change_perm))
        for source in schedule_sources(user=user)
        if not filters.kinds or source.key in filters.kinds
    ]


def _read(source: ScheduleSource, may_change: bool, filters: ScheduleFilters, today: dt.date):
    found = source.items(filters, today)
    return found if may_change else (item._replace(change_url="") for item in found)


def scheduled_items(*, user, filters: ScheduleFilters, today: dt.date | None = None) -> list[ScheduledItem]:
    """Every upcoming change the user may see within the filters, in date order. One query per source.

    The forms' links are kept only for the sources whose `change_perm` the user holds.
    """
    today = today or business_today()
    items: list[ScheduledItem] = []
    for source, may_change in _visible_sources(user, filters):
        items.extend(_read(source, may_change, filters, today))
    items.sort(key=_ORDER)
    return items


def agenda(*, user, filters: ScheduleFilters) -> dict:
    """The agenda: the upcoming changes the user may see, as [(date, [items])] in date order, for whole days
    from the start of the range up to AGENDA_PAGE_ITEMS items; `later` more follow from `next_from` on.

    Two queries per source (its counts per day, then the items of the days shown) for sources with
    `day_counts`, one for the others, whatever the number of items.
    """
    today = business_today()
    filters = _window(replace(filters, calendar=False), today)
    sources = _visible_sources(user, filters)
    counts: Counter[dt.date] = Counter()
    already_read: dict[str, list[ScheduledItem]] = {}
    for source, may_change in sources:
        if source.day_counts is not None:
            counts.update(source.day_counts(filters, today))
        else:
            already_read[source.key] = list(_read(source, may_change, filters, today))
            counts.update(item.date for item in already_read[source.key])
    shown, until = 0, None
    for day in sorted(counts):
        if until is not None and shown + counts[day] > AGENDA_PAGE_ITEMS:
            break
        shown, until = shown + counts[day], day
    items: list[ScheduledItem] = []
    if until is not None:
        page = replace(filters, date_to=until)
        for source, may_change in sources:
            if source.key in already_read:
                items.extend(item for item in already_read[source.key] if item.date <= until)
            else:
                items.extend(_read(source, may_change, page, today))
    items.sort(key=_ORDER)
    days = [(day, list(group)) for day, group in groupby(items, key=attrgetter("date"))]
    start, end = date_range(filters, today)
    total = sum(counts.values())
    later = [day for day in counts if until is not None and day > until]
    return {
        "days": days,
        "count": len(items),
        "total": total,
        "today": today,
        "date_from": start,
        "date_to": end,
        "until": until,
        "later": total - shown,
        "next_from": min(later) if later else None,
    }


@dataclass(frozen=True)
class CalendarDay:
    date: dt.date
    in_month: bool
    is_today: bool
    is_past: bool
    #: The first CALENDAR_ITEMS_PER_DAY items of the day.
    items: list[ScheduledItem]
    #: How many more the day has (shown as "+N more", a link to the day's agenda).
    more: int

    @property
    def param(self) -> str:
        return self.date.isoformat()


def _month_in_range(month: dt.date, filters: ScheduleFilters, today: dt.date) -> bool:
    """Whether some day of the month is upcoming and within the date filters."""
    first, last = month_bounds(month)
    start = max(filters.date_from or today, today)
    return last >= start and (filters.date_to is None or first <= filters.date_to)


def default_month(filters: ScheduleFilters, today: dt.date) -> dt.date:
    """The month the calendar shows: the chosen one if it has days in the range, else that of the range's start
    (so that changing the dates while on the calendar moves to them), else this month."""
    if filters.month is not None and _month_in_range(filters.month, filters, today):
        return filters.month.replace(day=1)
    return max(filters.date_from or today, today).replace(day=1)


def month_calendar(*, user, filters: ScheduleFilters) -> dict:
    """The month calendar: weeks (Monday first) of days, each with its first items, for the filters' month."""
    today = business_today()
    filters = _window(replace(filters, calendar=True), today)
    month = filters.month
    items = scheduled_items(user=user, filters=filters, today=today)
    by_day = {day: list(group) for day, group in groupby(items, key=attrgetter("date"))}
    weeks = []
    for week in pycalendar.Calendar(FIRST_WEEKDAY).monthdatescalendar(month.year, month.month):
        row = []
        for day in week:
            found = by_day.get(day, []) if day.month == month.month else []
            row.append(
                CalendarDay(
                    date=day,
                    in_month=day.month == month.month,
                    is_today=day == today,
                    is_past=day < today,
                    items=found[:CALENDAR_ITEMS_PER_DAY],
                    more=max(len(found) - CALENDAR_ITEMS_PER_DAY, 0),
                )
            )
        weeks.append(row)
    start, end = date_range(filters, today)
    previous, following = (month - ONE_DAY).replace(day=1), month_bounds(month)[1] + ONE_DAY
    return {
        "month": month,
        "month_param": f"{month:%Y-%m}",
        "weeks": weeks,
        "weekdays": [str(WEEKDAYS_ABBR[(FIRST_WEEKDAY + i) % 7]) for i in range(7)],
        "count": len(items),
        "total": len(items),
        "today": today,
        "date_from": start,
        "date_to": max(start, end),
        # No link to a month without a day in the range (before this month: upcoming changes only).
        "previous_param": f"{previous:%Y-%m}" if _month_in_range(previous, filters, today) else "",
        "next_param": f"{following:%Y-%m}" if _month_in_range(following, filters, today) else "",
    }


def _window(filters: ScheduleFilters, today: dt.date) -> ScheduleFilters:
    """The filters of the page as shown: the calendar's month (its default too), or the agenda's range."""
    if filters.calendar:
        return replace(filters, month=default_month(filters, today))
    return replace(filters, month=None)


CSV_HEADER = (
    _("Date"),
    _("Type"),
    _("domainId"),
    _("Company"),
    _("Change"),
    _("Last day to change"),
    _("Page"),
    _("Form"),
)


def scheduled_csv_rows(*, user, filters: ScheduleFilters, origin: str) -> Iterator[str]:
    """CSV lines of exactly the items the page shows with these filters (agenda range or calendar month).

    `origin` ("https://portal.example") makes the links absolute. Access is checked and the items read and
    translated now, in the requester's language; the lines are written as the response streams.
    """
    today = business_today()
    items = scheduled_items(user=user, filters=_window(filters, today), today=today)
    return csv_rows(
        CSV_HEADER,
        (
            (
                i.date,
                i.kind_label,
                i.domain_id,
                i.company_name,
                i.summary,
                i.deadline,
                origin + i.url,
                origin + i.change_url if i.change_url else "",
            )
            for i in items
        ),
    )


#: The domain part of every event's UID (RFC 5545 suggests a domain name for global uniqueness).
ICAL_UID_DOMAIN = "partner-portal"


def scheduled_ical_lines(*, user, filters: ScheduleFilters, origin: str) -> Iterator[str]:
    """iCalendar (RFC 5545) lines of exactly the items the page shows: one all-day event per item, whose UID
    stays the same across exports (a calendar that imports it again updates the event instead of adding one)."""
    today = business_today()
    items = scheduled_items(user=user, filters=_window(filters, today), today=today)
    deadline, form = gettext("Last day to change: %(day)s"), gettext("Form: %(url)s")
    events = [
        AllDayEvent(
            uid=f"{i.uid}@{ICAL_UID_DOMAIN}",
            day=i.date,
            summary=f"{i.kind_label}: {i.company_name}",
            description="\n".join(
                part
                for part in (
                    i.summary,
                    deadline % {"day": i.deadline.isoformat()},
                    f"domainId: {i.domain_id}",
                    form % {"url": origin + i.change_url} if i.change_url else "",
                )
                if part
            ),
            url=origin + i.url,
            categories=(i.kind_label,),
        )
        for i in items
    ]
    return calendar_lines(
        events, name=gettext("Scheduled changes"), product="-//Partner Portal//Scheduled changes//EN"
    )


def register_builtin_sources() -> None:
    for key, label, items, day_counts, order in (
        ("pre_order", _("Pre-order"), pre_order_items, pre_order_day_counts, 10),
        ("reservation", _("Reservation"), reservation_items, reservation_day_counts, 20),
        ("renewal", _("Renewal"), renewal_items, renewal_day_counts, 30),
    ):
        register_schedule_source(
            ScheduleSource(key=key, label=label, items=items, day_counts=day_counts, order=order)
        )
