"""Reads of the Scheduled changes page: the agenda, the month calendar and the exports, over every contributed
source the user may see (schedule/sources.py). One or two queries per source, whatever the number of items."""

from __future__ import annotations

import calendar as pycalendar
import datetime as dt
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from itertools import groupby
from operator import attrgetter, itemgetter

from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import get_language, gettext, override
from django.utils.translation import gettext_lazy as _

from portal.core import clock
from portal.core.access import can, check
from portal.core.downloads import Table, one_state
from portal.core.ical import AllDayEvent, calendar_lines
from portal.core.lists import count_cap, one_search, searched_counts
from portal.core.vocabulary import labelled
from schedule.permissions import VIEW_SCHEDULE
from schedule.sources import (
    AGENDA_PAGE_ITEMS,
    CALENDAR_ITEMS_PER_DAY,
    FIRST_WEEKDAY,
    ONE_DAY,
    Firsts,
    ScheduledItem,
    ScheduleFilters,
    ScheduleSource,
    date_range,
    first_per_day,
    month_bounds,
    read_walks,
    schedule_sources,
)

_ORDER = attrgetter("date", "company_name", "kind", "summary")


def _visible_sources(user, filters: ScheduleFilters) -> list[tuple[ScheduleSource, bool]]:
    """The sources the user may see and asked for, each with whether the user may open its forms."""
    check(user, VIEW_SCHEDULE)
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
    today = today or clock.today()
    items: list[ScheduledItem] = []
    for source, may_change in _visible_sources(user, filters):
        items.extend(item for item in _read(source, may_change, filters, today) if not _passed(item, filters))
    items.sort(key=_ORDER)
    return items


def agenda(*, user, filters: ScheduleFilters) -> dict:
    """The agenda: a page of the upcoming changes the user may see, as [(date, [items])] in date order, from the
    start of the range (after the cursor `filters.after`): whole days up to AGENDA_PAGE_ITEMS items; a day bigger
    than a page is cut between two customers, and the next page goes on after the last customer shown
    (`next_after`). `later` more follow from `next_from` on; `total` and `later` are counted up to the lists'
    cap (`capped`, when a source's count reached it: the page then says "more than").

    A source that gives `walk` gives the date and domainId of its first AGENDA_PAGE_ITEMS + 1 items from its
    index, with their count up to one past the cap: where the page ends (the first AGENDA_PAGE_ITEMS + 1 of all
    sources by date and domainId), and the count; then its items up to there. One query for every source's
    first items (`read_walks`) and one per source with items on the page, whatever the number of items, and
    only the page's items read whole. A source without `walk` is read whole and counted here (one query).

    Searched, the counts stop at the search cap (`lists.searched_counts`)."""
    with searched_counts(filters.q), one_search():
        return _agenda(user=user, filters=filters)


def _agenda(*, user, filters: ScheduleFilters) -> dict:
    today = clock.today()
    filters = _window(replace(filters, calendar=False, through=None), today)
    size, cap = AGENDA_PAGE_ITEMS, count_cap()
    sources = _visible_sources(user, filters)
    total, capped = 0, False
    firsts: list[tuple[dt.date, int]] = []
    already_read: dict[str, list[ScheduledItem]] = {}
    found_first: dict[str, Firsts] = {}
    # The first items of each source that walks, up to one past the page (where the page ends), and their
    # count up to the cap: one query for all.
    walking = replace(filters, first=size + 1)
    walks = {source.key: source.walk(walking, today) for source, _may in sources if source.walk is not None}
    for key, walked in zip(walks, read_walks(list(walks.values()), walking), strict=True):
        found = found_first[key] = walked.firsts
        total, capped = total + min(found.total, cap), capped or found.total > cap
        firsts.extend(found.ends)
    for source, may_change in sources:
        if source.walk is None:
            read = [item for item in _read(source, may_change, filters, today) if not _passed(item, filters)]
            already_read[source.key] = read
            total += len(read)
            firsts.extend((item.date, item.domain_id) for item in read)
    firsts.sort()
    page, next_from, next_after = filters, None, ""
    if len(firsts) > size:
        following = firsts[size]
        if firsts[0][0] < following[0]:  # whole days: up to the last day before the first one left out
            until = max(day for day, _customer in firsts[:size] if day < following[0])
            page, next_from = replace(filters, date_to=until), following[0]
        else:  # one day bigger than a page: cut between two customers (a customer's changes stay together)
            before = [customer for _day, customer in firsts[:size] if customer < following[1]]
            through = before[-1] if before else following[1]
            page = replace(filters, date_to=following[0], through=through)
            next_from, next_after = following[0], str(through)
    items: list[ScheduledItem] = []
    for source, may_change in sources:
        if source.key in already_read:
            items.extend(item for item in already_read[source.key] if _on_page(item, page))
            continue
        found = found_first[source.key]
        if not (len(found.ends) > size and _end_on_page(found.ends[-1], page)):
            # Its rows on the page are among those it found (it found one past the page, or all it has): read
            # by their keys, or not at all.
            keys = tuple(
                key for end, key in zip(found.ends, found.keys, strict=True) if _end_on_page(end, page)
            )
            if keys:
                items.extend(_read(source, may_change, replace(page, keys=keys), today))
        else:
            items.extend(_read(source, may_change, page, today))
    items.sort(key=_ORDER)
    days = [(day, list(group)) for day, group in groupby(items, key=attrgetter("date"))]
    start, end = date_range(filters, today)
    return {
        "days": days,
        "count": len(items),
        "total": cap if capped else total,
        "capped": capped,
        "today": today,
        "date_from": start,
        "date_to": end,
        "until": items[-1].date if items else None,
        "later": max(total - len(items), 0) if next_from else 0,
        "next_from": next_from,
        "next_after": next_after,
    }


