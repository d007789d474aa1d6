"""A full resync of 1,000 sandbox customers with the sandbox's rate limit set to L requests/minute/operation.

Prints, per operation: calls made (the run's record, and every request the sandbox counted) vs calls needed, and the
elapsed time vs the rate-limit bound (for each operation its needed calls / L; the bound is the largest).
Run through ``python -m bench.customers resync`` (which gives it its own database). Two passes: the first on an
empty cache (a partner's first sync), the second on the cache the first filled (every later full resync). For
the busiest operations it says where the time beyond the bound went (before the first call, between calls by
cause, after the last), and the CPU time the portal's process and the sandbox's used (on a busy machine the
ratio measures the machine). The portal runs with production settings (DEBUG off). Environment: BENCH_CUSTOMERS (default 1000), BENCH_RATE_LIMIT (L, default 1200),
BENCH_WORKERS (threads per operation), BENCH_PASSES (default 2).
"""

from __future__ import annotations

import bisect
import os
import resource
import secrets
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench.load import production_env
from bench.portal_env import portal_on
from sandbox.testing import iter_pages, start_sandbox

CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "1000"))
LIMIT = int(os.environ.get("BENCH_RATE_LIMIT", "1200"))
PASSES = int(os.environ.get("BENCH_PASSES", "2"))


def _record_grants() -> dict[str, dict[str, list[float]]]:
    """When each call asked the limiter for a token, when it got one and when its answer came, per operation
    (perf_counter), for the breakdown of the elapsed time."""
    from partner_api import ratelimit

    seen: dict[str, dict[str, list[float]]] = {}
    acquire = ratelimit.TimelineLimiter.acquire
    heed = ratelimit.TimelineLimiter.heed

    def recorded(self, key: str) -> float:
        asked = time.perf_counter()
        waited = acquire(self, key)
        times = seen.setdefault(key, {"asked": [], "granted": [], "answered": []})
        times["asked"].append(asked)
        times["granted"].append(time.perf_counter())
        return waited

    def heard(self, key: str, **headers) -> None:
        seen.setdefault(key, {"asked": [], "granted": [], "answered": []})["answered"].append(
            time.perf_counter()
        )
        heed(self, key, **headers)

    ratelimit.TimelineLimiter.acquire = recorded  # type: ignore[method-assign]
    ratelimit.TimelineLimiter.heed = heard  # type: ignore[method-assign]
    return seen


def _gaps(times: dict[str, list[float]], interval: float, workers: int) -> dict[str, float]:
    """The time between an operation's calls beyond the limiter's interval, by cause: a thread was waiting for
    the token but woke late ("late"); every thread of the operation was waiting for an answer ("busy"); or no
    thread was doing either ("idle"): nothing queued for the operation, or its threads not back yet from their
    last answer (reading it, or waiting for the CPU); and how much of it shorter gaps made up ("made up")."""
    asked = sorted(times["asked"])
    granted = sorted(times["granted"])
    answered = sorted(times["answered"])
    out = {"late": 0.0, "busy": 0.0, "idle": 0.0, "made up": 0.0}

    for previous, this in zip(granted, granted[1:], strict=False):
        due = previous + interval
        beyond = this - due
        if beyond <= 0:
            # A call sent less than an interval after the last: the one before woke late for its slot, and this
            # one went at its own (the limiter's timeline does not move with a late wake-up).
            out["made up"] -= beyond
            continue
        # Was a call waiting for the token when it became due?
        waiting = bisect.bisect_right(asked, due) - bisect.bisect_right(granted, due)
        if waiting > 0:
            out["late"] += beyond
            continue
        in_flight = bisect.bisect_right(granted, due) - bisect.bisect_right(answered, due)
        out["busy" if in_flight >= workers else "idle"] += beyond
    return out


