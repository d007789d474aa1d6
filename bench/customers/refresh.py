"""The continuous refresh's pace, and the oldest copy's age it holds at 1,000, 10,000 and 50,000 customers.

A sandbox of BENCH_CUSTOMERS customers (default 300) with its rate limit set to L (BENCH_RATE_LIMIT, default 1200
calls a minute per operation); a full resync fills the cache, then the refresh reads batch after batch, back to
back as the worker chains them (each batch RESYNC_REFRESH_BATCH_SECONDS long at the limit: BENCH_BATCH_SECONDS,
default 60), for BENCH_SECONDS (default 120). Measured: customers read a minute, and the calls
a customer costs the busiest operation (a per-item one: its items). The oldest copy's age with nothing read by
need is one round of every customer at that pace (`need.oldest_age_at`), printed beside its bound (every
customer at the busiest operation's rate limit), at L, at the contract's 240 calls a minute and at 120 (half of it:
the pace the limiter keeps a refresh to once it has gone on for 30 minutes, as LINE WORKS asks).
Run through ``python -m bench.customers refresh`` (which gives it its own database).
"""

from __future__ import annotations

import datetime as dt
import os
import time

from bench.portal_env import portal_on
from sandbox.testing import start_sandbox

CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "300"))
LIMIT = int(os.environ.get("BENCH_RATE_LIMIT", "1200"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "120"))
SIZES = (1_000, 10_000, 50_000)
CONTRACT_LIMIT = 240


def _age(minutes: float) -> str:
    span = dt.timedelta(minutes=minutes)
    hours, rest = divmod(int(span.total_seconds()), 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"


def main() -> None:
    t0 = time.perf_counter()
    sandbox = start_sandbox(seed_customers=CUSTOMERS, seed=3, rate_limit=LIMIT)
    print(
        f"sandbox with {CUSTOMERS} customers, L = {LIMIT}/min/operation, ready in {time.perf_counter() - t0:.1f} s"
    )
    try:
        os.environ.update(
            {
                "DJANGO_SETTINGS_MODULE": "portal.settings",
                **portal_on(sandbox, rate_limit=LIMIT),
                "RESYNC_REFRESH_BATCH_SECONDS": os.environ.get("BENCH_BATCH_SECONDS", "60"),
            }
        )
        import django

        django.setup()
        from django.core.cache import cache
        from django.core.management import call_command

        from portal.core import partner, sync
        from portal.core.sync import need, refresh

        call_command("migrate", verbosity=0)
        cache.delete_many(
            [sync.LOCK_KEY, refresh.REFRESH_LOCK_KEY]
            + [f"{partner.CACHE_PREFIX}:token:service:{scope}" for scope in ("partner", "partner.read")]
        )
        full = sync.resync_full()
        print(f"full resync: {full.done} customers in {full.counts.get('duration_seconds')} s")
        # Every copy counts as old enough to be read in turn (the refresh rests below five minutes otherwise).
        refresh.REFRESH_TURN_MIN_AGE = dt.timedelta(0)

        read = 0
        calls: dict[str, int] = {}
        batches = 0
        started = time.perf_counter()
        while time.perf_counter() - started < SECONDS:
            run = sync.resync_refresh()
            if run is None:
                raise SystemExit("the refresh read nothing")
            batches += 1
            read += run.done
            for op, n in run.calls.items():
                calls[op] = calls.get(op, 0) + n
        elapsed = time.perf_counter() - started
        pace = read / elapsed * 60  # customers a minute
        busiest = max(calls, key=lambda op: calls[op])
        per_customer = calls[busiest] / read
        bound_pace = LIMIT / per_customer  # customers a minute the busiest operation's limit allows
        print(
            f"refresh: {batches} batches, {read} customers in {elapsed:.1f} s = {pace:.0f} a minute; busiest "
            f"operation {busiest}: {per_customer:.3f} calls a customer; bound {bound_pace:.0f} a minute: "
            f"{bound_pace / pace:.2f}x the bound"
        )
        print(f"{'customers':>10} {'limit/min':>10} {'oldest copy':>12} {'bound':>10} {'ratio':>6}")
        for limit in (LIMIT, CONTRACT_LIMIT, CONTRACT_LIMIT // 2):
            scale = limit / LIMIT  # the pace grows with the limit, the per-customer cost stays
            for size in SIZES:
                age = size / (pace * scale)  # minutes for one round of every customer at the measured pace
                bound = need.oldest_age_at(
                    customers=size, calls_per_customer=per_customer, rate_per_minute=limit
                )
                bound_minutes = bound.total_seconds() / 60
                print(
                    f"{size:>10,} {limit:>10} {_age(age):>12} {_age(bound_minutes):>10} {age / bound_minutes:>6.2f}"
                )
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
