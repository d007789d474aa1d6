"""Tables partitioned by month on PostgreSQL, so a month of history leaves by dropping its partition instead of
millions of DELETEs. SQLite keeps plain tables.

Partitioned (each by its retention rule's date, the rule saying `partitioned=True`): the option usage (~45 M rows
a year at 50,000 customers, options migration 0005) and the usage snapshots (6.8 M written a year, billing
migration 0012). Left plain: the audit entries (2 M a year): every month holds issuing entries the legal minimum
keeps 7 years, so no month could be dropped before then while the rest leaves at two years by DELETE anyway, and
the Activity page's reads by time across every partition would merge each month's index; the sync runs (0.6 M a
year, kept 90 days: three months of rows a DELETE in batches removes easily).

Why PostgreSQL's native declarative partitioning (`PARTITION BY RANGE`), made by a migration operation
(`PartitionByMonth`) and kept by the nightly housekeeping, and not a library:
- django-postgres-extra (psqlextra) does it for Django 5.2, but only through its own database backend
  (`ENGINE: psqlextra.backend`) and its own model base class (`PostgresPartitionedModel`): the house's settings
  take the database from `DATABASE_URL` through django-environ (SQLite by default), so every set-up, the test
  databases and the SQLite default would have to change for a dozen lines of DDL;
- pg_partman is a server extension, not on a stock PostgreSQL nor on every managed one, and its background
  worker would be a second scheduler beside Celery beat.
Native partitioning needs neither: PostgreSQL 11 and later route inserts (and COPY) through the parent, keep the
indexes on each partition, and allow identity columns on the parent.

The model's state in Django does not change (its `id` stays the primary key for the ORM): on PostgreSQL the
table's primary key and each unique constraint also hold the partition column, as PostgreSQL requires; `id`
stays unique in practice because one identity sequence gives it. Nothing may point a foreign key at a partitioned
table's `id` (PostgreSQL refuses a reference to a column not unique on its own): `PartitionByMonth` stops on a
table someone refers to, so only tables nothing refers to are partitioned.

Each month is a partition named `<table>_pYYYYMM` holding [its first day, the next month's first day) of the
partitioning column (a date, or a time: then at midnight in BUSINESS_TIME_ZONE); a DEFAULT partition
(`<table>_default`) takes any row outside the months made. The migration makes the months its rows have and this
month and the next MONTHS_AHEAD - 1; the housekeeping makes the months ahead each night (`make_ahead`), so an
insert never lands in DEFAULT in normal running; a month made later takes its rows out of DEFAULT
(`make_month`).

The conversion rewrites the table under an ACCESS EXCLUSIVE lock (no write to it until the migration ends), in
time proportional to its rows: a large table's migration (and the way back) wants a quiet window.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from django.db import connections, models, router, transaction
from django.db.migrations.operations.base import Operation
from django.db.models import Q

from portal.core import clock

#: Months made ahead: this month and the next two.
MONTHS_AHEAD = 3


def _first(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    """The first day of the month after `month`'s."""
    return dt.date(month.year + month.month // 12, month.month % 12 + 1, 1)


def month_name(table: str, month: dt.date) -> str:
    return f"{table}_p{month:%Y%m}"


def default_name(table: str) -> str:
    return f"{table}_default"


def _connection(model: type[models.Model]):
    return connections[router.db_for_write(model)]


def _column(model: type[models.Model], field_name: str) -> models.Field:
    return model._meta.get_field(field_name)


def _bound(field: models.Field, month: dt.date) -> str:
    """The SQL literal of the first instant of `month` in `field`'s type."""
    if isinstance(field, models.DateTimeField):
        return f"'{clock.midnight(month).isoformat()}'"
    return f"'{month.isoformat()}'"


def _value(field: models.Field, month: dt.date):
    return clock.midnight(month) if isinstance(field, models.DateTimeField) else month


def is_partitioned(model: type[models.Model], connection=None) -> bool:
    """Whether `model`'s table is partitioned on `connection` (by default the model's; never on SQLite)."""
    connection = connection or _connection(model)
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
            "WHERE c.oid = to_regclass(%s)",
            [model._meta.db_table],
        )
        return cursor.fetchone() is not None


def months(model: type[models.Model]) -> list[dt.date]:
    """The first days of the months `model`'s table has a partition of, oldest first."""
    table = model._meta.db_table
    with _connection(model).cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(%s)",
            [table],
        )
        names = [name for (name,) in cursor.fetchall()]
    pattern = re.compile(rf"^{re.escape(table)}_p(\d{{4}})(\d{{2}})$")
    found = (pattern.match(name) for name in names)
    return sorted(dt.date(int(m[1]), int(m[2]), 1) for m in found if m)


