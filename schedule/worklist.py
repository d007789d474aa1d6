"""The Scheduled changes page's section of the home page's worklist: the changes of the next SCHEDULED_DAYS days,
read from the same contributed sources as the page (schedule/sources.py).

The count comes from the sources' per-day counts (one aggregate query each); the items are read only for the
first days that hold `limit` of them (after `offset`, on a later page of its full list), and of each of those
days only the first ones (`filters.per_day`, schedule/sources.py), so a busy day costs no more than a quiet one."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.utils.translation import gettext_lazy as _

from home.worklist import SCHEDULED_DAYS, WorkContext, WorkItem, WorkList, WorkSection
from portal.core.access import can
from portal.core.vocabulary import labelled
from schedule.permissions import VIEW_SCHEDULE
from schedule.sources import ScheduledItem, ScheduleFilters, first_per_day, read_walks, schedule_sources


def _item(found: ScheduledItem) -> WorkItem:
    return WorkItem(
        customer=found.company_name,
        text=labelled(found.kind_label, found.summary),
        url=found.url,
        change_url=found.change_url,
        day=found.date,
        uid=found.uid,
    )


def scheduled_soon(ctx: WorkContext) -> WorkList:
    """Changes scheduled from today to SCHEDULED_DAYS days later, in date order, of the customers whose work the
    context shows (the sources narrow by the same customer filters as the page's Owner filter)."""
    filters = ScheduleFilters(
        date_from=ctx.today,
        date_to=ctx.today + dt.timedelta(days=SCHEDULED_DAYS),
        customers=ctx.customers,
        user=ctx.user,
    )
    sources = schedule_sources(user=ctx.user)
    # The items up to the last one asked for (a later page of the full list skips the first `offset`).
    wanted = None if ctx.limit is None else ctx.offset + ctx.limit
    counts: Counter[dt.date] = Counter()
    read: list[ScheduledItem] = []
    pending = [source for source in sources if source.walk is not None and wanted is not None]
    for source in sources:
        if source not in pending:
            found = list(source.items(filters, ctx.today))
            read.extend(found)
            counts.update(item.date for item in found)
    walks = [source.walk(filters, ctx.today) for source in pending if source.walk is not None]
    for walked in read_walks(walks, filters, counts=True, firsts=False):
        counts.update(walked.counts)
    until = filters.date_to
    if wanted is not None:
        shown = 0
        for day in sorted(counts):
            shown += counts[day]
            until = day
            if shown >= wanted:
                break
    page = ScheduleFilters(
        date_from=filters.date_from,
        date_to=until,
        customers=filters.customers,
        user=filters.user,
        per_day=wanted,
    )
    for source in pending:
        read.extend(source.items(page, ctx.today))
    if wanted is not None:
        # The first of the days shown, by customer (the sources picked each day's first `wanted` so).
        read = first_per_day(read, wanted)[:wanted]
    # Each source's forms only for those who may change its kind (Support reads them all).
    may_change = {source.key: can(ctx.user, source.change_perm) for source in sources}
    read = [
        item if may_change.get(item.kind) else item._replace(change_url="")
        for item in read
        if item.date <= until
    ]
    read.sort(key=lambda item: (item.date, item.company_name, item.kind, item.summary))
    return WorkList(sum(counts.values()), [_item(item) for item in ctx.cut(read)])


SECTIONS = [
    WorkSection(
        key="scheduled",
        title=_("Scheduled changes in the next 7 days"),
        help=_(
            "Changes the Partner API will apply soon; each can be moved or withdrawn until the day before."
        ),
        read=scheduled_soon,
        perm=VIEW_SCHEDULE,
        change_perm=VIEW_SCHEDULE,
        day_label=_("On"),
        action=_("Move or withdraw"),
        more_url_name="schedule:agenda",
        order=30,
        sorts=(),  # by date, then company: the sources' order
    )
]
