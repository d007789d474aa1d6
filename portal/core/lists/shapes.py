"""Query shapes each database plans well, chosen by `connection.vendor` in one named function each."""

from __future__ import annotations

from collections.abc import Callable, Collection

from django.db import connection, models
from django.db.models import ExpressionWrapper, F, Func, Lookup, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL

from portal.core.lists.paging import count_cap


def merged_count(qs: QuerySet, *, key: str, among: QuerySet, merge_from: QuerySet | None = None) -> int:
    """How many rows of `qs` have their `key` among the values of `among` (a query of one column in that
    column's order, such as the gram table's customers of a word by its domainId index), counted up to one past
    the cap as `capped_count` counts, in one query whose shape the number of values decides:

    * many values (at least `merge_from`'s one value, a query of one row and column; without it, or when it
      finds no row, more than the cap): `qs`'s keys in their order, read as a subquery the database plans apart
      (`OFFSET 0`, which it neither merges into the outer query nor probes by a value from it), merged with
      `among` along the key. Both sides are walks of an index in key order, each page read once, and the walk
      stops one past the cap, or at the last value. Given `key IN (among)`, PostgreSQL probed `qs`'s key index
      once per value until the cap, two index pages each (the Options list searched by a common word:
      `python -m bench scale`);
    * fewer: the rows of `qs` with their key among the values, in no order, which the planner shapes. Probes
      then cost two pages per value at most, and stop one row past the cap (ordered by the key, PostgreSQL
      probed every value, then sorted: an Account manager's list searched by a common word); a merge would
      walk `qs`'s key index from its start to the last value, however few the values and however long the
      index.

    The caller picks `merge_from` so that values that many are a fair share of the keys: the merge then reaches
    the cap, or the last value, after a share of the index that does not grow with it. PostgreSQL runs only the
    branch the first count chooses (each branch is a subplan run when first needed)."""
    cap = count_cap() + 1
    inner = qs.order_by(key).annotate(_merged_key=F(key)).values("_merged_key")
    inner_sql, inner_params = inner.query.sql_with_params()
    among_sql, among_params = among.query.sql_with_params()
    probed = qs.filter(**{f"{key}__in": among}).order_by().values("pk")[:cap]
    probed_sql, probed_params = probed.query.sql_with_params()
    threshold, threshold_params = "%s", [cap]
    if merge_from is not None:
        from_sql, from_params = merge_from.query.sql_with_params()
        threshold, threshold_params = f"COALESCE(({from_sql}), %s)", [*from_params, cap]
    # SQLite takes no OFFSET without a LIMIT.
    apart = "OFFSET 0" if connection.vendor == "postgresql" else "LIMIT -1 OFFSET 0"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT CASE WHEN (SELECT COUNT(*) FROM ({among_sql} LIMIT %s) values_) < {threshold} "
            f"THEN (SELECT COUNT(*) FROM ({probed_sql}) probed) "
            f"ELSE (SELECT COUNT(*) FROM (SELECT 1 FROM ({inner_sql} {apart}) merged "
            f'WHERE merged."_merged_key" IN ({among_sql}) ORDER BY merged."_merged_key" LIMIT %s) capped) END',
            (*among_params, cap, *threshold_params, *probed_params, *inner_params, *among_params, cap),
        )
        return int(cursor.fetchone()[0])


# --- Keys computed first ---------------------------------------------------------------------------------------


class _AmongSubquery(Lookup):
    """A test of `key` against a subquery's keys, written as `template` (`{key}`, `{keys}`: the subquery in its
    parentheses)."""

    template = ""

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = compiler.compile(self.rhs)
        return self.template.format(key=lhs, keys=rhs), (*lhs_params, *rhs_params)


class _InArray(_AmongSubquery):
    """`key = ANY(ARRAY(subquery))`: PostgreSQL computes the subquery once, before the query, then reads the rows
    of those keys."""

    lookup_name = "in_array"
    template = "{key} = ANY(ARRAY{keys})"