def oldest_month(model: type[models.Model], field_name: str):
    """The oldest row's date of a partitioned table, to its month: the first instant of the oldest month whose
    partition holds a row (a probe of one row per month, oldest first), or the oldest row DEFAULT holds when that
    is older (DEFAULT holds only the rows outside the months made: a few). None when no row is left. A month
    leaves whole (`drop_months`), so its first day gives the day the oldest row may be removed as its own date
    would; reading that date itself would read the whole month."""
    table = model._meta.db_table
    quote = _connection(model).ops.quote_name
    column = quote(_column(model, field_name).column)
    with _connection(model).cursor() as cursor:
        cursor.execute(f"SELECT min({column}) FROM {quote(default_name(table))}")
        found = cursor.fetchone()[0]
        for month in months(model):
            first = _value(_column(model, field_name), month)
            if found is not None and found < first:
                break
            cursor.execute(f"SELECT 1 FROM {quote(month_name(table, month))} LIMIT 1")
            if cursor.fetchone() is not None:
                return first
    return found


def make_month(model: type[models.Model], field_name: str, month: dt.date) -> bool:
    """Make the partition of `month` unless it exists; the rows of that month DEFAULT holds move into it. Returns
    whether it was made."""
    month = _first(month)
    if month in months(model):
        return False
    field = _column(model, field_name)
    connection = _connection(model)
    qn = connection.ops.quote_name
    table, name = model._meta.db_table, month_name(model._meta.db_table, month)
    low, high = _bound(field, month), _bound(field, next_month(month))
    column = qn(field.column)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        # Wait for a lock a little only; the next night tries again.
        cursor.execute("SET LOCAL lock_timeout = '10s'")
        cursor.execute(
            f"SELECT 1 FROM {qn(default_name(table))} WHERE {column} >= {low} AND {column} < {high} LIMIT 1"
        )
        if cursor.fetchone() is None:
            cursor.execute(
                f"CREATE TABLE {qn(name)} PARTITION OF {qn(table)} FOR VALUES FROM ({low}) TO ({high})"
            )
        else:
            # PostgreSQL refuses a partition whose rows DEFAULT holds: they move to the new table, then it is
            # attached (its indexes are made as it is attached).
            cursor.execute(
                f"CREATE TABLE {qn(name)} (LIKE {qn(table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
            )
            cursor.execute(
                f"WITH moved AS (DELETE FROM {qn(default_name(table))} "
                f"WHERE {column} >= {low} AND {column} < {high} RETURNING *) "
                f"INSERT INTO {qn(name)} SELECT * FROM moved"
            )
            cursor.execute(
                f"ALTER TABLE {qn(table)} ATTACH PARTITION {qn(name)} FOR VALUES FROM ({low}) TO ({high})"
            )
    return True


def make_months(model: type[models.Model], field_name: str, first: dt.date, last: dt.date) -> int:
    """Make the partitions of every month from `first`'s to `last`'s (the bench seed's history, before its COPY).
    Returns how many were made."""
    made, month = 0, _first(first)
    while month <= last:
        made += make_month(model, field_name, month)
        month = next_month(month)
    return made


def make_ahead(model: type[models.Model], field_name: str, today: dt.date) -> int:
    """The nightly step: this month's partition and the next MONTHS_AHEAD - 1 months', and one for each month
    DEFAULT holds rows of (a row stored for a month older than the partitions), so DEFAULT stays empty and each
    month can leave whole."""
    last = _first(today)
    for _ in range(MONTHS_AHEAD - 1):
        last = next_month(last)
    made = make_months(model, field_name, today, last)
    connection = _connection(model)
    qn = connection.ops.quote_name
    field = _column(model, field_name)
    with connection.cursor() as cursor:
        strays = _months_present(cursor, qn(default_name(model._meta.db_table)), qn(field.column), field)
    return made + sum(make_month(model, field_name, month) for month in strays)


