"""A batch's sending pace beside the rate-limit bound (see bench/bulk/__main__.py). Run through
``python -m bench.bulk pace``, which gives it its own database. Environment: BENCH_ROWS (default 120),
BENCH_RATE_LIMIT (requests per minute per operation, default 600).

The batch is a bulk "do not renew" of paid subscriptions renewing unchanged, made and confirmed as the pages do
(`batch_check`, `batch_send`); its rows' tasks are run by two threads of this process, each as a Celery worker
runs one (`change_run`), so the figure is the pipeline's and the limiter's, not a broker's. The bound is what
the limit allows at best: the first request at once, then one every 60 / limit seconds.
"""

from __future__ import annotations

import os
import queue
import threading
import time

from bench.portal_env import portal_on
from sandbox.testing import start_sandbox

ROWS = int(os.environ.get("BENCH_ROWS", "120"))
LIMIT = int(os.environ.get("BENCH_RATE_LIMIT", "600"))
THREADS = 2
GOAL = 1.05


def _configure(sandbox) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            # The resync that fills the cache is not what is measured.
            **portal_on(sandbox, rate_limit="100000"),
        }
    )


def main() -> int:
    t0 = time.perf_counter()
    # Enough customers for twice ROWS paid subscriptions renewing unchanged (about half the seed's are).
    sandbox = start_sandbox(seed_customers=ROWS * 5, seed=7, rate_limit=100_000)
    print(f"sandbox with {ROWS * 5} customers, ready in {time.perf_counter() - t0:.1f} s")
    try:
        _configure(sandbox)
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command

        from accounts.services import user_create_with_role
        from portal.celery import app
        from portal.core import sync
        from portal.core.access import Role
        from portal.core.changes import bulk
        from subscriptions.models import Subscription

        app.conf.update(broker_url="memory://", result_backend="cache+memory://")  # this process runs them
        call_command("migrate", verbosity=0)
        run = sync.resync_full()
        print(f"cache filled: {run.done} customers, {Subscription.objects.count()} subscriptions")

        user = user_create_with_role(username="bench-manager", password="bench-pass-123", role=Role.ADMIN)
        subs = list(
            Subscription.objects.filter(
                customer__removed_at=None, plan__in=("ANNUAL_LICENSE", "MONTHLY"), renewal_type="STAY"
            ).order_by("pk")[: 2 * ROWS]
        )
        assert len(subs) == 2 * ROWS, f"the seed has {len(subs)} paid subscriptions renewing unchanged"
        settings.BULK_MAX_ROWS = max(settings.BULK_MAX_ROWS, ROWS)
        action = bulk.bulk_action("subscriptions.renewal")
        assert action is not None
        # The reference first: the same pipeline with the limit lifted, what the rows cost without pacing.
        free = _send(sandbox, user, action, subs[ROWS:], 100_000)
        paced = _send(sandbox, user, action, subs[:ROWS], LIMIT)
        return _report(free, paced)
    finally:
        sandbox.stop()


def _send(sandbox, user, action, rows, limit: int) -> tuple[float, int, int, int]:
    """Confirm a dry run of `rows` and run its tasks at `limit`: (seconds from confirm to the last row settled,
    requests the sandbox received, of them turned away, rows applied)."""
    from django.conf import settings

    from portal.core import partner
    from portal.core.changes import bulk
    from portal.core.models import Operation

    batch = bulk.batch_check(
        user=user, action=action, values={"type": "CANCEL"}, keys=[str(s.pk) for s in rows]
    )
    settings.PARTNER_API_RATE_LIMIT = limit
    partner.reset_clients()
    sandbox.clear_requests()
    started = time.perf_counter()
    bulk.batch_send(user=user, batch=batch, ticked=[r.key for r in batch.rows.all()])
    _run_queued()
    elapsed = time.perf_counter() - started
    sent = sandbox.requests(operation_id="updateSubscriptionRenewal", limit=5000)
    applied = Operation.objects.filter(
        status=Operation.Status.SUCCEEDED, idempotency_key__contains=f"batch:{batch.pk}:"
    ).count()
    return elapsed, len(sent), sum(1 for r in sent if r["status"] == 429), applied


def _run_queued() -> None:
    """Every queued change run by THREADS threads, as the workers would."""
    from django.db import connections

    from portal.core.changes import engine
    from portal.core.models import Operation

    waiting: queue.Queue[str] = queue.Queue()
    for pk in Operation.objects.filter(status=Operation.Status.QUEUED).values_list("pk", flat=True):
        waiting.put(str(pk))

    def work() -> None:
        try:
            while True:
                try:
                    pk = waiting.get_nowait()
                except queue.Empty:
                    return
                engine.change_run(operation_pk=pk)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def _report(free: tuple[float, int, int, int], paced: tuple[float, int, int, int]) -> int:
    """The paced batch beside the bound and the reference; 0 when the pace meets GOAL and every row went once."""
    bound = (ROWS - 1) * 60 / LIMIT
    ratio = paced[0] / bound
    print(f"load average (1 min) during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{ROWS} rows each, {THREADS} threads running the rows' tasks")
    print(f"{'':38} {'seconds':>8} {'sent':>5} {'429':>4} {'applied':>7}")
    print(f"{'rate-limit bound at ' + str(LIMIT) + '/minute':38} {bound:>8.1f}")
    print(
        f"{'the batch at ' + str(LIMIT) + '/minute':38} {paced[0]:>8.1f} {paced[1]:>5} {paced[2]:>4} {paced[3]:>7}"
    )
    print(f"{'reference: the batch, limit lifted':38} {free[0]:>8.1f} {free[1]:>5} {free[2]:>4} {free[3]:>7}")
    print(f"pace / bound: {ratio:.3f} x (goal <= {GOAL} x) {'met' if ratio <= GOAL else 'NOT met'}")
    if free[0] > bound:
        print("the rows cost more than the limit allows on this machine now: the bound cannot be reached")
    return 0 if ratio <= GOAL and paced[3] == ROWS and paced[1] == ROWS else 1


if __name__ == "__main__":
    raise SystemExit(main())
