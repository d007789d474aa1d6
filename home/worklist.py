"""The home page's worklist: what needs doing today, per role, each item linking to what resolves it.

Apps contribute `WorkSection`s (portal.core.contrib, kind "worklist"); core reads them and names no app. A
section says which roles see it, and a reader `read(ctx)` that returns a `WorkList`: how many items there are
and the first `ctx.limit` of them (`limit=None`: all, for the daily digest and the calendar feed), from the
cache in one or two queries. An item's `change_url` is the form that resolves it; it is blanked for users
without the section's `change_perm` (Support sees the same items read-only), so no section can forget that.

Dates are business dates (Asia/Tokyo by default). A section whose items are decisions with a deadline
(`decision=True`, the item's `day` is the last day the decision can be made) feeds the daily digest
(home/digest.py) and the calendar feed; an item whose deadline has passed is never a decision.

Whose work: each section narrows its rows to the customers the context's `customers` choose (`ctx.narrow(qs,
key=)`: the contributed customer filters, the Owner filter, as the lists apply them), so an Account manager's
home page, digest and feed hold their own customers' items, and an Admin chooses on the home page between the
filters' `views` (unassigned, mine, everyone's; remembered in the session). Other roles see everyone's.

Each section is read once per request: `worklist_for(user)` reads every visible section once, and readers that
share a query use `ctx.once(key, compute)`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Count, Window
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import Promise

from portal.core.access import Perm, Role, can, role_of
from portal.core.contrib import contributions
from portal.core.downloads import one_state
from portal.core.lists import Sorts, by_customer_filters, capped_count, customer_filters

#: How many items a section shows on the home page (the count says how many there are).
FIRST_ITEMS = 5
#: Decisions whose window closes within this many days are on the worklist (and in the digest).
DECISION_DAYS = 14
#: Scheduled changes of the next this many days are on the worklist.
SCHEDULED_DAYS = 7

#: The most rows a section reads keys first (`WorkContext.first_and_count(keys_first=True)`): the full lists'
#: largest page.
KEYS_FIRST_MOST = 100

ALL_ROLES = frozenset(Role)
#: Who follows customers' contracts day to day: Account managers (who change them), Support (who reads them)
#: and Admins.
CONTRACT_ROLES = frozenset({Role.ACCOUNT_MANAGER, Role.SUPPORT, Role.ADMIN})
FINANCE_ROLES = frozenset({Role.FINANCE, Role.ADMIN})


@dataclass(frozen=True)
class WorkItem:
    #: Whose item it is (the company name), or what it is about.
    customer: str
    #: What is due, in words.
    text: str
    #: The page that shows it.
    url: str = ""
    #: The form that resolves it ("" when there is none, or the user may not change it).
    change_url: str = ""
    #: The date that matters (business date): for a decision, the last day it can be made.
    day: dt.date | None = None
    #: Stable identity across syncs (the calendar feed's UID).
    uid: str = ""
    #: A figure shown beside the item (unused licences, members of maximum users).
    figure: str = ""
    #: Extra word shown as a badge ("Failed", "Unknown", "Unpaid").
    badge: str = ""
    #: The item's row in the list its section's bulk actions apply to (`WorkSection.bulk`): a subscription's
    #: id, a customer's domainId... ("" when it has none).
    bulk_key: str = ""


@dataclass(frozen=True)
class WorkList:
    count: int
    items: list[WorkItem]


@dataclass
class WorkContext:
    user: Any
    today: dt.date
    now: dt.datetime
    #: Items to read per section; None reads them all.
    limit: int | None = FIRST_ITEMS
    #: Whose customers' items: each contributed customer filter's value ({"owner": "mine"}); {} is everyone's.
    customers: dict[str, str] = field(default_factory=dict)
    #: Items skipped before the `limit` read: a later page of the section's full list.
    offset: int = 0
    #: The full list's sort key ("customer", "-day"; "": the section's own order). A section ordering by that
    #: key's columns (`first_and_count(sorts=)`) does so in the database.
    sort: str = ""
    #: Count only up to the lists' cap (`portal.core.lists.capped_count`): a page of a section's full list.
    capped: bool = False
    #: A bulk change's "all N" (`section_keys`): a reader that names its items' bulk key
    #: (`first_and_count(bulk_key=)`) reads those keys alone into `keys` and makes no items.
    keys_only: bool = False
    keys: list | None = None
    _memo: dict[str, Any] = field(default_factory=dict)

    def narrow(self, qs, *, key: str = "customer_id", apart: bool = True):
        """`qs` (rows keyed by a customer's domainId at `key`) narrowed to the customers whose work this is, in
        the same query (a subquery of the owners' index: the section keeps its query count and its order's
        index). A section of the partner's own work (an invoice) or of one kind of customer (unassigned ones)
        does not call it. The subquery is planned apart (`lists.planned_apart`): the customers' keys read once,
        not probed for each of the section's rows read. `apart=False`: the customers themselves counted (the
        home page's figure), which an Account manager's index of theirs serves (`customers.selectors.owned_by`)."""
        return by_customer_filters(qs, self.customers, user=self.user, key=key, apart=apart)

    def once(self, key: str, compute: Callable[[], Any]) -> Any:
        """`compute()` the first time `key` is asked for in this context, its value after that."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def cut(self, rows) -> list:
        """The `limit` items of `rows` after the first `offset` (a queryset is sliced in SQL)."""
        end = None if self.limit is None else self.offset + self.limit
        return list(rows[self.offset : end] if self.offset or end is not None else rows)

    def ordered(self, qs, sorts: dict[str, tuple[str, ...]] | None):
        """`qs` in the full list's `sort` when `sorts` names that key's columns (model paths, a unique one last),
        empty values last (`lists.Sorts`); else in its own order."""
        key = self.sort.lstrip("-")
        if sorts and key in sorts:
            return Sorts(columns=sorts, default=key).order(qs, self.sort)
        return qs

    def first_and_count(
        self,
        qs,
        *fields: str,
        count_apart: bool = False,
        sorts: dict[str, tuple[str, ...]] | None = None,
        keys_first: bool = False,
        bulk_key: str = "",
    ) -> tuple[list[tuple], int]:
        """The first `limit` rows of `qs` as tuples of `fields`, and how many rows `qs` has, in one query (a
        window count beside the rows, as lists.paginate counts): one scan of the section's rows, not two.

        `count_apart`: for a section whose rows an index holds in its order, the first rows and a COUNT in two
        queries instead. The window makes the database read and sort every row to return five; apart, it
        walks the index for the first rows and counts the index alone (`python -m bench.home`).

        `sorts`: the columns (model paths, a unique one last) of the full list's sort keys the section offers
        ("customer", "day"): the context's `sort` orders `qs` by them, empty values last (`lists.Sorts`).
        A page of the full list reads its `offset` and `limit` in SQL; counted apart, it counts up to the lists'
        cap (`capped`), so the page reads one page and a bounded count, never the whole section (a window
        count's section sorts every row for its page anyway, and counts them in the same pass).

        `keys_first` (with `count_apart`): the page's primary keys first, along the section's index alone, then
        those rows' `fields` (their customer's name joined for them alone), as `lists.paginate(keys_first=True)`
        reads a list's page; a page's worth only (`KEYS_FIRST_MOST`): hundreds of rows (a bulk change's "all N")
        cost less read whole, in one query, than probed one by one by their keys. Read in one query, PostgreSQL,
        guessing the section's rows few, joined every row of the section's dates to its customer before it
        sorted them for five (the trials' sections as Support or Admin, `python -m bench scale`).

        `bulk_key`: the field of the items' `bulk_key`; in a context of `keys_only`, the first `limit` of it alone
        (along the section's index, no customer's name, no item made), into `keys`, and no rows."""
        qs = self.ordered(qs, sorts)
        if self.keys_only and bulk_key:
            self.keys = [key for key in self.cut(qs.values_list(bulk_key, flat=True)) if key is not None]
            return [], len(self.keys)
        if keys_first and count_apart and self.limit is not None and self.limit <= KEYS_FIRST_MOST:
            return self._keys_first(qs, fields)
        if self.capped and count_apart:
            rows = self.cut(qs.values_list(*fields))
            if self.limit is not None and len(rows) < self.limit and (rows or not self.offset):
                return rows, self.offset + len(rows)  # the last page: nothing more to count
            return rows, capped_count(qs)
        if count_apart:
            rows = self.cut(qs.values_list(*fields))
            return rows, (len(rows) if self.limit is None else qs.order_by().count())
        rows = self.cut(
            qs.annotate(_worklist_total=Window(Count("*"))).values_list(*fields, "_worklist_total")
        )
        return [row[:-1] for row in rows], (rows[0][-1] if rows else 0)

    def cut_by_keys(self, qs, *fields: str) -> tuple[list[tuple], list]:
        """`cut(qs)` as tuples of `fields`, read keys first: the `offset` and `limit` of `qs`'s primary keys
        (along an index of the order that holds the key, without visiting a row), then those rows' `fields` by
        their keys, in the keys' order; and the keys. A later page of a full list skips its earlier rows in the
        index, where a read of whole rows visited each row it skipped (`python -m bench scale`, page 2)."""
        keys = self.cut(qs.values_list("pk", flat=True))
        found = {
            row[0]: row[1:]
            for row in qs.model._default_manager.filter(pk__in=keys).order_by().values_list("pk", *fields)
        }
        return [found[key] for key in keys if key in found], keys

    def _keys_first(self, qs, fields: tuple[str, ...]) -> tuple[list[tuple], int]:
        rows, keys = self.cut_by_keys(qs, *fields)
        if self.limit is None:
            return rows, len(rows)
        if self.capped:
            if len(keys) < self.limit and (keys or not self.offset):
                return rows, self.offset + len(keys)  # the last page: nothing more to count
            return rows, capped_count(qs)
        return rows, qs.order_by().count()


@dataclass(frozen=True)
class WorkSection:
    key: str
    title: Promise | str
    read: Callable[[WorkContext], WorkList]
    roles: frozenset[Role] = CONTRACT_ROLES
    #: Who may open the items' forms; others see the items read-only.
    change_perm: Perm | None = None
    #: The permission needed to see the section at all (checked besides the role).
    perm: Perm | None = None
    #: What the item's date means ("Decide by", "On").
    day_label: Promise | str = ""
    #: A sentence under the title: what the section lists.
    help: Promise | str = ""
    #: The words of the link to an item's form.
    action: Promise | str = ""
    #: The page listing all of them, if there is one (URL name).
    more_url_name: str = ""
    #: Items are decisions whose `day` is the deadline: the daily digest and the calendar feed carry them.
    decision: bool = False
    order: int = 100
    #: The list (`portal.core.changes.bulk.BulkAction.list_name`) whose bulk actions its full list offers on
    #: its items (each item's `bulk_key`): the same selection bar as that list's. "": none.
    bulk: str = ""
    #: The sort keys its full list offers ("customer", "day": its reader orders by them in the database,
    #: `WorkContext.first_and_count(sorts=)`); a key not here is not a link in the list's header.
    sorts: tuple[str, ...] = ("customer", "day")


def last_full_sync(ctx: WorkContext):
    """The last finished full resync (or None), read once per context: the page header and the sections that
    look at its errors share it."""
    from portal.core.selectors import sync_run_latest_finished
    from portal.core.sync import FULL

    return ctx.once("core:last-full-sync", lambda: sync_run_latest_finished(kind=FULL))


def business_now() -> dt.datetime:
    from zoneinfo import ZoneInfo

    from django.conf import settings

    return timezone.now().astimezone(ZoneInfo(settings.BUSINESS_TIME_ZONE))


CHOICE_SESSION_KEY = "home:customers:{}"


def whose_work(user, chosen: dict[str, str] | None = None) -> dict[str, str]:
    """The customer filters' values the worklist of `user` reads with: their choice among a filter's `views`
    (`chosen`, when it is one of those offered to them: an Admin's, a Support user's), else the filter's
    default (an Account manager's own customers, everyone's for the other roles)."""
    chosen = chosen or {}
    return {
        f.name: chosen[f.name]
        if chosen.get(f.name) in {value for value, _ in f.views(user)}
        else f.default(user)
        for f in customer_filters()
    }


def remembered_whose_work(request) -> dict[str, str]:
    """Whose work the home page shows `request.user`: for a filter offering them a choice (`views`), their choice
    from the query (`?owner=mine`), else the one they made last (kept in the session, as the lists keep their
    Owner filter), else the default (everyone's)."""
    offered = [f for f in customer_filters() if f.views(request.user)]
    if not offered:
        return whose_work(request.user)
    session = getattr(request, "session", None)
    chosen = {}
    for f in offered:
        key = CHOICE_SESSION_KEY.format(f.name)
        given = request.GET.get(f.name)
        if given is None:
            given = session.get(key) if session is not None else None
        if isinstance(given, str):
            chosen[f.name] = given
    whose = whose_work(request.user, chosen)
    if session is not None:
        for f in offered:
            value = whose[f.name]
            if session.get(CHOICE_SESSION_KEY.format(f.name)) != value:
                session[CHOICE_SESSION_KEY.format(f.name)] = value
    return whose


def whose_views(user, whose: dict[str, str]) -> list[dict]:
    """The home page's choices of whose work `user` sees, one per customer filter that offers them `views`
    (an Admin, Support): [{name, choices: [{value, label, current}]}]; nothing for the other roles."""
    out = []
    for f in customer_filters():
        views = list(f.views(user))
        if not views:
            continue
        current = whose.get(f.name) or f.everyone
        out.append(
            {
                "name": f.name,
                "choices": [
                    {"value": value, "label": label, "current": value == current} for value, label in views
                ],
            }
        )
    return out


def context_for(
    user,
    *,
    limit: int | None = FIRST_ITEMS,
    today: dt.date | None = None,
    customers: dict[str, str] | None = None,
) -> WorkContext:
    """The context a worklist is read in; `customers`: whose work (`whose_work(user)` when not given)."""
    now = business_now()
    return WorkContext(
        user=user,
        today=today or now.date(),
        now=now,
        limit=limit,
        customers=whose_work(user) if customers is None else customers,
    )


def sections_for(user) -> list[WorkSection]:
    """The contributed sections the user's role sees, in order (a key given twice: the later wins)."""
    role = role_of(user)
    if role is None:
        return []
    by_key = {section.key: section for section in contributions("worklist")}
    return [
        s
        for s in sorted(by_key.values(), key=lambda s: (s.order, s.key))
        if role in s.roles and (s.perm is None or can(user, s.perm))
    ]


def _readable(section: WorkSection, user, found: WorkList) -> WorkList:
    if section.change_perm is not None and can(user, section.change_perm):
        return found
    if not any(item.change_url for item in found.items):
        return found
    return WorkList(found.count, [_without_change(item) for item in found.items])


def _without_change(item: WorkItem) -> WorkItem:
    return replace(item, change_url="")


def read_section(section: WorkSection, ctx: WorkContext) -> WorkList:
    """One section's list for the context's user, its forms' links kept only for those who may change."""
    return _readable(section, ctx.user, section.read(ctx))


def worklist_for(user, *, ctx: WorkContext | None = None) -> list[dict]:
    """Every section the user sees, each read once: [{section, count, capped, items, more_url}] (`capped`: more
    than `count`, the lists' cap), those with nothing to do after the others (each group in the sections' order)."""
    from portal.core.lists import count_cap

    # Counted up to the lists' cap, as each section's full list counts (past it: "more than 1,000"): a count of
    # every overdue invoice or every entry of the week grows with the partner's history. The caller's context
    # is left as it was.
    ctx = replace(ctx or context_for(user), capped=True)
    cap = count_cap()
    out = []
    for section in sections_for(user):
        found = read_section(section, ctx)
        try:
            more = reverse(section.more_url_name) if section.more_url_name else ""
        except NoReverseMatch:
            more = ""
        out.append(
            {
                "section": section,
                "count": min(found.count, cap),
                "capped": found.count > cap,
                "items": found.items,
                "more_url": more,
            }
        )
    out.sort(key=lambda entry: not entry["items"])
    return out


def section_for(user, key: str) -> WorkSection:
    """The section `key` as `user` sees it: 404 when there is no such section, 403 when their role does not
    see it."""
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    by_key = {section.key: section for section in contributions("worklist")}
    if key not in by_key:
        raise Http404(key)
    for section in sections_for(user):
        if section.key == key:
            return section
    raise PermissionDenied


#: How many items a section's download reads at a time (`section_items`).
DOWNLOAD_BATCH = 2000


def section_items(
    section: WorkSection, user, *, customers: dict[str, str], sort: str = ""
) -> Iterator[WorkItem]:
    """Every item of `section` for `user` and the customers `customers` choose, in the full list's `sort`, forms
    blanked as on the home page: its download. Read a batch at a time (`_full_list_read`, as a page of the full
    list is), all in one state of the database (`portal.core.downloads.one_state`, on PostgreSQL): a section of
    a year's activity is tens of thousands of items, which its download held at once."""
    with one_state():
        offset = 0
        while True:
            items = _full_list_read(section, user, customers, sort, offset=offset, limit=DOWNLOAD_BATCH).items
            yield from items
            if len(items) < DOWNLOAD_BATCH:
                return
            offset += DOWNLOAD_BATCH


def _full_list_read(
    section: WorkSection, user, customers: dict[str, str], sort: str, *, offset: int, limit: int
) -> WorkList:
    """`limit` items of `section`'s full list after the first `offset`, in its `sort`, offset and limited in the
    database, counted up to the lists' cap: a page of the list (`section_page`), a batch of its download
    (`section_items`)."""
    ctx = context_for(user, limit=limit, customers=customers)
    ctx.offset, ctx.sort, ctx.capped = offset, sort, True
    return read_section(section, ctx)


def section_keys(
    section: WorkSection, user, *, customers: dict[str, str], sort: str, limit: int
) -> list[str]:
    """The bulk keys (`WorkItem.bulk_key`) of the first `limit` items of `section` for `user` and the customers
    `customers` choose, in the full list's `sort` (a bulk change's "all N"): the keys alone when the section's
    reader names them (`WorkContext.first_and_count(bulk_key=)`), else its items' (read whole)."""
    ctx = context_for(user, limit=limit, customers=customers)
    ctx.sort, ctx.capped, ctx.keys_only = sort, True, True
    found = read_section(section, ctx)
    if ctx.keys is not None:
        return [str(key) for key in ctx.keys]
    return [item.bulk_key for item in found.items if item.bulk_key]


def section_page(section: WorkSection, user, *, customers: dict[str, str], sort: str, page, per_page: int):
    """Page `page` of `section`'s full list (the same reader as the home page's "N in all"): the section reads
    that page's items alone, ordered, offset and limited in the database, and counts them up to the lists' cap
    (`portal.core.lists.count_cap`: past it the page says "more than N"). A page past the end is the last."""
    from portal.core.lists import clamp_page, count_cap, counted_page

    def read(number: int) -> WorkList:
        return _full_list_read(section, user, customers, sort, offset=(number - 1) * per_page, limit=per_page)

    number = clamp_page(page, per_page)
    found = read(number)
    if not found.items and number > 1:
        last = max(1, -(-min(found.count, count_cap()) // per_page))
        if last < number:
            number = last
            found = read(number)
    return counted_page(found.items, number=number, per_page=per_page, total=found.count)


def list_defaults(request) -> dict[str, str]:
    """Where a section's full list opens: on the home page's choice of whose work (an Admin's or a Support
    user's remembered one, an Account manager's own customers)."""
    whose = whose_work(request.user)
    if getattr(request, "session", None) is not None:
        for f in customer_filters():
            if not f.views(request.user):
                continue
            remembered = request.session.get(CHOICE_SESSION_KEY.format(f.name))
            if isinstance(remembered, str):
                whose[f.name] = remembered
    return whose


def decisions_for(user, *, today: dt.date | None = None, days: int = DECISION_DAYS) -> list[tuple]:
    """Every decision the user can still make whose deadline is within `days` (today included), all of them:
    [(section, item)] by deadline. A decision whose deadline has passed is not one any more."""
    ctx = context_for(user, limit=None, today=today)
    last = ctx.today + dt.timedelta(days=days)
    found = []
    for section in sections_for(user):
        if not section.decision:
            continue
        for item in read_section(section, ctx).items:
            if item.day is not None and ctx.today <= item.day <= last:
                found.append((section, item))
    found.sort(key=lambda pair: (pair[1].day, pair[1].customer, pair[0].order))
    return found
