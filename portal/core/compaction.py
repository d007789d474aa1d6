"""Tables whose rows come and go keep their indexes compact: the nightly housekeeping rebuilds them.

A model declares it with `ROWS_COME_AND_GO = True` (the app that owns the table says so, as `CARRIED_KEY` says
what its rows carry): a row is added when something opens and removed when it closes, such as an invoice still
owed (`invoicing.models.OpenInvoice`) or one not sent yet. Rows are added at one end of their indexes (the
newest due dates, numbers) and removed all over, so an index keeps every page it ever had, each with the few
entries still open, and a read along it walks a page for every few rows (`python -m bench scale`, direct
debit; the figures are in the commit that added this). VACUUM frees a page only once it is empty; a rebuild
packs the entries again.

On PostgreSQL each such table's indexes are rebuilt with `REINDEX TABLE CONCURRENTLY`, which takes no lock that
stops reads or writes, and cannot run inside a transaction: inside one (a test's), nothing is done. A rebuild cut
short (a restart, a statement timeout) leaves its new index beside the table, invalid (named `..._ccnew`, or the
old one `..._ccold`): once built, PostgreSQL keeps writing to it, and the next rebuild skips it. Each run first
drops those its rebuild left, and only those (another invalid index is an operator's to look at). SQLite keeps its
tables as they are (a deployment with real history runs on PostgreSQL)."""

from __future__ import annotations

import logging

from django.apps import apps
from django.db import connection

logger = logging.getLogger(__name__)

#: The attribute a model sets to True to have its table's indexes rebuilt each night.
ATTRIBUTE = "ROWS_COME_AND_GO"
#: The names PostgreSQL gives the indexes of a concurrent rebuild: the new one, and the old one once swapped.
LEFTOVER_NAMES = r"_cc(new|old)[0-9]*$"


def tables() -> list[str]:
    """The tables whose rows come and go, as their models declare."""
    return sorted(m._meta.db_table for m in apps.get_models() if getattr(m, ATTRIBUTE, False))


def compact() -> tuple[list[str], dict[str, str]]:
    """Rebuild the indexes of each table whose rows come and go (PostgreSQL, outside a transaction): the tables
    rebuilt, and what went wrong with each one that was not (logged; the others are done all the same)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return [], {}
    done, failed = [], {}
    for table in tables():
        try:
            with connection.cursor() as cursor:
                for index in leftovers(table):
                    cursor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {connection.ops.quote_name(index)}")
                    logger.warning("dropped %s, left invalid by a rebuild of %s cut short", index, table)
                cursor.execute(f"REINDEX TABLE CONCURRENTLY {connection.ops.quote_name(table)}")
            done.append(table)
        except Exception as exc:
            logger.exception("rebuilding the indexes of %s failed", table)
            failed[table] = str(exc)[:300]
    return done, failed


def leftovers(table: str) -> list[str]:
    """The invalid indexes of `table` a concurrent rebuild cut short left (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = %s::regclass AND NOT i.indisvalid AND c.relname ~ %s ORDER BY c.relname",
            [connection.ops.quote_name(table), LEFTOVER_NAMES],
        )
        return [name for (name,) in cursor.fetchall()]
