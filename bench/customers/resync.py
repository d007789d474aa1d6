"""A full resync of 1,000 sandbox customers with the sandbox's rate limit set to L requests/minute/operation.

Prints, per operation: calls made (the run's record, and every request the sandbox counted) vs calls needed, and the
elapsed time vs the rate-limit bound (for each operation its needed calls / L; the bound is the largest).
Run through ``python -m bench.customers resync`` (which gives it its own database). Environment:
BENCH_CUSTOMERS (default 1000), BENCH_RATE_LIMIT (L, default 1200), BENCH_WORKERS (threads per operation).
"""

from __future__ import annotations

import os
import time
from collections import Counter

from bench.portal_env import portal_on
from sandbox.testing import iter_pages, start_sandbox

CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "1000"))
LIMIT = int(os.environ.get("BENCH_RATE_LIMIT", "1200"))


def _record_grants() -> dict[str, list[float]]:
    """When the limiter granted each call, per operation (perf_counter), for the breakdown of the elapsed time."""
    from partner_api import ratelimit

    granted: dict[str, list[float]] = {}
    acquire = ratelimit.TokenBucketLimiter.acquire

    def recorded(self, key: str) -> float:
        waited = acquire(self, key)
        granted.setdefault(key, []).append(time.perf_counter())
        return waited

    ratelimit.TokenBucketLimiter.acquire = recorded  # type: ignore[method-assign]
    return granted


def main() -> None:
    t0 = time.perf_counter()
    sandbox = start_sandbox(seed_customers=CUSTOMERS, seed=3, rate_limit=LIMIT)
    print(
        f"sandbox with {CUSTOMERS} customers, rate limit L = {LIMIT}/min/operation, ready in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    try:
        os.environ.update(
            {
                "DJANGO_SETTINGS_MODULE": "portal.settings",
                **portal_on(sandbox, rate_limit=LIMIT),
            }
        )
        import django

        django.setup()
        from django.core.cache import cache
        from django.core.management import call_command

        from portal.core import sync

        call_command("migrate", verbosity=0)
        from portal.core import partner

        # A token cached by an earlier run belongs to another sandbox: start without one.
        cache.delete_many(
            [sync.LOCK_KEY]
            + [f"{partner.CACHE_PREFIX}:token:service:{scope}" for scope in ("partner", "partner.read")]
        )
        if os.environ.get("BENCH_WORKERS"):
            sync.engine.WORKERS_PER_OPERATION = int(os.environ["BENCH_WORKERS"])
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        sandbox.clear_requests()
        granted = _record_grants()
        started = time.perf_counter()
        run = sync.resync_full()
        elapsed = time.perf_counter() - started
        if os.environ.get("BENCH_PROFILE"):
            import pstats

            profiler.disable()
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        # Every request the sandbox answered, by operation and status (its counters: the log keeps only the
        # last SANDBOX_REQUEST_LOG_SIZE).
        counted = sandbox.request_counts()
        logged = Counter({op: sum(by_status.values()) for op, by_status in counted.items()})
        refused = Counter(
            {
                f"{op} {status}": n
                for op, by_status in counted.items()
                for status, n in by_status.items()
                if status >= 400
            }
        )

        # What was needed, read from the sandbox afterwards with its limit lifted: one call per customer of each
        # per-customer operation, and one per item of each per-item one (a subscription's renewal, a paid
        # option's renewal: a Trial option has none).
        sandbox.configure(rateLimit=1_000_000, resetRateLimits=True)
        client = sandbox.client("partner.read", validate=False)
        ids = [c["domainId"] for c in iter_pages(client, "/partners/customers", "customers", count=30)]
        per_parent = {
            "listSubscriptions": ("subscriptions", "subscriptions", lambda item: True),
            "listOptionProducts": (
                "option-products",
                "optionProducts",
                lambda item: item.get("plan") != "TRIAL",
            ),
        }
        items: dict[str, int] = {}
        for item_call in sync.item_calls():
            if item_call.parent not in per_parent:
                raise SystemExit(f"bench.customers resync does not know the items of {item_call.parent}")
            path, key, counts = per_parent[item_call.parent]
            total = 0
            for domain_id in ids:
                response = client.get(f"/partners/customers/{domain_id}/{path}")
                if response.status_code == 200:
                    total += sum(1 for item in response.json().get(key, []) if counts(item))
            items[item_call.operation_id] = total
        needed = sync.calls_needed(customers=len(ids), list_pages=-(-len(ids) // 30), items=items)

        print(
            f"run {run.pk}: {run.get_status_display()}, {run.done}/{run.total} customers, "
            f"{len(run.errors)} errors"
        )
        print(f"{'operation':<30} {'needed':>7} {'made':>7} {'received':>10} {'needed/L (s)':>13}")
        bound = 0.0
        for op in sorted(set(needed) | set(run.calls)):
            seconds = needed.get(op, 0) / LIMIT * 60
            bound = max(bound, seconds)
            print(
                f"{op:<30} {needed.get(op, 0):>7} {run.calls.get(op, 0):>7} {logged.get(op, 0):>10} "
                f"{seconds:>13.1f}"
            )
        if refused:
            print("answers >= 400 received (404 = nothing there, part of the calls needed):", dict(refused))
        equal = all(run.calls.get(op, 0) == n for op, n in needed.items()) and set(run.calls) <= set(needed)
        received = all(run.calls.get(op, 0) == logged.get(op, 0) for op in run.calls)
        print(f"calls the run recorded = requests the sandbox received: {'yes' if received else 'NO'}")
        print(f"calls made = calls needed: {'yes' if equal else 'NO'}")
        print(f"elapsed {elapsed:.1f} s vs rate-limit bound {bound:.1f} s: {elapsed / bound:.2f}x the bound")
        # Where the time beyond the bound goes, for the busiest operation: before its first call (the token, the
        # listing's first page, the parent's first answer), between its calls beyond the limiter's interval
        # (starved, or woken late), and after its last call (the last answers stored, the end of the run).
        busiest = max(needed, key=lambda op: needed[op])
        times = sorted(granted.get(busiest, []))
        if len(times) > 1:
            interval = 60 / LIMIT
            gaps = [b - a - interval for a, b in zip(times, times[1:], strict=False)]
            print(
                f"{busiest}: first call at +{times[0] - started:.1f} s, {sum(g for g in gaps if g > 0):.1f} s "
                f"between calls beyond the interval ({sum(g for g in gaps if g > interval):.1f} s of it in gaps "
                f"over two intervals), the run ended {started + elapsed - times[-1]:.1f} s after its last call"
            )
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