def _on_page(item: ScheduledItem, page: ScheduleFilters) -> bool:
    """Whether an item of a source read whole is within the agenda's page (up to its last day and customer)."""
    return _end_on_page((item.date, item.domain_id), page)


def _end_on_page(end: tuple[dt.date, int], page: ScheduleFilters) -> bool:
    """Whether an item on `end` (its date and customer's domainId, as `Firsts.ends`) is within the agenda's page."""
    day, domain_id = end
    if page.date_to is not None and day > page.date_to:
        return False
    return page.through is None or day < page.date_to or domain_id <= page.through


def _passed(item: ScheduledItem, filters: ScheduleFilters) -> bool:
    """Whether the agenda's cursor has passed the item (`sources.after_cursor`, for a source read whole)."""
    return filters.after is not None and item.date == filters.date_from and item.domain_id <= filters.after


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


def _first_items_and_counts(
    sources: list[tuple[ScheduleSource, bool]], filters: ScheduleFilters, today: dt.date, per_day: int
) -> tuple[list[ScheduledItem], Counter[dt.date]]:
    """The first `per_day` items of each day (`first_per_day`), in the page's order, and how many items each day
    has. A source that gives `walk` is counted by day and gives the dates, domainIds and keys of its first
    `per_day` of each day (never every item of the range), every such source in one query (`read_walks`), so
    that only the first `per_day` of each day across all the sources are read whole, by their keys: each
    source's first of each day read whole, then cut to the first across the sources, read and joined every
    kind's (three a day each, most of them not shown: `python -m bench scale`, the calendar's next month). The
    others are read whole (all their items, counted here)."""
    counts: Counter[dt.date] = Counter()
    # (date, domainId, the source's place, the row's place in its source, the item or the row's key): sorted,
    # the sources' first of each day in the order `first_per_day` takes them.
    found: list[tuple] = []
    firsts = replace(filters, per_day=per_day)
    walking = [(place, source) for place, (source, _may) in enumerate(sources) if source.walk is not None]
    walks = [source.walk(firsts, today) for _place, source in walking if source.walk is not None]
    for (place, _source), walked in zip(walking, read_walks(walks, firsts), strict=True):
        counts.update(walked.counts)
        picked = walked.firsts
        found.extend(
            (day, domain_id, place, n, key)
            for n, ((day, domain_id), key) in enumerate(zip(picked.ends, picked.keys, strict=True))
        )
    for place, (source, may_change) in enumerate(sources):
        if source.walk is None:
            read = list(_read(source, may_change, filters, today))
            counts.update(item.date for item in read)
            found.extend((item.date, item.domain_id, place, n, item) for n, item in enumerate(read))
    items: list[ScheduledItem] = []
    keys: dict[int, list] = {}
    for _day, _domain_id, place, _n, what in first_per_day(found, per_day, day_and_customer=itemgetter(0, 1)):
        if isinstance(what, ScheduledItem):
            items.append(what)
        else:
            keys.setdefault(place, []).append(what)
    for place, chosen in keys.items():
        source, may_change = sources[place]
        items.extend(_read(source, may_change, replace(firsts, keys=tuple(chosen)), today))
    items.sort(key=_ORDER)
    return items, counts


