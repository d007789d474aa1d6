"""Writing many rows: by COPY on PostgreSQL, executemany on SQLite (`Table`), or made by the database itself
(`Table.insert_select`); indexes and foreign keys made after the rows (`made_after`)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

#: Rows a batch of COPY or INSERT writes at once.
CHUNK = 20_000


class Table:
    """Rows of one model written by COPY (PostgreSQL) or executemany (SQLite): `columns` (attribute names, such
    as "customer_id") vary per row (values
    as the database takes them: dicts and lists as JSON), the model's other columns take their defaults."""

    def __init__(self, model, columns: Sequence[str]) -> None:
        from django.db import connection

        fields = {f.column: f for f in model._meta.concrete_fields}
        by_attname = {f.attname: f.column for f in model._meta.concrete_fields}
        self.model, self.columns = model, [by_attname.get(c, c) for c in columns]
        self.constant = {}
        for column, f in fields.items():
            if column in self.columns or (f.primary_key and f.get_internal_type().endswith("AutoField")):
                continue
            default = f.get_default()
            self.constant[column] = f.get_db_prep_save(default, connection)
        self.written = 0

    def write(self, rows: Iterable[Sequence]) -> int:
        from django.db import connection

        names = [*self.columns, *self.constant]
        constant = list(self.constant.values())
        table = connection.ops.quote_name(self.model._meta.db_table)
        cols = ", ".join(connection.ops.quote_name(c) for c in names)
        count = 0
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                raw = cursor.cursor
                with raw.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row([_pg(v) for v in row] + [_pg(v) for v in constant])
                        count += 1
            else:
                sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join('%s' for _ in names)})"
                batch = []
                for row in rows:
                    batch.append([_sqlite(connection, v) for v in (*row, *constant)])
                    if len(batch) >= CHUNK:
                        cursor.executemany(sql, batch)
                        count += len(batch)
                        batch = []
                if batch:
                    cursor.executemany(sql, batch)
                    count += len(batch)
        self.written += count
        return count

    def insert_select(self, select: str, params: Sequence) -> int:
        """Rows the database makes itself: `select` (SQL with %s for `params`) gives `columns` of each row, in
        the order they go in; the other columns take their defaults."""
        from django.db import connection

        names = [*self.columns, *self.constant]
        adapt = _pg if connection.vendor == "postgresql" else (lambda v: _sqlite(connection, v))
        table = connection.ops.quote_name(self.model._meta.db_table)
        cols = ", ".join(connection.ops.quote_name(c) for c in names)
        constants = "".join(", %s" for _ in self.constant)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({cols}) SELECT s.*{constants} FROM ({select}) AS s",
                [adapt(v) for v in (*self.constant.values(), *params)],
            )
            count = cursor.rowcount
        self.written += count
        return count


def _pg(value):
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if hasattr(value, "adapted"):  # a JSON value Django prepared (psycopg's Jsonb)
        return json.dumps(value.obj, ensure_ascii=False)
    return value


def _sqlite(connection, value):
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, uuid.UUID):
        return value.hex
    return value


def objects_write(model, instances: Iterable) -> int:
    """Instances of `model` written by `Table` as `bulk_create` would write them: every concrete column (an
    automatic id left to the database), as the field prepares it for saving."""
    from django.db import connection

    fields = [
        f
        for f in model._meta.concrete_fields
        if not (f.primary_key and f.get_internal_type().endswith("AutoField"))
    ]
    table = Table(model, [f.attname for f in fields])
    return table.write(
        [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields] for obj in instances
    )


@contextmanager
def made_after(*models) -> Iterator[None]:
    """On PostgreSQL, the indexes of these models' tables that no constraint holds (neither the primary key nor
    a unique constraint, which the rows' inserts and ON CONFLICT may need) and their foreign keys dropped while
    many rows go in, and made again after: one sort an index, rather than an insertion a row at a random place
    of an index grown larger than the database's buffers, and one join a foreign key, rather than a look-up a
    row. Made again from their own definitions, whatever happens meanwhile (on a partitioned table, for every
    partition); a foreign key made again checks every row. Elsewhere nothing."""
    from django.db import connection

    if connection.vendor != "postgresql":
        yield
        return
    tables = [model._meta.db_table for model in models]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'DROP INDEX ' || x.indexrelid::regclass::text, pg_get_indexdef(x.indexrelid) FROM pg_index x "
            "WHERE x.indrelid IN (SELECT to_regclass(t) FROM unnest(%s::text[]) AS t) "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) "
            "UNION ALL "
            "SELECT format('ALTER TABLE %%s DROP CONSTRAINT %%I', c.conrelid::regclass, c.conname), "
            "format('ALTER TABLE %%s ADD CONSTRAINT %%I %%s', c.conrelid::regclass, c.conname, "
            "pg_get_constraintdef(c.oid)) FROM pg_constraint c "
            "WHERE c.conrelid IN (SELECT to_regclass(t) FROM unnest(%s::text[]) AS t) "
            "AND c.contype = 'f' AND c.conparentid = 0 "
            "ORDER BY 1",
            [tables, tables],
        )
        found = cursor.fetchall()
        for drop, _make in found:
            cursor.execute(drop)
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            for _drop, make in found:
                # A partitioned table's index is defined ON ONLY the parent: made so, it would leave out the
                # partitions.
                cursor.execute(make.replace(" ON ONLY ", " ON ", 1))


def values(columns: int, rows: int) -> str:
    """A VALUES list of `rows` rows of `columns` parameters (its columns are column1, column2, ... in SQLite and
    PostgreSQL alike)."""
    row = f"({', '.join(['%s'] * columns)})"
    return f"VALUES {', '.join([row] * rows)}"
