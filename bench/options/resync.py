"""The resync cost of the option calls: a full resync of sandbox customers, then, for each option operation,
calls made (the run's record and the sandbox's request log) vs calls needed (one listOptionProducts,
listOptionProductOrders and listOptionProductUsages per customer; one getOptionProductRenewal per paid option
in use, read from the sandbox afterwards). The Customers and Subscriptions calls of the same run are printed
beside them as the reference.

Run through ``python -m bench.options resync`` (which gives it its own database). Environment:
BENCH_CUSTOMERS (default 300), BENCH_RATE_LIMIT (requests/minute/operation, default 1200).
"""

from __future__ import annotations

import os
import time
from collections import Counter

from bench.portal_env import portal_on
from sandbox.testing import iter_pages, start_sandbox

CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "300"))
LIMIT = int(os.environ.get("BENCH_RATE_LIMIT", "1200"))
OPTION_OPERATIONS = (
    "listOptionProducts",
    "getOptionProductRenewal",
    "listOptionProductOrders",
    "listOptionProductUsages",
)


def _configure(sandbox) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            **portal_on(sandbox, rate_limit=LIMIT),
        }
    )


def _items_needed(sandbox, sync) -> tuple[int, dict[str, int]]:
    """Customers, and for each per-item call how many items its parent lists (read with the limit lifted)."""
    sandbox.configure(rateLimit=1_000_000, resetRateLimits=True)
    client = sandbox.client("partner.read", validate=False)
    ids = [c["domainId"] for c in iter_pages(client, "/partners/customers", "customers", count=30)]
    counts = Counter()
    for domain_id in ids:
        subs = client.get(f"/partners/customers/{domain_id}/subscriptions")
        if subs.status_code == 200:
            counts["listSubscriptions"] += len(subs.json().get("subscriptions", []))
        options = client.get(f"/partners/customers/{domain_id}/option-products")
        if options.status_code == 200:
            counts["listOptionProducts"] += sum(
                1 for o in options.json().get("optionProducts", []) if o.get("plan") != "TRIAL"
            )
    return len(ids), {c.operation_id: counts[c.parent] for c in sync.item_calls()}


def main() -> None:
    t0 = time.perf_counter()
    sandbox = start_sandbox(seed_customers=CUSTOMERS, seed=3, rate_limit=LIMIT)
    print(f"sandbox with {CUSTOMERS} customers, ready in {time.perf_counter() - t0:.1f} s")
    try:
        _configure(sandbox)
        import django

        django.setup()
        from django.core.cache import cache
        from django.core.management import call_command

        from options.models import Option, OptionOrder, OptionUsage
        from portal.core import partner, sync

        call_command("migrate", verbosity=0)
        cache.delete_many(
            [sync.LOCK_KEY]
            + [f"{partner.CACHE_PREFIX}:token:service:{scope}" for scope in ("partner", "partner.read")]
        )
        sandbox.clear_requests()
        started = time.perf_counter()
        run = sync.resync_full()
        elapsed = time.perf_counter() - started
        logged = Counter(r["operationId"] for r in sandbox.requests(limit=1_000_000))
        customers, items = _items_needed(sandbox, sync)
        needed = sync.calls_needed(customers=customers, list_pages=-(-customers // 30), items=items)

        print(
            f"run {run.pk}: {run.get_status_display()}, {run.done}/{run.total} customers, "
            f"{len(run.errors)} errors, {elapsed:.1f} s; cached: {Option.objects.count()} options, "
            f"{OptionOrder.objects.count()} scheduled orders, {OptionUsage.objects.count()} usage days"
        )
        print(f"{'operation':<32} {'needed':>7} {'made':>7} {'server log':>10}")
        for op in sorted(set(needed) | set(run.calls), key=lambda o: (o not in OPTION_OPERATIONS, o)):
            mark = "" if op in OPTION_OPERATIONS else "  (reference)"
            print(f"{op:<32} {needed.get(op, 0):>7} {run.calls.get(op, 0):>7} {logged.get(op, 0):>10}{mark}")
        equal = all(run.calls.get(op, 0) == needed.get(op, 0) for op in OPTION_OPERATIONS)
        print(f"option calls made = calls needed: {'yes' if equal else 'NO'}")
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
