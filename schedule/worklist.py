"""The Scheduled changes page's section of the home page's worklist: the changes of the next SCHEDULED_DAYS days,
read from the same contributed sources as the page (schedule/sources.py).

The first items (up to `offset` + `limit`, a later page of its full list) and the count (up to the lists' cap) come
from the sources' walks, every source in one query from its index alone (`_first_items`), and only the items
shown are read whole: a busy week costs no more than a quiet one."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from operator import itemgetter

from django.utils.translation import gettext_lazy as _

from home.worklist import SCHEDULED_DAYS, WorkContext, WorkItem, WorkList, WorkSection
from portal.core.access import can
from portal.core.vocabulary import labelled
from schedule.permissions import VIEW_SCHEDULE
from schedule.sources import ScheduledItem, ScheduleFilters, ScheduleSource, read_walks, schedule_sources


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
    if wanted is None:
        read = [item for source in sources for item in source.items(filters, ctx.today)]
        count = len(read)
    else:
        read, count = _first_items(sources, filters, ctx.today, wanted)
    # Each source's forms only for those who may change its kind (Support reads them all).
    may_change = {source.key: can(ctx.user, source.change_perm) for source in sources}
    read = [item if may_change.get(item.kind) else item._replace(change_url="") for item in read]
    read.sort(key=lambda item: (item.date, item.company_name, item.kind, item.summary))
    return WorkList(count, [_item(item) for item in ctx.cut(read)])


def _first_items(
    sources: list[ScheduleSource], filters: ScheduleFilters, today: dt.date, wanted: int
) -> tuple[list[ScheduledItem], int]:
    """The first `wanted` items across the sources by date, then the customer's domainId (the sources' order
    breaking ties), and how many there are, each source counted up to one past the lists' cap: a source that
    gives `walk` finds its first `wanted` and its count from its index alone, every such source in one query
    (`read_walks`, as the agenda finds its page), and only the items chosen are read whole, by their keys. The
    others are read whole. Counted day by day instead, the section read every item of the week (more as the
    customers grow: `python -m bench scale`, work_list scheduled)."""
    walking = replace(filters, first=wanted)
    walkers = [(place, source) for place, source in enumerate(sources) if source.walk is not None]
    found: list[tuple] = []  # (date, domainId, the source's place, n, the row's key or the item)
    count = 0
    walks = [source.walk(walking, today) for _place, source in walkers if source.walk is not None]
    for (place, _source), walked in zip(walkers, read_walks(walks, walking), strict=True):
        firsts = walked.firsts
        count += firsts.total
        found.extend(
            (day, domain_id, place, n, key)
            for n, ((day, domain_id), key) in enumerate(zip(firsts.ends, firsts.keys, strict=True))
        )
    for place, source in enumerate(sources):
        if source.walk is None:
            items = list(source.items(filters, today))
            count += len(items)
            found.extend((item.date, item.domain_id, place, n, item) for n, item in enumerate(items))
    chosen = sorted(found, key=itemgetter(0, 1, 2, 3))[:wanted]
    read = [what for *_order, what in chosen if isinstance(what, ScheduledItem)]
    keys: dict[int, list] = {}
    for _day, _domain_id, place, _n, what in chosen:
        if not isinstance(what, ScheduledItem):
            keys.setdefault(place, []).append(what)
    for place, chosen_keys in keys.items():
        read.extend(sources[place].items(replace(filters, keys=tuple(chosen_keys)), today))
    return read, count


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
