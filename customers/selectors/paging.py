"""A searched list of customers' rows in customer order, paged by customer (`page_by_customer`, through
`lists.paginate_in_groups`): the count up to the cap and the groups of the page's customers, then their rows;
an Account manager's customers walked against theirs. Its steps are named functions here, each with why its
query has its shape on each database."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.core.paginator import Page
from django.db import connection
from django.db.models import Case, Count, Exists, F, IntegerField, OuterRef, QuerySet, Subquery, Value, When
from django.db.models.functions import Greatest

from customers.models import (
    Customer,
    CustomerSearch,
    CustomerSearchGram,
    LiveCustomerCount,
)
from customers.selectors.search import searched
from portal.core.lists import (
    Sorts,
    capped_count,
    kept_while_walked,
    merged_count,
    paginate_in_groups,
    searched_counts,
)

#: A short word is common, and a searched list counts its rows by a merge (`lists.merged_count`), when at least
#: one live customer in COMMON_SHARE has it, and COMMON_FLOOR customers: so many are spread over the whole key
#: range, and the merge walks a share of the rows' customer index that stays the same as the customers grow,
#: where probing each customer's rows would read two index pages per customer until the cap.
COMMON_SHARE = 100
COMMON_FLOOR = 100


def _common_word() -> QuerySet:
    """How many customers a short word must have to be common (`COMMON_SHARE`), from the row the database keeps
    (`LiveCustomerCount`): one value, read in the count's own query."""
    return LiveCustomerCount.objects.annotate(
        n=Greatest(Value(COMMON_FLOOR), F("live") / COMMON_SHARE)
    ).values("n")[:1]


def page_by_customer(
    rows: QuerySet,
    q: str,
    *,
    sorts: Sorts,
    sort: str,
    page: str | int | None,
    per_page: int,
    fields: Sequence[str] = (),
    row: Callable[..., Any] | None = None,
    key: str = "customer_id",
    live: bool = True,
    every_customer: bool = False,
    placed: bool = False,
    mine: QuerySet | None = None,
    dense: bool = False,
) -> Page | None:
    """One page of the `rows` (filtered but not searched, keyed by a customer's domainId at `key`: options,
    subscriptions, or the customers themselves with `key="domain_id"`) of the customers that match the search
    `q` (only those still in the API if `live`), in the order `sort` of `sorts`, whose columns must start with
    the customer's sort name and domainId (then anything within a customer; "-" for the customers in reverse).
    None when `q` has no word to search by.

    The lists' rule for a search (docs/lists.md), in three queries, each stopping early: the count up to the cap
    and the groups (`_counted_groups`), then the rows of the page's few customers (`_rows_of`). So the database
    never reads every customer a common word finds, nor sorts every matching row by a name read from the
    customers' wide rows (`python -m bench scale`, the lists searched by a common word).

    `every_customer=True`: `rows` are the customers themselves, narrowed by nothing but the search (and `live`):
    one row per customer found, so the count and the groups are read from the search table alone.

    `placed=True`: `rows` have no customer name to order by (rows keyed by a plain domainId, a month's invoice
    items): the page's rows are ordered by their customer's place among the page's customers, then by the
    columns of `sort` (the order within a customer).

    `mine`: the keys of an Account manager's customers (`managers_customers`), which `rows` are not narrowed to
    yet: the page is theirs, searched or not (`_page_of_managers_customers`).

    `dense=True`: almost every customer found has many rows (a document a month), so the count probes them
    (the cap is reached after a few dozen customers) and never merges along the rows' whole customer index (the
    issued-invoice search by a short word: `python -m bench scale`)."""
    sort = sorts.clean(sort)
    prefix = "" if key == "domain_id" else key.removesuffix("_id") + "__"
    if not placed and sorts.columns[sort.lstrip("-")][:2] != (f"{prefix}sort_name", key):
        raise ValueError(f"{sort!r} does not list rows by customer, so they cannot be paged by customer")
    found = searched(q, live=live)
    paged = {"sorts": sorts, "sort": sort, "page": page, "per_page": per_page, "fields": fields, "row": row}
    with searched_counts(found is not None):
        if mine is not None:
            return _page_of_managers_customers(
                rows, found, mine, key=key, live=live, every_customer=every_customer, **paged
            )
        if found is None:
            return None
        return _page_of_customers_found(
            rows, found, key=key, every_customer=every_customer, placed=placed, dense=dense, **paged
        )


