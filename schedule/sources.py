"""The framework of the Scheduled changes page: what a kind of upcoming change (a **schedule source**) is, and
the helpers sources build their items with.

Each app contributes its sources from its AppConfig.ready() (see portal/core/contrib.py); this app imports no
domain app. A source is a key, a label, the permission that lets a user see it, the permission that lets a
user open its forms, and a selector `items(filters, today)` that reads the cache (one query) and yields
`ScheduledItem`s, its rows narrowed by the page's customer filters (`for_customers`, the Owner filter)::

    from schedule.sources import ScheduleSource, date_range, make_item

    def option_order_items(filters, today):
        start, end = date_range(filters, today)
        for order in for_customers(...):  # one query over [start, end], filtered by filters.q and filters.customer
            yield make_item(source="option_order", label=_("Option order"), day=order.apply_date,
                            customer=order.customer, summary=..., today=today, ref=order.pk,
                            url=..., change_url=...)

    contribute(self.label, schedule_sources=[ScheduleSource(
        key="option_order", label=_("Option order"), items=option_order_items, order=40,
        perm=VIEW_OPTIONS, change_perm=CHANGE_OPTIONS,
    )])

A source always fills `change_url`; the page's selectors (schedule/selectors.py) blank it for users without the
source's `change_perm` (Support sees every item read-only), so no source can forget that check. A source may
also give `walk(filters, today)`: its rows within the filters, unread, and the customers its search finds
(`Walk`). From every source's walk the page reads, in one query (`read_walks`), the date and domainId of their
first `filters.first` items and their count up to the lists' cap (or, for the calendar, of their first items of
each date and each date's count), from their indexes alone (`Firsts`): the agenda then finds where its page
ends from them, and reads only the items of that page; without a walk, the agenda reads all of the source's
items.

A source that gives `walk` honours `filters.per_day`, `filters.after` and `filters.through` in `items`, its
query narrowed by `rows_shown(qs, filters, day=...)`. With `per_day` (the month calendar), it yields only the
first `per_day` items of each day (`first_of_each_day`): the first by the customer's domainId (then the row's
key), read along an index of (day, domainId, key) that holds the source's rows (its app's migration), so the
database counts and picks them from the index without visiting every row of the month or reading a company
name for each (`python -m bench scale`, Calendar). The page takes the first `per_day` of each day across the
sources in that order (`first_per_day`) and shows them in its own (company, kind, change). The agenda's
cursors `after` and `through` cut its first and last days between two customers (`between_cursors`), at the
page's ends found in the same order (date, domainId, key) from the walks (`first_in_order`).

Dates are business dates (Asia/Tokyo by default). A change on day D can still be moved or withdrawn until
D - 1 (the contract's windows start tomorrow), so that is its deadline; items whose deadline is at most
`DEADLINE_SOON_DAYS` away stand out.

The page is the portal's biggest list (bench.scheduled: 5,000 items over the default range), so sources read
plain rows (`values_list`), translate their labels once per request, and build URLs from a pattern reversed
once (`portal.core.constant_urls.pattern`) rather than one `reverse()` per item.
"""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Count, F, Func, Q, QuerySet, RowRange, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber
from django.utils.functional import Promise

from portal.core.access import Perm, can
from portal.core.contrib import contributions
from portal.core.lists import by_customer_filters, computed_first, count_cap, few_found, kept_while_walked