def drop_months(
    model: type[models.Model],
    field_name: str,
    before: dt.date,
    kept: Q | None,
    *,
    before_drop: Callable[[models.QuerySet], None] | None = None,
) -> dict[dt.date, int]:
    """Detach and drop every month partition wholly before `before` (the rule's cutoff: rows dated before it may
    go) that holds no row `kept` matches (another rule's rows, or rows not removable yet); `before_drop` (the
    rule's roll-up) is given the month's rows first, in the same transaction. Returns the rows each dropped month
    held; a month that could not go is left to the rule's DELETE in batches."""
    field = _column(model, field_name)
    connection = _connection(model)
    qn = connection.ops.quote_name
    table = model._meta.db_table
    dropped: dict[dt.date, int] = {}
    for month in months(model):
        if next_month(month) > before:
            break
        rows = models.QuerySet(model=model).filter(
            **{
                f"{field_name}__gte": _value(field, month),
                f"{field_name}__lt": _value(field, next_month(month)),
            }
        )
        if kept is not None and rows.filter(kept).exists():
            continue
        name = qn(month_name(table, month))
        with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '10s'")
            cursor.execute(f"SELECT count(*) FROM {name}")
            (count,) = cursor.fetchone()
            if before_drop is not None and count:
                before_drop(rows)
            # Rows written earlier in the same transaction (a test's) still have their deferred foreign-key checks
            # pending, and PostgreSQL drops no table with pending trigger events: they are run first (Django's
            # own way, as after loading fixtures).
            connection.check_constraints()
            cursor.execute(f"ALTER TABLE {qn(table)} DETACH PARTITION {name}")
            cursor.execute(f"DROP TABLE {name}")
        dropped[month] = count
    return dropped


# --- The conversion (the migration) ---------------------------------------------------------------------------------


def _constraints(cursor, table: str) -> list[tuple[str, str, str, list[str]]]:
    """The table's primary key, unique, exclusion and foreign-key constraints: name, type, definition, columns."""
    cursor.execute(
        "SELECT con.conname, con.contype, pg_get_constraintdef(con.oid), "
        "  ARRAY(SELECT a.attname FROM pg_attribute a WHERE a.attrelid = con.conrelid AND a.attnum = ANY(con.conkey)) "
        "FROM pg_constraint con WHERE con.conrelid = to_regclass(%s) AND con.contype IN ('p', 'u', 'x', 'f') "
        "ORDER BY con.contype DESC, con.conname",
        [table],
    )
    return [(name, kind, definition, list(cols)) for name, kind, definition, cols in cursor.fetchall()]


def _indexes(cursor, table: str) -> list[tuple[str, str, bool, list[str]]]:
    """The table's indexes that no constraint owns: name, definition, unique, columns."""
    cursor.execute(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid), i.indisunique, "
        "  ARRAY(SELECT a.attname FROM pg_attribute a WHERE a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)) "
        "FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE i.indrelid = to_regclass(%s) "
        "  AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid) "
        "ORDER BY c.relname",
        [table],
    )
    return [(name, definition, unique, list(cols)) for name, definition, unique, cols in cursor.fetchall()]


def _referred_to_by(cursor, table: str) -> list[str]:
    cursor.execute(
        "SELECT conrelid::regclass::text FROM pg_constraint WHERE contype = 'f' AND confrelid = to_regclass(%s) "
        "AND conrelid <> confrelid",
        [table],
    )
    return [name for (name,) in cursor.fetchall()]


def _months_present(cursor, table: str, column: str, field: models.Field) -> list[dt.date]:
    if isinstance(field, models.DateTimeField):
        # The month of a time in the business time zone, as the partitions' bounds are.
        month_of = f"date_trunc('month', timezone('{_zone()}', {column}))"
    else:
        month_of = f"date_trunc('month', {column})"
    cursor.execute(f"SELECT DISTINCT {month_of}::date FROM {table}")
    return sorted(month for (month,) in cursor.fetchall())


def _zone() -> str:
    from django.conf import settings

    return settings.BUSINESS_TIME_ZONE