def _page_of_customers_found(
    rows: QuerySet,
    found: QuerySet,
    *,
    sorts: Sorts,
    sort: str,
    key: str,
    every_customer: bool,
    placed: bool,
    dense: bool,
    **paged,
) -> Page:
    """`page_by_customer` of everyone's customers the search found: the count and the groups
    (`_counted_groups`), then the rows of the page's customers (`_rows_of`)."""
    total, groups = _counted_groups(
        rows,
        found,
        key=key,
        way="-" if sort.startswith("-") else "",
        every_customer=every_customer,
        dense=dense,
    )
    return paginate_in_groups(
        (lambda limit: groups[:limit]) if every_customer else (lambda limit: _first_groups(groups, limit)),
        _rows_of(rows, sorts=sorts, sort=sort, key=key, placed=placed),
        total=total,
        **paged,
    )


def _counted_groups(
    rows: QuerySet, found: QuerySet, *, key: str, way: str, every_customer: bool, dense: bool
) -> tuple[int, QuerySet]:
    """`page_by_customer`'s count and groups:

    * the count, up to the cap (`lists.capped_count`): the rows of the customers found, `IN` a subquery of the
      search table (or of the gram table, `customers_found`), along the customer key, so the database stops one
      row past the cap however many customers have the word. The gram table's customers of an unfiltered list
      are counted by `lists.merged_count` instead (unless `dense`): PostgreSQL, free to choose, probed the rows'
      customer index once per customer found (the Options list, a few options per customer), where a merge of
      the two indexes reads each page once; with a filter, checked on every row a merge walks, the probes cost
      less, and the planner chooses;
    * the groups: the customers found, in name order from the narrow search table (or the gram table's name
      index), each with its number of rows (one index probe each), only as many as the page needs
      (`lists.paginate_in_groups` with `total`). For a common word the database walks a name index and stops
      after the page's customers; a rare word's few customers are found by the trigram index and sorted (the
      planner chooses by the word's frequency, which ANALYZE samples)."""
    if every_customer:
        groups = found.annotate(n=Value(1)).order_by(f"{way}sort_name", f"{way}customer_id")
        return capped_count(found), groups.values_list("customer_id", "n")
    if found.model is CustomerSearchGram and not rows.query.where and not dense:
        # A short word's customers, in domainId order, and every row of theirs: a merge of two index walks
        # when the word is common, the planner's probes when it is not.
        total = merged_count(
            rows,
            key=key,
            among=found.values("customer_id").order_by("customer_id"),
            merge_from=_common_word(),
        )
    else:
        total = capped_count(rows.filter(**{f"{key}__in": found.values("customer_id")}), along=key)
    of_customer = rows.filter(**{key: OuterRef("customer_id")}).order_by()
    per_customer = (
        of_customer.values(key)
        # COUNT(*), not COUNT(pk): PostgreSQL then counts from the customer key's index alone, where
        # COUNT(pk) makes it visit each row for its key.
        .annotate(n=Count("*"))
        .values("n")
    )
    groups = found.annotate(n=Subquery(per_customer)).order_by(f"{way}sort_name", f"{way}customer_id")
    return total, _with_rows(groups).values_list("customer_id", "n")


def _rows_of(
    rows: QuerySet, *, sorts: Sorts, sort: str, key: str, placed: bool
) -> Callable[[list], QuerySet]:
    """The rows of a page's customers (their keys, in the page's order), in the order `sort` within each;
    `placed`: first by each customer's place among the page's (rows without a customer name to order by)."""

    def rows_of(keys: list) -> QuerySet:
        ordered = sorts.order(rows.filter(**{f"{key}__in": keys}), sort)
        if not placed:
            return ordered
        place = Case(
            *(When(**{key: k}, then=Value(i)) for i, k in enumerate(keys)), output_field=IntegerField()
        )
        return ordered.order_by(place, *ordered.query.order_by)

    return rows_of