def computed_first(key: str, found: QuerySet) -> Q | _InArray:
    """A condition: rows whose `key` is among the values of `found` (a query of one column, a short list), in
    the shape each database plans well; a query's shape is chosen by `connection.vendor` here, in one named
    function. PostgreSQL, given `IN (subquery)`, may read the whole table to join it to the subquery's few
    keys (its estimate of them is a guess); given the keys computed first as an array, it reads those rows by
    their index. SQLite plans `IN (subquery)` that way by itself. The customer search
    (`customers.selectors.search.among`) and the calendar's first items of each day
    (`schedule.sources.first_of_each_day`) read so."""
    if connection.vendor == "postgresql":
        return _InArray(F(key), Subquery(found))
    return Q(**{f"{key}__in": found})


class _InHashed(_AmongSubquery):
    """`(key IN (subquery)) IS TRUE`: a test PostgreSQL cannot turn into a join, so it runs the subquery once,
    into a hash (a hashed subplan), and each row read is a lookup in it."""

    lookup_name = "in_hashed"
    template = "({key} IN {keys}) IS TRUE"


def planned_apart(key: str, found: QuerySet) -> Q | _InHashed:
    """A condition: rows whose `key` is among the values of `found` (a query of one column: the keys of an Account
    manager's customers, or of the customers a search finds), their keys read once into a hash and each row read
    looked up in it, in the shape each database plans well; a query's shape is chosen by `connection.vendor` here,
    in one named function. Given `key IN (subquery)`, PostgreSQL makes a join of it, and for rows read in their own
    index's order up to a limit it may probe the subquery's index once per row read (two pages each: an Account
    manager's worklist section read every trial in its dates to keep theirs), or compare each row read with every
    key of the subquery (an Account manager's Activity page compared each entry it walked with each of their
    customers' keys: much work on few buffers, `bench.scale.rows_handled`). Given the test as one it cannot make a
    join of, it hashes the keys once. SQLite plans `IN (subquery)` that way by itself. The worklist's sections
    narrow so (`by_customer_filters(apart=True)`), and the lists whose rows are few for every customer (findings,
    issued invoices) search so; the lists of customers' subscriptions and options keep the join, which they plan
    better (`python -m bench scale`)."""
    if connection.vendor == "postgresql":
        return _InHashed(F(key), Subquery(found))
    return Q(**{f"{key}__in": found})


#: A search that finds at most this many customers names them in the query that reads their rows (`few_found`).
FEW_FOUND = 50


def few_found(found: QuerySet) -> list | None:
    """The values of `found` (a query of one column: the customers a search finds) when it has at most
    `FEW_FOUND` of them, read first, one past that many at most; None when it has more. None without a read when
    `found`'s model says its keys are many (`many_found`: the customers of a common word, whose first ones
    would cost a read of them all)."""
    if getattr(found.model, "many_found", False):
        return None
    keys = list(found.values_list(*found.query.values_select, flat=True)[: FEW_FOUND + 1])
    return keys if len(keys) <= FEW_FOUND else None


def among_found(key: str, found: QuerySet) -> Q | _InHashed:
    """A condition: rows whose `key` is among the customers a search finds (`found`, a query of one column). A
    search that finds few (a customer's name, domain or code) names them (`few_found`), so the database reads
    those customers' rows by an index of their customer, however many rows the list has; one that finds more (a
    common word, a legal form) has them planned apart (`planned_apart`), hashed while the list's index is walked
    in its order. Planned apart, a search for one customer walked every row of the list to keep that customer's
    (`python -m bench scale`, the month's findings of one customer)."""
    keys = few_found(found)
    return planned_apart(key, found) if keys is None else Q(**{f"{key}__in": keys})