def _cpu_seconds(pid: int | None = None) -> float:
    """CPU time (user and system) this process used, or process `pid` and its children (the sandbox's gunicorn
    worker), from /proc."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    proc = Path(f"/proc/{pid}")
    fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
    children = (proc / "task" / str(pid) / "children").read_text().split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(_cpu_seconds(int(child)) for child in children)


def _needed(sandbox, sync) -> dict[str, int]:
    """What a full resync needs, read from the sandbox with its limit lifted: one call per customer of each
    per-customer operation, and one per item of each per-item one (a subscription's reservation, a paid option's
    renewal: a Trial option has none)."""
    sandbox.configure(rateLimit=1_000_000, resetRateLimits=True)
    client = sandbox.client("partner.read", validate=False)
    ids = [c["domainId"] for c in iter_pages(client, "/partners/customers", "customers", count=30)]
    per_parent = {
        "listSubscriptions": ("subscriptions", "subscriptions", lambda item: True),
        "listOptionProducts": ("option-products", "optionProducts", lambda item: item.get("plan") != "TRIAL"),
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
    sandbox.configure(rateLimit=LIMIT, resetRateLimits=True)
    return sync.calls_needed(customers=len(ids), list_pages=-(-len(ids) // 30), items=items)


def _pass(
    number: int, sandbox, sync, needed: dict[str, int], seen: dict[str, dict[str, list[float]]]
) -> None:
    sandbox.clear_requests()
    seen.clear()
    cpu, sandbox_cpu = _cpu_seconds(), _cpu_seconds(sandbox.process.pid)
    started = time.perf_counter()
    run = sync.resync_full()
    elapsed = time.perf_counter() - started
    cpu, sandbox_cpu = _cpu_seconds() - cpu, _cpu_seconds(sandbox.process.pid) - sandbox_cpu
    # Every request the sandbox answered, by operation and status (its counters: the log keeps only the last
    # SANDBOX_REQUEST_LOG_SIZE).
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
    what = "an empty cache (the first sync)" if number == 1 else "the cache the last pass filled"
    print(
        f"pass {number}, on {what}: run {run.pk} {run.get_status_display()}, {run.done}/{run.total} customers, "
        f"{len(run.errors)} errors"
    )
    print(f"{'operation':<30} {'needed':>7} {'made':>7} {'received':>10} {'needed/L (s)':>13}")
    bound = 0.0
    for op in sorted(set(needed) | set(run.calls)):
        seconds = needed.get(op, 0) / LIMIT * 60
        bound = max(bound, seconds)
        print(
            f"{op:<30} {needed.get(op, 0):>7} {run.calls.get(op, 0):>7} {logged.get(op, 0):>10} {seconds:>13.1f}"
        )
    if refused:
        print("answers >= 400 received (404 = nothing there, part of the calls needed):", dict(refused))
    equal = all(run.calls.get(op, 0) == n for op, n in needed.items()) and set(run.calls) <= set(needed)
    received = all(run.calls.get(op, 0) == logged.get(op, 0) for op in run.calls)
    print(f"calls the run recorded = requests the sandbox received: {'yes' if received else 'NO'}")
    print(f"calls made = calls needed: {'yes' if equal else 'NO'}")
    print(f"elapsed {elapsed:.1f} s vs rate-limit bound {bound:.1f} s: {elapsed / bound:.2f}x the bound")
    print(f"CPU time: the portal's process {cpu:.1f} s, the sandbox's {sandbox_cpu:.1f} s")
    # Where the time beyond the bound goes, for the busiest operations: before the first call (the token, the
    # listing's first page, the parent's first answer), between calls beyond the limiter's interval by cause, and
    # after the last call (the last answers stored, the end of the run).
    busiest = max(needed, key=lambda op: needed[op])
    interval = 60 / LIMIT
    close = [op for op in sorted(needed) if op != busiest and needed[op] >= needed[busiest] * 0.9]
    for op in [busiest, *close]:
        times = seen.get(op)
        if not times or len(times["granted"]) < 2:
            continue
        granted = sorted(times["granted"])
        by_cause = _gaps(times, interval, sync.fanout.WORKERS_PER_OPERATION)
        beyond = by_cause["late"] + by_cause["busy"] + by_cause["idle"]
        print(
            f"  {op}: first call at +{granted[0] - started:.1f} s, last at +{granted[-1] - started:.1f} s; "
            f"beyond the interval {beyond:.1f} s (woken late {by_cause['late']:.1f}, "
            f"every thread awaiting an answer {by_cause['busy']:.1f}, neither {by_cause['idle']:.1f}), "
            f"{by_cause['made up']:.1f} s of it made up by calls sent at their slots after a late one"
        )
    last = max(max(times["granted"]) for times in seen.values())
    print(f"  the run ended {started + elapsed - last:.1f} s after its last call")


def main() -> None:
    t0 = time.perf_counter()
    sandbox = start_sandbox(seed_customers=CUSTOMERS, seed=3, rate_limit=LIMIT)
    print(
        f"sandbox with {CUSTOMERS} customers, rate limit L = {LIMIT}/min/operation, ready in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    try:
        # Production settings (DEBUG off: no SQL kept per query), as a deployed worker resyncs.
        key_file = Path(tempfile.mkdtemp(prefix="bench-resync-")) / "unused.pem"
        os.environ.update({**production_env(key_file), **portal_on(sandbox, rate_limit=LIMIT)})
        os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
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
            sync.fanout.WORKERS_PER_OPERATION = int(os.environ["BENCH_WORKERS"])
        needed = _needed(sandbox, sync)
        seen = _record_grants()
        if os.environ.get("BENCH_PROFILE"):
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
            # The pool threads too: each profiles itself, and their figures are added to this thread's.
            thread_profiles: list[cProfile.Profile] = []
            work = sync.fanout._Pool._work

            def profiled(pool) -> None:
                own = cProfile.Profile()
                thread_profiles.append(own)
                own.runcall(work, pool)

            sync.fanout._Pool._work = profiled  # type: ignore[method-assign]
        for number in range(1, PASSES + 1):
            _pass(number, sandbox, sync, needed, seen)
        if os.environ.get("BENCH_PROFILE"):
            import pstats

            profiler.disable()
            stats = pstats.Stats(profiler)
            for own in thread_profiles:
                stats.add(own)
            stats.sort_stats("tottime").print_stats(40)
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