def _rebuild(schema_editor, model: type[models.Model], field_name: str, *, partition: bool) -> None:
    """Rebuild `model`'s table partitioned by month of `field_name` (or, `partition=False`, plain again), rows,
    identity sequence, constraints and indexes kept: renamed aside, made anew, its rows moved, the old one dropped,
    then its primary key (with the partition column, or without it again), unique constraints, indexes and foreign
    keys made again under their names."""
    connection = schema_editor.connection
    qn = connection.ops.quote_name
    field = _column(model, field_name)
    pk = model._meta.pk.column
    table, column = model._meta.db_table, field.column
    old = f"{table}_before"
    cursor = connection.cursor()
    cursor.execute(f"LOCK TABLE {qn(table)} IN ACCESS EXCLUSIVE MODE")
    if partition:
        referring = _referred_to_by(cursor, table)
        if referring:
            raise ValueError(f"{table} cannot be partitioned: {', '.join(referring)} refer to it")
    constraints, indexes = _constraints(cursor, table), _indexes(cursor, table)
    for name, kind, _definition, cols in constraints:
        if partition and kind in ("u", "x") and column not in cols:
            raise ValueError(f"{table} cannot be partitioned by {column}: {name} does not hold it")
    for name, _definition, unique, cols in indexes:
        if partition and unique and column not in cols:
            raise ValueError(f"{table} cannot be partitioned by {column}: {name} does not hold it")
    cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
    (sequence,) = cursor.fetchone()
    cursor.execute(
        "SELECT attidentity <> '' FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attname = %s",
        [table, pk],
    )
    (identity,) = cursor.fetchone()

    cursor.execute(f"ALTER TABLE {qn(table)} RENAME TO {qn(old)}")
    like = (
        f"LIKE {qn(old)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY INCLUDING GENERATED "
        "INCLUDING STORAGE INCLUDING COMMENTS"
    )
    if partition:
        cursor.execute(f"CREATE TABLE {qn(table)} ({like}) PARTITION BY RANGE ({qn(column)})")
        today = clock.today()
        wanted = set(_months_present(cursor, qn(old), qn(column), field))
        month = _first(today)
        for _ in range(MONTHS_AHEAD):
            wanted.add(month)
            month = next_month(month)
        for month in sorted(wanted):
            low, high = _bound(field, month), _bound(field, next_month(month))
            cursor.execute(
                f"CREATE TABLE {qn(month_name(table, month))} PARTITION OF {qn(table)} "
                f"FOR VALUES FROM ({low}) TO ({high})"
            )
        cursor.execute(f"CREATE TABLE {qn(default_name(table))} PARTITION OF {qn(table)} DEFAULT")
    else:
        cursor.execute(f"CREATE TABLE {qn(table)} ({like})")
    cursor.execute(f"INSERT INTO {qn(table)} SELECT * FROM {qn(old)}")

    # The ids go on from where they were: the new identity's sequence takes the old one's place and name (a
    # serial's sequence is handed to the new table).
    if sequence:
        if identity:
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, pk])
            (made,) = cursor.fetchone()
            cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
            last, called = cursor.fetchone()
            cursor.execute("SELECT setval(%s, %s, %s)", [made, last, called])
        else:
            cursor.execute(f"ALTER SEQUENCE {sequence} OWNED BY {qn(table)}.{qn(pk)}")
    cursor.execute(f"DROP TABLE {qn(old)}")
    if sequence and identity:
        cursor.execute(f"ALTER SEQUENCE {made} RENAME TO {qn(sequence.split('.')[-1].strip(chr(34)))}")

    for name, kind, definition, _cols in sorted(constraints, key=lambda c: c[1] != "p"):
        if kind == "p":
            key = [pk, column] if partition else [pk]
            definition = f"PRIMARY KEY ({', '.join(qn(c) for c in key)})"
        cursor.execute(f"ALTER TABLE {qn(table)} ADD CONSTRAINT {qn(name)} {definition}")
    for _name, definition, _unique, _cols in indexes:
        # Read on the table before it was renamed; an index of a partitioned table reads "ON ONLY".
        cursor.execute(definition.replace(" ON ONLY ", " ON ", 1))
    cursor.execute(f"ANALYZE {qn(table)}")


class PartitionByMonth(Operation):
    """On PostgreSQL, make `model_name`'s table partitioned by month of `field_name` (backwards: plain again);
    elsewhere nothing. The model's state does not change."""

    reversible = True
    reduces_to_sql = False

    def __init__(self, model_name: str, field_name: str) -> None:
        self.model_name, self.field_name = model_name, field_name

    def deconstruct(self):
        return self.__class__.__qualname__, [self.model_name, self.field_name], {}

    def state_forwards(self, app_label, state) -> None:
        pass

    def _run(self, app_label, schema_editor, state, *, partition: bool) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        model = state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        if is_partitioned(model, schema_editor.connection) == partition:
            return
        _rebuild(schema_editor, model, self.field_name, partition=partition)

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        self._run(app_label, schema_editor, to_state, partition=True)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        self._run(app_label, schema_editor, to_state, partition=False)

    def describe(self) -> str:
        return f"Partition {self.model_name} by month of {self.field_name} (PostgreSQL)"

    @property
    def migration_name_fragment(self) -> str:
        return f"{self.model_name.lower()}_by_month"
