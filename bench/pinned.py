"""The instant the scale guard seeds a database at and measures it at: the same hour of the business day for
every size and every run, whenever the guard is started.

A seed writes its history up to its own "now", and the portal's pages read "today" in business time (Asia/Tokyo
by default): home's "changes today", the calendar's month, the sections of the next 14 days. Seeded and measured
at the clock's hour, the same page read the business day's first hour of changes after midnight in Tokyo and its
whole day late in the evening, so two runs of the guard, or two sizes seeded an hour apart, compared different
days' worth. So the guard seeds at the last HOUR o'clock of the business day before it starts (never in the
future), records the instant its seed ended on the database (PostgreSQL's comment on it, which travels with a
kept database), and measures every later run of that database with the clock moved there (`time_machine`,
ticking on from it). The end, not the start: moved back to the seed's start, a later run's "now" came before
the rows the seed wrote, so the estimate kept again at that clock counted the customers the seed removed as
removed since it was worked out, and every page that reads how far behind it is read them (at the small sizes
only, where the seed takes seconds: the large ones' estimate, kept minutes later, was not worked out again).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Iterator
from zoneinfo import ZoneInfo

#: The hour of the business day the guard seeds and measures at: mid-afternoon, a working day's changes half done.
HOUR = 15

_COMMENT = "bench seed at {}"
_RECORDED = re.compile(r"^bench seed at (\S+)$")


def instant_to_seed(now: dt.datetime | None = None) -> dt.datetime:
    """The last HOUR o'clock in business time at or before `now` (the clock's now by default)."""
    from django.conf import settings
    from django.utils import timezone

    zone = ZoneInfo(settings.BUSINESS_TIME_ZONE)
    local = (now or timezone.now()).astimezone(zone)
    at = local.replace(hour=HOUR, minute=0, second=0, microsecond=0)
    return at if at <= local else at - dt.timedelta(days=1)


def recorded() -> dt.datetime | None:
    """The instant the connected database's seed ended, as `record` left it; None on a database seeded before
    the guard recorded it, or on SQLite (which has no comment on a database: the guard runs on PostgreSQL)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = current_database()"
        )
        found = _RECORDED.match(cursor.fetchone()[0] or "")
    return dt.datetime.fromisoformat(found.group(1)) if found else None


def record(at: dt.datetime) -> None:
    """Record on the connected database (PostgreSQL) the instant its seed ended."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        name = connection.ops.quote_name(connection.settings_dict["NAME"])
        # A utility statement takes no parameters; the text is an ISO date and time, without a quote.
        cursor.execute(f"COMMENT ON DATABASE {name} IS '{_COMMENT.format(at.isoformat())}'")


@contextlib.contextmanager
def pinned(at: dt.datetime | None) -> Iterator[None]:
    """The clock moved to `at` and ticking on from it (as is, when None)."""
    if at is None:
        yield
        return
    import time_machine

    with time_machine.travel(at, tick=True):
        yield
