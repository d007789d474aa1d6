"""The scale guard seeds and measures every database at the same hour of the business day (bench.pinned), so a page
that reads "today" (home's changes today, the sections of the next days) reads the same day's worth in every run
and at every size, whenever the guard is started."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone

from bench import pinned
from portal.core import clock

TOKYO = ZoneInfo("Asia/Tokyo")


def test_the_guard_seeds_at_the_last_such_hour_of_the_business_day_never_in_the_future():
    hour = pinned.HOUR
    # Just after midnight in Tokyo (late afternoon in UTC the day before): the previous business day's hour.
    after_midnight = dt.datetime(2026, 11, 29, 0, 30, tzinfo=TOKYO)
    assert pinned.instant_to_seed(after_midnight) == dt.datetime(2026, 11, 28, hour, tzinfo=TOKYO)
    # Later the same day: that day's.
    evening = dt.datetime(2026, 11, 29, hour + 5, 10, tzinfo=TOKYO)
    assert pinned.instant_to_seed(evening) == dt.datetime(2026, 11, 29, hour, tzinfo=TOKYO)
    # On the hour: that very instant, given in any zone.
    on_the_hour = dt.datetime(2026, 11, 29, hour, tzinfo=TOKYO).astimezone(dt.UTC)
    assert pinned.instant_to_seed(on_the_hour) == on_the_hour
    for now in (after_midnight, evening, on_the_hour):
        assert pinned.instant_to_seed(now) <= now


def test_the_instant_travels_with_the_database_on_postgresql(db):
    at = dt.datetime(2026, 11, 28, pinned.HOUR, tzinfo=TOKYO)
    pinned.record(at)
    if connection.vendor == "postgresql":
        assert pinned.recorded() == at
        later = at + dt.timedelta(days=3)
        pinned.record(later)  # a database seeded again
        assert pinned.recorded() == later
        with connection.cursor() as cursor:
            cursor.execute(
                f"COMMENT ON DATABASE {connection.ops.quote_name(connection.settings_dict['NAME'])} IS NULL"
            )
        assert pinned.recorded() is None  # seeded before the guard recorded when: measured unpinned
    else:
        assert pinned.recorded() is None  # SQLite has no comment on a database; the guard runs on PostgreSQL


def test_measured_with_the_clock_at_the_seed_s_instant_the_portal_s_today_is_that_day():
    at = dt.datetime(2026, 6, 15, pinned.HOUR, tzinfo=TOKYO)
    with pinned.pinned(at):
        assert clock.today() == dt.date(2026, 6, 15)
        assert dt.timedelta(0) <= timezone.now() - at < dt.timedelta(minutes=1)  # ticking on from it
    assert clock.today() != dt.date(2026, 6, 15)
    with pinned.pinned(None):  # a database seeded before the guard recorded when: the clock as it is
        assert abs(timezone.now() - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)


def test_the_load_bench_serves_the_portal_with_its_clock_at_the_seed_s_instant():
    """`python -m bench load` serves bench.pinned_wsgi (portal.wsgi's application) with BENCH_CLOCK_AT: each server
    process reads "today" at the instant the database was seeded at."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    at = dt.datetime(2026, 6, 15, pinned.HOUR, tzinfo=TOKYO)
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import bench.pinned_wsgi as w; from portal.core import clock; print(w.application is not None, clock.today())",
        ],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "BENCH_CLOCK_AT": at.isoformat(), "DJANGO_SETTINGS_MODULE": "portal.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.split()[-2:] == ["True", "2026-06-15"]


def test_a_kept_database_is_measured_after_every_row_its_seed_wrote(db):
    """A later run of a kept database resumes where its seed ended: moved back to where it began, the estimate
    kept again at that clock counted the customers the seed removed as removed since it was worked out, and every
    page that says how far behind the estimate is read them (the guard's small sizes only)."""
    from bench.scale import seeded
    from billing.estimate.kept import estimate_state
    from customers.models import Customer
    from portal.core.kept import keep_all

    at = dt.datetime(2026, 11, 28, pinned.HOUR, tzinfo=TOKYO)
    with pinned.pinned(at):
        end = seeded(24, 0)
    removed = Customer.objects.exclude(removed_at=None).values_list("removed_at", flat=True)
    assert removed and max(removed) <= end
    if connection.vendor == "postgresql":
        assert pinned.recorded() == end
    with pinned.pinned(end):
        keep_all()
        today = clock.today()
        assert estimate_state(today.year, today.month).behind == 0
