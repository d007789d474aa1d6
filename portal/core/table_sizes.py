"""How big each table with a retention rule is, how fast it grows, and when it reaches the size the Admins watch
for (`TABLE_SIZE_WATCH_GB`): measured by the nightly housekeeping (`measure`, before it removes anything) and
read by the Data kept page from two small tables (`TableSize`, `TableGrowth`), so opening the page never counts a
table.

- Rows and bytes: on PostgreSQL from the catalogue (`reltuples`, the planner's estimate, counted below
  `COUNTED_BELOW` rows, and `pg_total_relation_size`, indexes and TOAST included), summed over the leaves of
  `pg_partition_tree`, so a table partitioned by month reads as one; on SQLite counted, and its pages read from
  `dbstat` when SQLite has it.
- Rows added per month: each month is counted once, after it ended, by its rule's date (an index range read of
  one month); a month older than the rule keeps is never counted (some of its rows may have left already).
- When the watched size is reached: the table grows by its last three counted months a month (at the bytes a row
  takes now) until it holds what its longest rule keeps; a table whose rows leave before that size is said to
  level off under it."""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone

from portal.core import clock
from portal.core.retention import Retention, rules

#: A table (or partition) the planner estimates below this many rows is counted instead (a bounded read): the
#: estimate of a small or new table may be far off, or not made yet.
COUNTED_BELOW = 100_000
#: Months of growth a projection averages.
AVERAGED = 3
#: Months back a table's growth is counted on the first measure.
BACKFILL = 12
GIB = 1024**3

logger = logging.getLogger(__name__)


def _months_after(month: dt.date, n: int) -> dt.date:
    """The first day of the month `n` months after `month`'s (before it when `n` is negative)."""
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def measured() -> dict[str, list[Retention]]:
    """The tables with a retention rule ({db_table: its rules}), in the rules' order."""
    tables: dict[str, list[Retention]] = {}
    for rule in rules():
        tables.setdefault(rule.model_class._meta.db_table, []).append(rule)
    return tables


def _size(model: type[models.Model]) -> tuple[int | None, int | None]:
    """(rows, bytes) of the model's table now."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # A partitioned table's leaves (pg_partition_tree lists none for a plain table: then the table), each
            # with the planner's estimate of its rows (-1 before any ANALYZE) and its bytes.
            cursor.execute(
                "WITH leaves AS (SELECT relid FROM pg_partition_tree(%s::regclass) WHERE isleaf)"
                " SELECT c.oid::regclass::text, c.reltuples, pg_total_relation_size(c.oid) FROM pg_class c"
                " WHERE c.oid IN (SELECT relid FROM leaves)"
                " OR (c.oid = %s::regclass AND NOT EXISTS (SELECT 1 FROM leaves))",
                [connection.ops.quote_name(table)] * 2,
            )
            rows = size = 0
            for leaf, estimate, leaf_size in cursor.fetchall():
                if estimate < COUNTED_BELOW:  # small, or never analysed: counted (a bounded read)
                    cursor.execute(f"SELECT COUNT(*) FROM {leaf}")
                    estimate = cursor.fetchone()[0]
                rows, size = rows + int(estimate), size + int(leaf_size)
            return int(rows), int(size)
        rows = models.QuerySet(model=model).count()
        if connection.vendor != "sqlite":
            return rows, None
        try:
            cursor.execute(
                "SELECT SUM(pgsize) FROM dbstat WHERE name = %s"
                " OR name IN (SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = %s)",
                [table, table],
            )
        except Exception:  # SQLite built without the dbstat table
            return rows, None
        return rows, int(cursor.fetchone()[0] or 0)


def _count_month(rule: Retention, month: dt.date) -> int:
    field = rule.model_class._meta.get_field(rule.date_field)
    start, end = month, _months_after(month, 1)
    if isinstance(field, models.DateTimeField):
        start, end = clock.midnight(start), clock.midnight(end)
    return (
        models.QuerySet(model=rule.model_class)
        .filter(**{f"{rule.date_field}__gte": start, f"{rule.date_field}__lt": end})
        .count()
    )


def measure(today: dt.date | None = None) -> None:
    """Measure each table with a rule and count the rows of each ended month not counted yet (the nightly
    housekeeping, before it removes anything)."""
    day = today or clock.today()
    for table, table_rules in measured().items():
        try:
            with transaction.atomic():
                _measure(table, table_rules, day)
        except Exception:
            # One table's failure must not keep the others' figures (nor the housekeeping) from the page.
            logger.exception("measuring %s failed", table)


def _measure(table: str, table_rules: list[Retention], day: dt.date) -> None:
    from portal.core.models import TableGrowth, TableSize

    this_month = day.replace(day=1)
    rule = table_rules[0]
    rows, size = _size(rule.model_class)
    TableSize.objects.update_or_create(
        table=table, defaults={"rows": rows, "bytes": size, "measured_at": timezone.now()}
    )
    counted = set(TableGrowth.objects.filter(table=table).values_list("month", flat=True))
    # What every rule of the table still keeps whole: a month since the latest cutoff.
    kept_from = max(r.keep.cutoff(day) for r in table_rules)
    oldest = (
        models.QuerySet(model=rule.model_class)
        .filter(**{f"{rule.date_field}__isnull": False})
        .order_by(rule.date_field)
        .values_list(rule.date_field, flat=True)
        .first()
    )
    if isinstance(oldest, dt.datetime):
        oldest = timezone.localtime(oldest, clock.midnight(day).tzinfo).date()
    month = _months_after(this_month, -BACKFILL)
    if oldest is not None:
        month = max(month, oldest.replace(day=1))
    while month < this_month:
        if month not in counted and month >= kept_from:
            TableGrowth.objects.create(table=table, month=month, rows=_count_month(rule, month))
        month = _months_after(month, 1)


@dataclass
class Shown:
    """One table as the Data kept page shows it."""

    table: str
    name: Any
    rows: int | None
    bytes: int | None
    measured_at: dt.datetime | None
    growth: list[tuple[dt.date, int]]
    #: The month the table reaches the watched size (None: see `levels_off`, `over`, or not known yet).
    reaches: dt.date | None = None
    #: It levels off under the watched size, at about this many bytes.
    levels_off: int | None = None
    over: bool = False


def _keep_months(table_rules: list[Retention], today: dt.date) -> float:
    """How many months a row written today stays: the longest of the table's rules."""
    return max((r.removal_date(today) - today).days for r in table_rules) / (365.25 / 12)


