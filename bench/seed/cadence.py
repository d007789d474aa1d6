"""How much the running portal writes a day at a size (`cadence`, derived from the beat schedule and the
settings it reads: bench/seed/__init__.py says how), and the months the history covers."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from bench.seed.people import PEOPLE

#: Customer pages a working day each Account manager and Support contact opens.
OPENS_A_DAY = 30
WORKING_DAYS_A_YEAR = 245
#: People's changes a year, per customer (the issue's measurement at 50,000 customers).
AUDITS_A_YEAR = 40
OPERATIONS_A_YEAR = 3.5


@dataclass(frozen=True)
class Cadence:
    """How many rows the running portal writes a day, at `customers` customers (module docstring)."""

    customers: int
    full_minutes: float  # one full resync's length
    full_every_minutes: float  # the beat tick that starts the next one
    full_runs: float
    refresh_runs: float
    customer_runs: float
    partner_runs: float
    audits: float
    operations: float

    @property
    def sync_runs(self) -> float:
        return self.full_runs + self.refresh_runs + self.customer_runs + self.partner_runs


def cadence(customers: int) -> Cadence:
    from django.conf import settings

    from portal.core.partner import sustained_rate
    from portal.core.sync import need
    from portal.core.sync.refresh import REFRESH_TURN_MIN_AGE

    rate, paced, window = (
        settings.PARTNER_API_RATE_LIMIT,
        sustained_rate(),
        settings.PARTNER_API_SUSTAINED_MINUTES,
    )
    interval = settings.RESYNC_INTERVAL_MINUTES
    batch_seconds = settings.RESYNC_REFRESH_BATCH_SECONDS
    # The limiter's pace: the full rate for the first `window` minutes of a run, then the sustained share of it.
    full_minutes = (
        customers / rate if customers <= rate * window else window + (customers - rate * window) / paced
    )
    every = interval * max(1, math.ceil(full_minutes / interval))
    idle_minutes = 1440 * max(0.0, 1 - full_minutes / every)
    rest = REFRESH_TURN_MIN_AGE.total_seconds() / 60
    batch = need.batch_size(rate_per_minute=paced, seconds=batch_seconds, calls_per_customer=1)
    per_rest = min(rest * 60 / batch_seconds, math.ceil(customers / batch))
    # Beside a full resync the refresh reads by need, a batch after another while it has any (the full resync then
    # gives way to it): counted as a batch a RESYNC_REFRESH_BATCH_SECONDS all through the full resync, which holds
    # at 50,000 customers (thousands looked at) and overcounts a little for a small partner.
    beside = 1440 * min(1.0, full_minutes / every) * 60 / batch_seconds
    refresh = idle_minutes / rest * per_rest + beside if settings.RESYNC_REFRESH else 0.0
    round_minutes = customers / paced
    older = max(0.0, 1 - settings.REFRESH_ON_OPEN_MINUTES / round_minutes) if round_minutes else 0.0
    opens = OPENS_A_DAY * (len(PEOPLE["account_manager"]) + len(PEOPLE["support"]))
    return Cadence(
        customers=customers,
        full_minutes=full_minutes,
        full_every_minutes=every,
        full_runs=1440 / every,
        refresh_runs=refresh,
        customer_runs=opens * older * WORKING_DAYS_A_YEAR / 365,
        partner_runs=2 * 2,  # two ticks a day, each walking the invoices of the year and the month's details
        audits=customers * AUDITS_A_YEAR / 365,
        operations=customers * OPERATIONS_A_YEAR / 365,
    )


def months_before(today: dt.date, count: int) -> list[tuple[int, int]]:
    """The `count` closed months before today's month, oldest first."""
    year, month = today.year, today.month
    out = []
    for _ in range(count):
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        out.append((year, month))
    return out[::-1]