def count_read_first(qs: QuerySet, narrow: Callable[..., QuerySet], *, key: str) -> int:
    """How many rows of `qs` (a few: today's, say) `narrow(qs, key=)` keeps (the worklist's choice of whose
    customers), in the shape each database plans well; a query's shape is chosen by `connection.vendor` here, in
    one named function. PostgreSQL, given `qs` narrowed by a subquery of an Account manager's customers, walked
    those customers and probed `qs`'s table once for each (a home figure as an Account manager read today's
    changes of each of their customers, more as they have more customers); here `qs`'s
    rows are read first (a materialized CTE, named as their table so that the narrowing's query reads them, not
    the table), then narrowed by a hash of the customers. SQLite plans `IN (subquery)` so by itself."""
    narrowed = narrow(qs.model._default_manager.all(), key=key)
    if connection.vendor != "postgresql" or not narrowed.query.where:
        return narrow(qs, key=key).count()
    pk = qs.model._meta.pk.attname
    first_sql, first_params = qs.order_by().values(pk, key).query.sql_with_params()
    narrowed_sql, narrowed_params = narrowed.order_by().values(pk).query.sql_with_params()
    with connection.cursor() as cursor:
        # Without RECURSIVE, the CTE's own query reads the table; the outer query reads the CTE.
        cursor.execute(
            f'WITH "{qs.model._meta.db_table}" AS MATERIALIZED ({first_sql}) '
            f"SELECT COUNT(*) FROM ({narrowed_sql}) narrowed",
            (*first_params, *narrowed_params),
        )
        return int(cursor.fetchone()[0])


class _IsTrue(Func):
    template = "(%(expressions)s) IS TRUE"
    output_field = models.BooleanField()


def kept_while_walked(key: str, found: QuerySet | RawSQL) -> Q | Func:
    """The rows whose `key` is among `found` (a query of one column: an Account manager's customers' keys, the
    customers a search found), as
    a filter a list read in its own index's order applies to each row as it walks and stops after its page: the
    keys read once into a hash, each row a lookup in it. PostgreSQL turns `key IN (subquery)` into a join: for
    the Customers list as "Mine" it walked the names and probed the owners' index once per customer walked (many
    customers walked for each one on the page), and planned apart (`planned_apart`) it joins every
    customer before sorting them; the comparison `(key IN (subquery)) IS TRUE` it keeps as a filter (a hashed
    SubPlan). SQLite plans `IN (subquery)` that way by itself. A count keeps the join, which reads from the
    keys (`customers.selectors.customer_page`). The hash must fit in the server's hash memory (`work_mem` times
    `hash_mem_multiplier`: 8 MB by default, about 150,000 keys), or PostgreSQL reads the keys again for each
    row."""
    return _tested_in_hash(key, found)


def read_in_one_pass(key: str, values: Collection) -> Q | Func:
    """A condition: rows whose `key` is among `values` (the keys of a page's rows: hundreds), the table read in
    one pass and each row looked up in a hash of the values, in the shape each database plans well; a query's
    shape is chosen by `connection.vendor` here, in one named function. For a table the same request reads
    whole anyway (direct debit's active accounts, which choose its invoices), a pass costs its pages once more;
    given `key IN (values)`, PostgreSQL probes the key's index once per value past some size of the table, two
    or three pages each: more pages than the table has, for a page of hundreds of rows (`python -m bench scale`,
    direct debit). A table the request does not read whole wants its rows by key (`computed_first`). SQLite
    plans `IN (values)` well by itself. `values` must not be empty."""
    return _tested_in_hash(key, list(values))


def _tested_in_hash(key: str, among: QuerySet | RawSQL | list) -> Q | Func:
    """`(key IN (among)) IS TRUE` on PostgreSQL: a test it keeps as a filter on each row read, `among` hashed once
    (`kept_while_walked`, `read_in_one_pass`); plain `key IN (among)` on SQLite."""
    if connection.vendor == "postgresql":
        return _IsTrue(ExpressionWrapper(Q(**{f"{key}__in": among}), output_field=models.BooleanField()))
    return Q(**{f"{key}__in": among})