def month_calendar(*, user, filters: ScheduleFilters) -> dict:
    """The month calendar: weeks (Monday first) of days, each with its first items (CALENDAR_ITEMS_PER_DAY:
    the first by the customer's domainId, see `sources.first_of_each_day`, shown in the page's order) and how
    many more it has, for the filters' month. Two queries per source, whatever the number of items."""
    today = clock.today()
    filters = _window(replace(filters, calendar=True), today)
    month = filters.month
    sources = _visible_sources(user, filters)
    with one_search():
        items, counts = _first_items_and_counts(sources, filters, today, CALENDAR_ITEMS_PER_DAY)
    by_day = {day: list(group) for day, group in groupby(items, key=attrgetter("date"))}
    weeks = []
    for week in pycalendar.Calendar(FIRST_WEEKDAY).monthdatescalendar(month.year, month.month):
        row = []
        for day in week:
            in_month = day.month == month.month
            found = by_day.get(day, []) if in_month else []
            row.append(
                CalendarDay(
                    date=day,
                    in_month=in_month,
                    is_today=day == today,
                    is_past=day < today,
                    items=found,
                    more=max(counts[day] - len(found), 0) if in_month else 0,
                )
            )
        weeks.append(row)
    start, end = date_range(filters, today)
    total = sum(counts.values())
    previous, following = (month - ONE_DAY).replace(day=1), month_bounds(month)[1] + ONE_DAY
    return {
        "month": month,
        "month_param": f"{month:%Y-%m}",
        "weeks": weeks,
        "weekdays": [str(WEEKDAYS_ABBR[(FIRST_WEEKDAY + i) % 7]) for i in range(7)],
        "count": total,
        "total": total,
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
        return replace(filters, month=default_month(filters, today), after=None)
    return replace(filters, month=None)


#: How many days of changes a download reads at a time (`download_items`), and in how many reads at most: a
#: range of years is read in longer windows, not in hundreds of weeks.
DOWNLOAD_DAYS = 7
DOWNLOAD_READS = 60


def download_items(*, user, filters: ScheduleFilters) -> Iterator[ScheduledItem]:
    """The items the page shows with these filters (`scheduled_items` of its agenda range or calendar month),
    for a download: access checked now; the items read a window of the range at a time as the file is written
    (a week, longer for a range of years: `DOWNLOAD_READS` reads at most), in the requester's language and in
    one state of the database (`portal.core.downloads.one_state`, on PostgreSQL). The agenda's three months at
    a large partner's are tens of thousands of items, which a download held at once. On a later page of the
    agenda (its cursors, `after` and `through`), the range is read at once."""
    today = clock.today()
    filters = _window(filters, today)
    _visible_sources(user, filters)  # refused now, not once the file has begun
    return _by_window(user, filters, today, get_language())


def _by_window(user, filters: ScheduleFilters, today: dt.date, language: str) -> Iterator[ScheduledItem]:
    windows = [filters]
    if filters.after is None and filters.through is None:
        windows, (day, end) = [], date_range(filters, today)
        days = max(DOWNLOAD_DAYS, -(-((end - day).days + 1) // DOWNLOAD_READS))
        while day <= end:
            last = min(day + dt.timedelta(days=days - 1), end)
            windows.append(replace(filters, date_from=day, date_to=last))
            day = last + ONE_DAY
    with override(language), one_state():
        for window in windows:
            yield from scheduled_items(user=user, filters=window, today=today)


CSV_HEADER = (
    _("Date"),
    _("Type"),
    _("Domain ID"),
    _("Company"),
    _("Change"),
    _("Last day to change"),
    _("Page"),
    _("Form"),
)


def scheduled_table(*, user, filters: ScheduleFilters, origin: str) -> Table:
    """Exactly the items the page shows with these filters (agenda range or calendar month), as a table to
    download (the workbook or a CSV, portal/core/downloads.py).

    `origin` ("https://portal.example") makes the links absolute. Access is checked now; the items are read a
    window at a time as the file is written, in the requester's language (`download_items`).
    """
    items = download_items(user=user, filters=filters)
    return Table(
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
    items = download_items(user=user, filters=filters)
    deadline, form = gettext("Last day to change: %(day)s"), gettext("Form: %(url)s")
    events = (
        AllDayEvent(
            uid=f"{i.uid}@{ICAL_UID_DOMAIN}",
            day=i.date,
            summary=labelled(i.kind_label, i.company_name),
            description="\n".join(
                part
                for part in (
                    i.summary,
                    deadline % {"day": i.deadline.isoformat()},
                    labelled(gettext("Domain ID"), i.domain_id),
                    form % {"url": origin + i.change_url} if i.change_url else "",
                )
                if part
            ),
            url=origin + i.url,
            categories=(i.kind_label,),
        )
        for i in items
    )
    return calendar_lines(
        events, name=gettext("Scheduled changes"), product="-//Partner Portal//Scheduled changes//EN"
    )