#: An item whose last day to change it is this close (in days) stands out.
DEADLINE_SOON_DAYS = 7
#: Without a date range the agenda shows this many days from today.
DEFAULT_HORIZON_DAYS = 92
#: The agenda shows whole days, from the start of the range, up to this many items (a day bigger than that is
#: cut between two customers), and links to the later ones: a page of a list (the lists' first page size), so
#: that a page reads the same few rows however many changes are scheduled.
AGENDA_PAGE_ITEMS = 25
#: A calendar day lists this many items, then "+N more" (a link to that day's agenda).
CALENDAR_ITEMS_PER_DAY = 3
#: Weeks of the month calendar start on Monday (Japanese business calendars, ISO 8601), whatever the language.
FIRST_WEEKDAY = pycalendar.MONDAY

ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class ScheduleFilters:
    q: str = ""
    #: One customer's changes alone (its domainId; the customer page), read by its key rather than searched.
    customer: int | None = None
    kinds: tuple[str, ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    #: The month calendar rather than the agenda.
    calendar: bool = False
    #: The first day of the month the calendar shows (None: that of date_from, else this month).
    #: Sources see it set whenever the calendar is shown (date_range() then keeps to the month).
    month: dt.date | None = None
    #: Only the first this many items of each day (by the customer's domainId, then the row's key: see
    #: `first_of_each_day`); None: every item. Set by the month calendar, for the sources that give `walk`
    #: (the counts then say how many more each day has).
    per_day: int | None = None
    #: The contributed customer filters' values (`portal.core.lists.CustomerFilter`: the Owner filter), and
    #: whose page it is ("Mine"); a source narrows its rows by them with `for_customers`.
    customers: Mapping[str, str] = field(default_factory=dict)
    #: How many first items of a source's walk are read (`read_walks`: the agenda's page size, and one).
    first: int | None = None
    #: The agenda's cursors: on the range's first day (`date_from`), only the items of customers whose domainId
    #: is greater than `after` (a day bigger than a page goes on there); on its last day (`date_to`), only those
    #: up to `through` (where such a day's page ends). None: the whole day (`between_cursors`).
    after: int | None = None
    through: int | None = None
    #: The agenda's page of a source that gives `walk`: the keys of its rows on the page (`Firsts.keys`), read
    #: by them alone (`rows_shown`), the search, the Owner filter and the range already applied where they were
    #: found. None: the rows the other filters choose.
    keys: tuple | None = None
    user: Any = field(default=None, compare=False, repr=False)


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
    #: Who sees the source's items (the app's own permission).
    perm: Perm
    #: Who may open the items' forms (`change_url`); others see the items read-only.
    change_perm: Perm
    order: int = 100
    #: Optional: its rows within the filters, unread (`Walk`), from which the page counts them by day and finds
    #: the date, domainId and key of its first `filters.first` items between the cursors and how many there are,
    #: up to one past the lists' cap, from its index alone (`read_walks`, every source's walk in one query): the
    #: agenda asks for one more than its page, which says where its page ends, and then reads only the items of
    #: its page. With `filters.per_day`, those of its first `per_day` items of each day (the month calendar, which
    #: then reads only the first of each day across the sources).
    walk: Callable[[ScheduleFilters, dt.date], Walk] | None = None


def schedule_sources(*, user=None) -> list[ScheduleSource]:
    """The contributed sources in order (a key given twice: the later wins); only those the user may see when
    a user is given."""
    by_key = {source.key: source for source in contributions("schedule_sources")}
    out = sorted(by_key.values(), key=lambda s: (s.order, s.key))
    return [s for s in out if user is None or can(user, s.perm)]


def for_customers(
    qs: QuerySet, filters: ScheduleFilters, *, key: str = "customer_id", apart: bool = False
) -> QuerySet:
    """`qs` (rows keyed by a customer's domainId at `key`) narrowed by the page's customer filters (the Owner
    filter), in the same query: every source's read calls it, as it calls the customer search. `apart`: the
    subquery planned apart (`lists.planned_apart`), for a source's `walk`, walked along its date index."""
    return by_customer_filters(qs, filters.customers, user=filters.user, key=key, apart=apart)


def rows_shown(
    qs: QuerySet, filters: ScheduleFilters, *, day: str, shift: dt.timedelta = dt.timedelta()
) -> QuerySet:
    """`qs` (a source's rows in the filters' range, keyed by a customer's domainId at `customer_id`, dated by the
    column `day`; an item's date is `day` + `shift`) narrowed to what the page shows: between the agenda's
    cursors (`between_cursors`), and the first `per_day` of each day (`first_of_each_day`). A source's `items`
    reads through it.

    With `filters.keys` (the agenda's page, found from the source's `walk`), the rows of those keys alone: the
    page's few rows by their primary key, where the filters again had the database probe the rows of every
    customer a search found or the Account manager owns (more as the customers grow: `python -m bench scale`,
    the agenda searched)."""
    if filters.keys is not None:
        return qs.model._default_manager.filter(pk__in=filters.keys).order_by()
    return first_of_each_day(between_cursors(qs, filters, day=day, shift=shift), filters, day=day)


def between_cursors(
    qs: QuerySet, filters: ScheduleFilters, *, day: str, shift: dt.timedelta = dt.timedelta()
) -> QuerySet:
    """`qs` without the rows the agenda's cursors leave out: on the first day (`filters.date_from`), those of
    customers up to `filters.after` (an earlier page showed them); on the last day (`filters.date_to`), those of
    customers after `filters.through` (a later page shows them). A source's walk and `items` both narrow so.

    Each cursor is written as a range of the source's index of (day, domainId, key): the days before the last,
    or the last day up to `through` (and the days after the first, or the first day after `after`). The database
    then reads the page's rows alone from that index, where "not (the last day and after `through`)" made it
    read every row of the range's days and drop the rows past the cursor one by one: more as the customers
    grow (`python -m bench scale`, Agenda)."""
    if filters.after is not None and filters.date_from is not None:
        first = filters.date_from - shift
        qs = qs.filter(Q(**{f"{day}__gt": first}) | Q(**{day: first, "customer_id__gt": filters.after}))
    if filters.through is not None and filters.date_to is not None:
        last = filters.date_to - shift
        qs = qs.filter(Q(**{f"{day}__lt": last}) | Q(**{day: last, "customer_id__lte": filters.through}))
    return qs


class Walk(NamedTuple):
    """What a source's page walks (`ScheduleSource.walk`): its rows within the filters (the range, the customer
    filters; not the search, nor the cursors), keyed by a customer's domainId at `customer_id` and by an integer
    primary key, unordered, dated by the column `day` (an item's date is `day` + `shift`); and the keys of the
    customers the search finds (`found`, a query of one column; None: no search), which `read_walks` narrows
    the rows by (`customers.selectors.live_walked` gives both)."""

    rows: QuerySet
    day: str
    shift: dt.timedelta = dt.timedelta()
    found: QuerySet | None = None


class Firsts(NamedTuple):
    """A source's first items for the agenda (`read_walks`)."""

    #: The date and customer's domainId of the first `filters.first` items, in the agenda's order.
    ends: list[tuple[dt.date, int]]
    #: How many items there are between the cursors, counted up to one past the lists' cap.
    total: int
    #: The primary keys of the rows of `ends`, in the same order.
    keys: list


class Walked(NamedTuple):
    """What `read_walks` read of one source's walk."""

    #: Its items of each date ({date: n}), with `filters.per_day` (empty otherwise).
    counts: dict[dt.date, int]
    #: Its first items.
    firsts: Firsts


#: The name under which `read_walks` reads the customers the search finds, once for all the walks.
FOUND = "schedule_found"


def read_walks(walks: Sequence[Walk], filters: ScheduleFilters) -> list[Walked]:
    """What a page reads of the sources' walks, in one query whatever the number of sources and items: each
    one's first items (`first_in_order`'s) and, with `filters.per_day` (the month calendar), its items of each
    date (for the calendar's "+N more"), in the order of `walks`.

    The query is each walk's read, one after the other (`UNION ALL`), each walk's rows narrowed by the
    customers the search finds (`Walk.found`, one search for the page). Their first keys are read first
    (`lists.few_found`): a search that finds few (a customer's name or domain) names them in the query, so the
    database reads those customers' rows by their index. A search that finds more (a common word, a legal form)
    has its customers read once, for all the walks (a materialized CTE, `FOUND`), and each walk's rows narrowed
    by them (`_found_among`) as its index is walked in the page's order. Read by each walk, a word most
    customers have read the search table's matches once per source and per read; joined to each walk, every row
    of the range was read and sorted to find the first (`python -m bench scale`, the agenda and its calendar
    searched)."""
    if not walks:
        return []
    found = next((walk.found for walk in walks if walk.found is not None), None)
    found_sql, found_params = found.query.sql_with_params() if found is not None else ("", ())
    few = None if found is None else few_found(found)
    named = few is not None
    if few == []:  # the search finds nobody: no walk has a row
        return [Walked({}, Firsts([], 0, [])) for _walk in walks]
    parts: list[tuple[str, tuple]] = []
    for walk in walks:
        if walk.found is not None:
            assert walk.found.query.sql_with_params() == (found_sql, found_params), "one search per page"
            walk = walk._replace(rows=walk.rows.filter(Q(customer_id__in=few) if named else _found_among()))
        parts.append(first_in_order(walk, filters))
    sql = " UNION ALL ".join(
        f"SELECT {n}, part.* FROM ({part}) part" for n, (part, _params) in enumerate(parts)
    )
    params: tuple = tuple(param for _part, part_params in parts for param in part_params)
    if found is not None and not named:
        sql = f'WITH "{FOUND}" ("customer_id") AS MATERIALIZED ({found_sql}) {sql}'
        params = (*found_params, *params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    by_part: list[list[tuple]] = [[] for _part in parts]
    for n, *row in rows:
        by_part[n].append(tuple(row))
    out: list[Walked] = []
    for walk, read in zip(walks, by_part, strict=True):
        counted = {day + walk.shift: n for day, _c, _k, n in read} if filters.per_day is not None else {}
        out.append(Walked(counted, _firsts(walk, read, filters)))
    return out


def _found_among() -> Q | Func:
    """Rows whose customer is among those `read_walks` read first (`FOUND`), tested against a hash of them as each
    kind's date index is walked in the page's order (`lists.kept_while_walked`), not joined to them: a join keeps
    no order, so every item of the range was read and sorted for the first page."""
    return kept_while_walked("customer_id", RawSQL(f'SELECT "customer_id" FROM "{FOUND}"', ()))


def first_in_order(walk: Walk, filters: ScheduleFilters) -> tuple[str, tuple]:
    """The date, customer's domainId and key of the first `filters.first` rows of the walk between the cursors,
    by the column `day`, the customer's domainId, then the row's key, each with how many rows there are up to
    one past the lists' cap (the source's `Firsts`), as SQL for `read_walks`: read from the source's index of
    (day, domainId, key) alone, which the database leaves after that many entries, so the agenda counts (up to
    the cap) and finds where its page ends at the same cost however many items the range holds.

    The database walks the index once, to one past the cap, and counts what it walked (a window count over the
    walk): only the page's few ends come back to Python, never one row per item counted, and no second query
    is compiled for the count (`python -m bench scale`, Agenda: instructions).

    With `filters.per_day` (the month calendar), the date, domainId and key of the first `per_day` rows of each
    day instead (`first_of_each_day`'s pick, read from the same index alone), each with how many rows its day
    has, counted in the same walk (`_picked`); `total` is how many rows that is. The calendar picks the first
    of each day across the sources from them, and reads only those rows whole (`filters.keys`)."""
    day = walk.day
    rows = between_cursors(walk.rows, filters, day=day, shift=walk.shift)
    if filters.per_day is not None:
        picked = _picked(rows, filters, day=day, counted=True)
        sql, params = picked.values_list(day, "customer_id", "pk", "_day_count").query.sql_with_params()
        return f"SELECT picked.* FROM ({sql}) picked", params
    walked = rows.order_by(day, "customer_id", "pk").values_list(day, "customer_id", "pk")[: count_cap() + 1]
    sql, params = walked.query.sql_with_params()
    return f"SELECT walked.*, COUNT(*) OVER () FROM ({sql}) walked ORDER BY 1, 2, 3 LIMIT %s", (
        *params,
        filters.first,
    )


def _firsts(walk: Walk, rows: list[tuple], filters: ScheduleFilters) -> Firsts:
    rows = sorted(rows, key=lambda row: row[:3])
    ends = [(found + walk.shift, customer) for found, customer, _pk, _n in rows]
    keys = [pk for _found, _customer, pk, _n in rows]
    if filters.per_day is not None:
        return Firsts(ends, len(rows), keys)
    return Firsts(ends, rows[0][3] if rows else 0, keys)


def _picked(qs: QuerySet, filters: ScheduleFilters, *, day: str, counted: bool = False) -> QuerySet:
    """The first `filters.per_day` rows of each day of `qs`, by the customer's domainId then the row's key (a row
    number per day over the keys alone: an index of (day, domainId, key) serves it without visiting a row).

    `counted`: each also with how many rows its day has (`_day_count`), over the same window, so one walk of the
    index both numbers and counts the day's rows; counted apart, each row of the range was walked twice and
    tested twice against the customers a search finds (`python -m bench scale`, the calendar searched)."""
    window: dict[str, Any] = {
        "partition_by": [F(day)],
        "order_by": [F("customer_id").asc(), F("pk").asc()],
    }
    if not counted:
        qs = qs.order_by().annotate(_day_rank=Window(RowNumber(), **window))
        return qs.filter(_day_rank__lte=filters.per_day)
    # The whole day as the frame of both, so the database numbers and counts in one window over its rows.
    window["frame"] = RowRange(start=None, end=None)
    qs = qs.order_by().annotate(
        _day_rank=Window(RowNumber(), **window), _day_count=Window(Count("*"), **window)
    )
    return qs.filter(_day_rank__lte=filters.per_day)


def first_of_each_day(qs: QuerySet, filters: ScheduleFilters, *, day: str) -> QuerySet:
    """`qs` (a source's rows in the filters' range, keyed by a customer's domainId at `customer_id`, dated by the
    column `day`) with, when `filters.per_day` is set, only the first `per_day` rows of each day by the
    customer's domainId then the row's key, in that order; `qs` itself otherwise.

    The rows are picked in a subquery that reads the keys alone (a row number per day over the date, domainId
    and key: an index of those columns serves it without visiting a row), computed first
    (`portal.core.lists.computed_first`), and only the picked rows are read whole, by their key, and joined to
    their customers (the filters are all in the subquery)."""
    if filters.per_day is None:
        return qs
    picked = _picked(qs, filters, day=day).values("pk")
    return qs.model._default_manager.filter(computed_first("pk", picked)).order_by(
        day, F("customer_id").asc(), F("pk").asc()
    )


def first_per_day(
    items: Iterable[Any], per_day: int, *, day_and_customer=attrgetter("date", "domain_id")
) -> list:
    """The first `per_day` items of each day of `items` (the sources' items in the sources' order, each source's
    items of a day in its order: see `first_of_each_day`), by the customer's domainId, the sources' order
    breaking ties. `day_and_customer`: an item's (date, domainId), for items other than `ScheduledItem`s."""
    ordered = sorted(items, key=day_and_customer)  # stable: the sources' order kept
    out: list = []
    taken: dict[dt.date, int] = {}
    for item in ordered:
        day = day_and_customer(item)[0]
        if taken.get(day, 0) < per_day:
            taken[day] = taken.get(day, 0) + 1
            out.append(item)
    return out


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
    url: str,
    change_url: str = "",
    ref: object = "",
    deadline: dt.date | None = None,
) -> ScheduledItem:
    """A ScheduledItem for a source of another app (the built-in sources build theirs in bulk).

    `customer` (or `domain_id` and `company_name`) says whose change it is; `url` is where it is read (its
    section of the customer page, say); `ref` is the change's remote id, for a stable `uid`; `deadline` defaults
    to the day before `day`.
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
        url=url,
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
