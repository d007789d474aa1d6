"""Reads every request makes, compiled by the ORM once per database connection and then only run.

The ORM builds and compiles a query on every call, which for the few reads every API request makes (the bearer
token, the faults, the business clock, the customer) costs more than SQLite's own run of them. ``Prepared(build,
example)`` compiles ``build(example)`` (a QuerySet whose SQL depends on nothing but its arguments) the first time
a connection runs it, finds where each example argument went among the query's parameters, and afterwards puts
the call's arguments there, runs the SQL and converts the rows as the ORM would: model instances
(``instances``) or, for a ``values_list`` QuerySet, tuples (``rows``). The database answers every call: nothing
read is kept between calls.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model, QuerySet


class Prepared:
    """A read ``build(*args)``, compiled once per connection; ``examples`` are arguments found nowhere else in
    the query's parameters (so each is found exactly once)."""

    def __init__(self, build: Callable[..., QuerySet], *examples: Any):
        self._build = build
        self._examples = examples
        self._made: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def _compiled(self):
        connection = connections[DEFAULT_DB_ALIAS]  # one per thread, so its compiler is the thread's own
        made = self._made.get(connection)
        if made is None:
            compiler = self._build(*self._examples).query.get_compiler(connection=connection)
            sql, params = compiler.as_sql()
            params = list(params)
            slots = []
            for example in self._examples:
                found = [i for i, p in enumerate(params) if type(p) is type(example) and p == example]
                if len(found) != 1:
                    raise ValueError(f"the example argument {example!r} is not found once in {params!r}")
                slots.append(found[0])
            # The converters of its columns, as results_iter() would find them for each call.
            columns = [column[0] for column in compiler.select[: compiler.col_count]]
            if compiler.has_composite_fields(columns):
                raise ValueError("Prepared reads no composite field")
            converters = compiler.get_converters(columns)
            made = self._made[connection] = (compiler, sql, params, slots, converters)
        return connection, made

    def _fetch(self, args: tuple) -> tuple:
        connection, (compiler, sql, params, slots, converters) = self._compiled()
        params = list(params)
        for slot, value in zip(slots, args, strict=True):
            params[slot] = value
        with connection.cursor() as cursor:
            try:
                cursor.execute(sql, params)
            except OverflowError:
                # An integer beyond the database's range matches no row, as the ORM's own lookup answers it.
                return connection, compiler, []
            fetched = cursor.fetchall()
        if converters:
            fetched = [tuple(row) for row in compiler.apply_converters(fetched, converters)]
        return connection, compiler, fetched

    def rows(self, *args: Any) -> list[tuple]:
        """The rows of a ``values_list`` read, as tuples of converted values."""
        return self._fetch(args)[2]

    def instances(self, *args: Any) -> list[Model]:
        """The model instances of a read of one model's rows (no ``select_related``)."""
        connection, compiler, fetched = self._fetch(args)
        info = compiler.klass_info
        first, last = info["select_fields"][0], info["select_fields"][-1] + 1
        names = [column[0].target.attname for column in compiler.select[first:last]]
        model = info["model"]
        return [model.from_db(connection.alias, names, row[first:last]) for row in fetched]
