"""The pager: a page of a list and its count, stopping at the cap (`count_cap`)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from types import SimpleNamespace
from typing import Any, TypeVar, cast

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db import models
from django.db.models import Count, QuerySet, Subquery, Window

T = TypeVar("T")

#: Far beyond any real list (a million pages), small enough for any database's OFFSET.
MAX_PAGE_NUMBER = 1_000_000

#: The name of the window count the pager adds to each row.
TOTAL = "list_total_count"


def clamp_page(value: str | int | None, per_page: int | None = None) -> int:
    """A page number from the query string: 1 when missing or not a number, at most MAX_PAGE_NUMBER (a page
    past any real list is "past the end", never an SQL offset too large for the database's integers), and with
    `per_page`, at most the last page within the count's cap (`count_cap`)."""
    try:
        number = min(max(1, int(value or 1)), MAX_PAGE_NUMBER)
    except (TypeError, ValueError):
        return 1
    return number if per_page is None else min(number, _pages(count_cap(), per_page))


#: Set while a searched list is counted and paged (`searched_counts`).
_searching: ContextVar[bool] = ContextVar("lists_searching", default=False)


def count_cap() -> int:
    """How far a list counts its rows (the setting LIST_COUNT_CAP; within `searched_counts`, the smaller
    LIST_SEARCH_COUNT_CAP). A count of every row that matches costs as much as there are: a searched or
    filtered list of 50,000 customers' rows would read thousands of them for one figure. Past the cap the list
    says "more than N" (`Page.capped`) and pages within its first N rows."""
    if _searching.get():
        return min(settings.LIST_SEARCH_COUNT_CAP, settings.LIST_COUNT_CAP)
    return settings.LIST_COUNT_CAP


@contextmanager
def searched_counts(searched: object = True) -> Iterator[None]:
    """Within it, and when `searched` is truthy (the search's words, or the customers it found), lists count to
    the search cap (`count_cap`). A word as common as a legal form finds most of an Account manager's
    customers: counting their rows to the lists' cap read up to a thousand of them on every page of a large
    partner, where at a small one the whole list is a few dozen. Past the search cap the page says "more than
    N match" and offers its first N rows: a search that finds more is narrowed by another word, and the
    download still holds every row found (docs/lists.md)."""
    token = _searching.set(bool(searched) or _searching.get())
    try:
        yield
    finally:
        _searching.reset(token)


#: What a search's readers asked the database about the search itself, by key, within `one_search` (None: outside).
_asked: ContextVar[dict | None] = ContextVar("lists_search_asked", default=None)


@contextmanager
def one_search() -> Iterator[None]:
    """Within it, what several reads of one page ask about the same search is asked once (`asked_once`): the
    Scheduled changes page builds one walk per kind of change, each narrowed by the same search, and each would
    otherwise ask again how to read the customers a word finds (`customers.selectors.search.found_whole`)."""
    token = _asked.set({} if _asked.get() is None else _asked.get())
    try:
        yield
    finally:
        _asked.reset(token)


def asked_once(key: Hashable, ask: Callable[[], T]) -> T:
    """`ask()`, or within `one_search` the answer it gave for `key` already."""
    asked = _asked.get()
    if asked is None:
        return ask()
    if key not in asked:
        asked[key] = ask()
    return asked[key]


def capped_count(qs: QuerySet, *, along: str = "", key: str = "pk") -> int:
    """How many rows `qs` has, counted up to one past the cap (`count_cap`): the database stops after that many
    keys (`SELECT COUNT(*) FROM (SELECT key ... LIMIT cap + 1)`), so the count costs the same however many
    rows match.

    `along`: a column whose order the count's first rows are taken in. A searched list counts the rows of the
    customers found along their customer key (`customers.selectors.page_by_customer`): PostgreSQL then merges
    the rows' customer index with the search table's keys, both in order, and stops one past the cap, where
    unordered it may probe the rows' index once for each customer found.

    `key`: the column read for each row counted (the primary key by default). The `along` column itself reads
    its index alone, never the rows (the Activity page's count by customer, `portal.core.selectors`)."""
    return qs.order_by(*([along] if along else [])).values(key)[: count_cap() + 1].count()


class CappedCount(Subquery):
    """`capped_count` as a column of another query: how many rows `qs` (which may refer to the outer query's
    row with `OuterRef`) has, counted up to one past the cap, in the same query. The Invoices page counts each
    month's findings to explain so (`billing.selectors.invoice_list`): a count per row of a short list that
    costs the same however many rows match."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) capped)"

    def __init__(self, qs: QuerySet):
        super().__init__(qs.order_by().values("pk")[: count_cap() + 1], output_field=models.IntegerField())


def _pages(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def page_number(page: str | int | None, per_page: int, total: int) -> int:
    """The page a list of `total` rows (counted up to the cap) shows for the asked `page`: within its pages."""
    return min(clamp_page(page, per_page), _pages(min(total, count_cap()), per_page))


# --- Pager ---------------------------------------------------------------------------------------------------


def paginate(
    qs: QuerySet,
    *,
    page: str | int | None,
    per_page: int,
    fields: Sequence[str] = (),
    row: Callable[..., Any] | None = None,
    separate_count: bool = False,
    keys_first: bool = False,
    count: Callable[[], int] | None = None,
    searched: object = False,
) -> Page:
    """Page `page` (clamped, see `clamp_page`) of `qs` in one query: the rows with the total as a window count,
    whatever the page size. A page past the end shows the last page (then a count and a second read).

    With `fields`, rows are light namespaces of those columns only (`row(**values)` if given) instead of model
    instances.

    The window count is right while the rows it must read are few (a searched list, whose customers found are
    computed first) or the table is small. For the rest:

    `separate_count=True` counts in a query of its own, then reads only the page: for a large table whose
    order an index serves (a month of invoice items, `billing.selectors.item_page`; the Customers list as it
    opens, `customers.selectors.customer_page`), where the window count would make the database read and sort
    every matching row, all columns, before it can return the first page. The order's columns must then be ones
    an index can serve: a NOT NULL, non-blank column is ordered plainly for that (`Sorts.order`).

    `count`: what counts the rows of `qs` when the caller has a cheaper way than `qs.count()` (see
    `customers.selectors.count_live_and_found`: all rows less those of the removed customers, each count an
    index read alone); a count given is a count apart, as with `separate_count`.

    Every count stops at the cap (`count_cap`, `capped_count`): past it the page is `capped` (the list says
    "more than N"), its paginator counts N and the pager offers the pages within them. A `count` given must
    count so too (or count exactly, when that costs little: the pager caps what it returns).

    `keys_first=True` reads the page's primary keys first (the filters and the order only), then those rows'
    `fields`: the columns of related rows (a customer's name) are joined for the page's rows alone, so the
    database can walk an index in the list's order and stop after one page (the Options list,
    `options.selectors.option_page`, with `count`).

    `searched`: the list's search words (or anything truthy when it is searched): it then counts to the search
    cap (`searched_counts`).

    A searched list of customers' rows in customer order pages by customer instead (`paginate_in_groups`,
    through `customers.selectors.page_by_customer`).
    """
    with searched_counts(searched):
        return _paginate(
            qs,
            page=page,
            per_page=per_page,
            fields=fields,
            row=row,
            separate_count=separate_count,
            keys_first=keys_first,
            count=count,
        )


def _paginate(
    qs: QuerySet,
    *,
    page: str | int | None,
    per_page: int,
    fields: Sequence[str],
    row: Callable[..., Any] | None,
    separate_count: bool,
    keys_first: bool,
    count: Callable[[], int] | None,
) -> Page:
    separate_count = separate_count or count is not None
    if keys_first:
        return _paginate_keys_first(
            qs,
            page=page,
            per_page=per_page,
            fields=fields,
            row=row,
            separate_count=separate_count,
            count=count,
        )
    if separate_count:
        return _paginate_counted_apart(qs, page=page, per_page=per_page, fields=fields, row=row, count=count)
    counted = qs.annotate(**{TOTAL: Window(Count("pk"))})
    columns = (*fields, TOTAL) if fields else ()

    def read(number: int) -> list:
        return _read(counted[(number - 1) * per_page : number * per_page], columns, row)

    number = clamp_page(page, per_page)
    rows = read(number)
    if rows:
        total = getattr(rows[0], TOTAL)
    else:
        total = capped_count(qs) if number > 1 else 0
        last = _pages(min(total, count_cap()), per_page)
        if number > last:
            number = last
            rows = read(number)
    return counted_page(rows, number=number, per_page=per_page, total=total)


def counted_page(rows: Sequence, *, number: int, per_page: int, total: int) -> Page:
    """Page `number` holding `rows`, read already (a page of a worklist section's full list, which its reader
    reads: `home.worklist.section_page`), its paginator counting `total`, or the cap and `capped` when `total`
    is past it: the pager and the results' head of every list, without a query."""
    cap = count_cap()
    paginator = Paginator(rows, per_page)
    paginator.__dict__["count"] = min(total, cap)  # Paginator.count is a cached property: no COUNT query
    page = Page(rows, number, paginator)
    page.capped = total > cap  # type: ignore[attr-defined]
    return page