def _page_of_managers_customers(
    rows: QuerySet,
    found: QuerySet | None,
    mine: QuerySet,
    *,
    sorts: Sorts,
    sort: str,
    key: str,
    live: bool,
    every_customer: bool,
    **paged,
) -> Page:
    """`page_by_customer` of an Account manager's customers `mine`, which `rows` are not narrowed to yet: the page
    is theirs, searched or not (without a word, the customers "found" are every customer of the search table).
    The customers found are walked in name order, each checked in a hash of theirs (`lists.kept_while_walked`),
    and only the manager's are probed for their rows: narrowed inside the groups' subquery instead, PostgreSQL
    probed the owners' index for every customer walked. The count is a merge of the rows' customer index with
    the manager's customers (those found, when searched) when they are many (`lists.merged_count`)."""
    way = "-" if sort.startswith("-") else ""
    among = found if found is not None else _searched_all(live)
    walked = among.filter(kept_while_walked("customer_id", mine))
    if every_customer:
        # The customers themselves, one row each: counted and listed from the search table alone.
        total = capped_count(among.filter(customer_id__in=mine))
        groups = walked.annotate(n=Value(1)).order_by(f"{way}sort_name", f"{way}customer_id")
        return paginate_in_groups(
            lambda limit: groups.values_list("customer_id", "n")[:limit],
            lambda keys: sorts.order(rows.filter(**{f"{key}__in": keys}), sort),
            total=total,
            **paged,
        )
    if found is None:
        gone = Customer.objects.filter(removed_at__isnull=False, domain_id=OuterRef(key))
        theirs = rows.filter(~Exists(gone)) if live else rows
        if rows.query.where:
            total = capped_count(theirs.filter(**{f"{key}__in": mine}), along=key)
        else:
            keys = mine.order_by("customer_id")
            total = merged_count(theirs, key=key, among=keys, merge_from=_common_word())
    elif rows.query.where:
        owned = rows.filter(**{f"{key}__in": found.values("customer_id")}).filter(**{f"{key}__in": mine})
        total = capped_count(owned, along=key)
    else:
        # The manager's customers the word finds, in domainId order, merged with the rows' customer index when
        # they are many (`lists.merged_count`): probed, each cost two index pages until the cap.
        keys = found.filter(customer_id__in=mine).values("customer_id").order_by("customer_id")
        total = merged_count(rows, key=key, among=keys, merge_from=_common_word())
    of_customer = rows.filter(**{key: OuterRef("customer_id")}).order_by()
    per_customer = of_customer.values(key).annotate(n=Count("*")).values("n")
    groups = _with_rows(
        walked.annotate(n=Subquery(per_customer)).order_by(f"{way}sort_name", f"{way}customer_id")
    ).values_list("customer_id", "n")
    return paginate_in_groups(
        lambda limit: _first_groups(groups, limit),
        lambda keys: sorts.order(rows.filter(**{f"{key}__in": keys}), sort),
        total=total,
        **paged,
    )


def _with_rows(groups: QuerySet) -> QuerySet:
    """`groups` (customers in a list's order, each with its number of rows `n`, a count probed per customer)
    without the customers that have no rows, in the shape each database plans well; a query's shape is chosen
    by `connection.vendor` here, in one named function. PostgreSQL leaves them out as it reads the groups
    (`_first_groups`), so each customer's rows are probed once, for their count; SQLite filters on the count.
    An `EXISTS` of the customer's rows beside the count probed them twice, the most of a searched list's work
    once its page is full (`python -m bench scale`, the lists searched)."""
    return groups if connection.vendor == "postgresql" else groups.filter(n__gt=0)


def _first_groups(groups: QuerySet, rows: int) -> list[tuple[Any, int]]:
    """The first of `groups` (`_with_rows`: customer and number of rows) that have rows, as many as hold the
    list's first `rows` rows (`lists.paginate_in_groups`), in the shape each database plans well; a query's
    shape is chosen by `connection.vendor` here, in one named function. On PostgreSQL the groups that have rows
    are read in their order, at most `rows` of them (a limit, so the planner walks the customers' name index),
    each spread into its rows (`generate_series(1, n)`), and the database stops after `rows` of those: it counts
    the rows of only the customers the page needs, each once, where reading the first `rows` groups probed a
    customer for each row of the page (25 customers for a page of 25 rows, 3 each, that 9 hold). SQLite reads
    the first `rows` customers with rows."""
    if connection.vendor != "postgresql":
        return list(groups[:rows])
    sql, params = groups.query.sql_with_params()
    first = f"SELECT * FROM ({sql} OFFSET 0) grouped WHERE grouped.n > 0 LIMIT %s"
    with connection.cursor() as cursor:
        # `first` as a CTE of its own (MATERIALIZED): planned as the query it was alone (the planner weighs the
        # name index against the trigram index by the word), read only as far as the rows need it. As a subquery
        # joined to the series, it walked the name index for a rare word too (every customer for one found).
        # Rows in the groups' order, as the CTE's come (a nested loop over them).
        cursor.execute(
            f"WITH first AS MATERIALIZED ({first}) SELECT f.key_, f.n, row_ FROM first f (key_, n) "
            "CROSS JOIN LATERAL generate_series(1, f.n) AS row_ LIMIT %s",
            (*params, rows, rows),
        )
        return [(key, n) for key, n, row_ in cursor.fetchall() if row_ == 1]


def _searched_all(live: bool) -> QuerySet:
    """Every customer of the search table (those still in the API if `live`): what a list "finds" unsearched."""
    return CustomerSearch.objects.filter(live=True) if live else CustomerSearch.objects.all()
