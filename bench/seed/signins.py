"""People's sign-ins over the history (django-axes' log the Sign-ins page lists), at `SIGNINS_A_DAY` each working
day: each of the partner's people signs in as the day starts and again after being away past SESSION_IDLE_MINUTES
(lunch, a meeting), now and then after a mistyped password (`MISTYPED`, a failure logged before the sign-in).
How many people sign in does not grow with the customers: a year adds the same rows at every size."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

from bench.seed.cadence import months_before
from bench.seed.people import PEOPLE
from bench.seed.tables import Table

#: Sign-ins a working day per person: the morning's, and one more on about half the days (idle past the limit).
SIGNINS_A_DAY = 1.5
#: The share of sign-ins that follow a mistyped password.
MISTYPED = 0.05
#: The office's addresses (a documentation range) and the browser people use.
OFFICE = [f"203.0.113.{n}" for n in range(10, 40)]
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0 Safari/537.36"
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
#: The columns both of django-axes' logs have; then each one's own.
ATTEMPT_COLUMNS = ["user_agent", "ip_address", "username", "http_accept", "path_info", "attempt_time"]
LOG_COLUMNS = [*ATTEMPT_COLUMNS, "logout_time"]
FAILURE_COLUMNS = [*ATTEMPT_COLUMNS, "locked_out"]


def signins_seed(rng: random.Random, today: dt.date, months: int) -> None:
    """The sign-ins and mistyped passwords of every working day of the `months` before today's month and of this
    month up to yesterday (none without history)."""
    from axes.models import AccessFailureLog, AccessLog

    if not months:
        return
    start = dt.date(*months_before(today, months)[0], 1)
    days = [start + dt.timedelta(days=n) for n in range((today - start).days)]
    signins, failures = [], []
    for day in days:
        if day.weekday() >= 5:
            continue
        for username in (name for names in PEOPLE.values() for name in names):
            for at, mistyped in _day_of(rng, day):
                address = rng.choice(OFFICE)
                if mistyped:
                    failures.append((at - dt.timedelta(seconds=40), address, username))
                signins.append((at, address, username))
    Table(AccessFailureLog, FAILURE_COLUMNS).write(_failure_rows(failures))
    Table(AccessLog, LOG_COLUMNS).write(_log_rows(rng, signins))


def _day_of(rng: random.Random, day: dt.date) -> Iterator[tuple[dt.datetime, bool]]:
    """One person's sign-ins of a working day (business time: the morning's between 08:30 and 10:00, another in
    the afternoon), each with whether a mistyped password came first."""
    from portal.core import clock

    morning = clock.midnight(day) + dt.timedelta(hours=8, minutes=30 + rng.randrange(90))
    times = [morning]
    if rng.random() < SIGNINS_A_DAY - 1:
        times.append(clock.midnight(day) + dt.timedelta(hours=13, minutes=rng.randrange(240)))
    for at in times:
        yield at, rng.random() < MISTYPED


def _log_rows(rng: random.Random, signins: list[tuple]) -> Iterator[tuple]:
    """In the order they were written (by time): a sign-in signed out of now and then, the others left to idle."""
    for at, address, username in sorted(signins):
        logout = at + dt.timedelta(minutes=30 + rng.randrange(300)) if rng.random() < 0.3 else None
        yield (BROWSER, address, username, ACCEPT, "/accounts/login/", at, logout)


def _failure_rows(failures: list[tuple]) -> Iterator[tuple]:
    for at, address, username in sorted(failures):
        yield (BROWSER, address, username, ACCEPT, "/accounts/login/", at, False)
