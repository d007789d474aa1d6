"""The common words' short lists of customers (PostgreSQL: customers migration 0020, `CustomerSearchFound`),
kept small by a periodic job. The lists are exact without it (the view adds what changed since they were made);
the job keeps what the view adds few: `search_kept_rebuild` makes again the lists of each word with changes,
`search_common_words_join` lets the words that became common join (once a day: it counts every gram).

Both are the database's functions (the migration's), so what they write is what its triggers expect. SQLite has
none of this: both do nothing there and return 0."""

from __future__ import annotations

from django.conf import settings
from django.db import connection, transaction


def search_kept_rebuild() -> int:
    """Each common word with customers changed since its lists were made gets them made again, one word a
    transaction (a short one: that word's gram rows). Returns the words made again."""
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT gram FROM customers_customersearchkeptchange")
        words = [word for (word,) in cursor.fetchall()]
    for word in words:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT customer_search_kept_build(%s)", [word])
    return len(words)


def search_common_words_join(least: int | None = None) -> int:
    """The grams at least `least` customers hold (SEARCH_COMMON_WORD_CUSTOMERS) that are not common words yet
    join them, with their first lists, while no customer's grams are written (a share lock of the gram table,
    taken only when a word joins). Returns how many joined."""
    if connection.vendor != "postgresql":
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT customer_search_common_keep(%s)",
            [settings.SEARCH_COMMON_WORD_CUSTOMERS if least is None else least],
        )
        return int(cursor.fetchone()[0])
