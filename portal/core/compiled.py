"""Reads whose query never changes, made into SQL once per database connection and then only run.

The ORM builds and compiles a query on every call. For the few constant reads every list page makes (the Owner
filter's Account managers, the last full sync's time) that costs more than the database's own run of them
(`python -m bench frame`). `Compiled(build)` compiles `build()` (a QuerySet whose SQL and parameters never vary:
no argument, no clock, no setting read per request) the first time a connection runs it, keeps the compiler, the
SQL and its parameters, and afterwards only runs the SQL and converts the rows as the ORM would (its values as
`values_list` gives them). It is still one query, counted and logged as any other.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet


class Compiled:
    """A constant read (`build()` a `values_list` QuerySet), compiled once per connection."""

    def __init__(self, build: Callable[[], QuerySet]):
        self._build = build
        self._made: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    def rows(self) -> list[tuple]:
        """The rows of the query, as tuples of converted values."""
        connection = connections[DEFAULT_DB_ALIAS]  # one per thread, so its compiler is the thread's own
        made = self._made.get(connection)
        if made is None:
            compiler = self._build().query.get_compiler(connection=connection)
            sql, params = compiler.as_sql()
            made = self._made[connection] = (compiler, sql, params)
        compiler, sql, params = made
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
        return list(compiler.results_iter([fetched], tuple_expected=True))