def shown(today: dt.date | None = None) -> dict[str, Any]:
    """Each table with a rule: rows, bytes, the rows it gained in each of its last counted months and when it
    reaches the watched size. Two reads of two small tables."""
    from portal.core.models import TableGrowth, TableSize

    day = today or clock.today()
    watched = int(settings.TABLE_SIZE_WATCH_GB * GIB)
    tables = measured()
    sizes = {size.table: size for size in TableSize.objects.filter(table__in=list(tables))}
    growth: dict[str, list[tuple[dt.date, int]]] = {}
    for table, month, rows in (
        TableGrowth.objects.filter(table__in=list(tables), month__gte=_months_after(day.replace(day=1), -13))
        .order_by("table", "month")
        .values_list("table", "month", "rows")
    ):
        growth.setdefault(table, []).append((month, rows))
    out = []
    for table, table_rules in tables.items():
        size = sizes.get(table)
        months = growth.get(table, [])[-AVERAGED:]
        # The rules' name for the table when they agree on one (LINE WORKS invoices), else the model's.
        names = {str(r.table) for r in table_rules if r.table}
        line = Shown(
            table=table,
            name=table_rules[0].table
            if len(names) == 1 and all(r.table for r in table_rules)
            else table_rules[0].model_class._meta.verbose_name_plural,
            rows=size.rows if size else None,
            bytes=size.bytes if size else None,
            measured_at=size.measured_at if size else None,
            growth=months,
        )
        if line.bytes is not None and line.bytes >= watched:
            line.over = True
        elif line.bytes is not None and line.rows and months:
            per_row = line.bytes / line.rows
            per_month = sum(rows for _month, rows in months) / len(months) * per_row
            steady = per_month * _keep_months(table_rules, day)
            if per_month <= 0 or steady < watched:
                line.levels_off = max(int(steady), line.bytes)
            else:
                ahead = math.ceil((watched - line.bytes) / per_month)
                line.reaches = _months_after(day.replace(day=1), ahead)
        out.append(line)
    return {"tables": out, "watched": watched, "watched_gb": settings.TABLE_SIZE_WATCH_GB}