def _paginate_counted_apart(
    qs: QuerySet, *, page, per_page: int, fields: Sequence[str], row, count: Callable[[], int] | None
) -> Page:
    total = count() if count else capped_count(qs)
    number = page_number(page, per_page, total)
    rows = _read(qs[(number - 1) * per_page : number * per_page], fields, row)
    return counted_page(rows, number=number, per_page=per_page, total=total)


def _read(sliced: QuerySet, fields: Sequence[str], row) -> list:
    """The rows of a page: light namespaces of `fields` (`row(**values)` if given), else model instances."""
    if fields:
        make = row or SimpleNamespace
        return [make(**r) for r in sliced.values(*fields)]
    return list(sliced)


def paginate_in_groups(
    groups: Iterable[tuple[Any, int]] | Callable[[int], Iterable[tuple[Any, int]]],
    rows_of: Callable[[list], QuerySet],
    *,
    page: str | int | None,
    per_page: int,
    fields: Sequence[str] = (),
    row: Callable[..., Any] | None = None,
    total: int | None = None,
) -> Page:
    """Page `page` of a list whose rows come in groups, a group's rows together in the list's order (the options
    of each customer found, customers in name order): `groups` are each group's key and its number of rows, in
    the list's order; `rows_of(keys)` is the list's rows of those groups, in the list's order. Only the groups
    the page covers are read, so the database never sorts every matching row to return one page. A page past
    the end shows the last page.

    Without `total`, `groups` are every group (read by one query, which counts the rows too). With `total` (the
    rows counted apart, up to the cap: `capped_count`), `groups(rows)` is a callable giving the first groups,
    each of one row or more, that hold the list's first `rows` rows (more groups are read and left unused): the
    page reads only the groups up to its own and stops once it is full, so a list whose groups are many (a
    common word's customers) stops after one page; this is how a searched list pages (docs/lists.md).

    `customers.selectors.page_by_customer` pages this way: the customers a search found, in name order from
    the narrow search table, are the groups, so no row is sorted by a name read from the customers' wide rows."""
    if total is None:
        counts = [(key, n) for key, n in cast(Iterable[tuple[Any, int]], groups) if n]
        total = sum(n for _key, n in counts)
        number = page_number(page, per_page, total)
    else:
        number = page_number(page, per_page, total)
        # The groups that hold the rows up to the page's last.
        counts = [(key, n) for key, n in cast(Callable, groups)(number * per_page) if n] if total else []
    start = (number - 1) * per_page
    keys: list[Any] = []
    before, covered = 0, 0  # rows of the groups before the page's first; rows of the page's groups
    for key, n in counts:
        if not keys and before + n <= start:
            before += n
            continue
        keys.append(key)
        covered += n
        if before + covered >= start + per_page:
            break
    rows = _read(rows_of(keys)[start - before : start - before + per_page], fields, row)
    return counted_page(rows, number=number, per_page=per_page, total=total)


def _paginate_keys_first(
    qs: QuerySet, *, page, per_page: int, fields: Sequence[str], row, separate_count: bool, count
) -> Page:
    """The page's keys, paged as any list is (window count or counted apart, a page past the end the last),
    then the rows of those keys, in the keys' order."""
    pk = qs.model._meta.pk.attname
    paged = paginate(
        qs, page=page, per_page=per_page, fields=(pk,), separate_count=separate_count, count=count
    )
    keys = [getattr(r, pk) for r in paged.object_list]
    if not keys:
        return paged
    by_key = qs.model._default_manager.filter(pk__in=keys).order_by()
    if not fields:  # model instances as `qs` would make them: its joined relations, its deferred columns
        by_key.query.select_related = qs.query.select_related
        by_key.query.deferred_loading = qs.query.deferred_loading
    if fields:
        make = row or SimpleNamespace
        found = {r[pk]: make(**{f: r[f] for f in fields}) for r in by_key.values(pk, *fields)}
    else:
        found = {r.pk: r for r in by_key}
    paged.object_list = [found[k] for k in keys if k in found]
    return paged
