"""The full resync (walk the customer listing, fan out every per-customer call, mark vanished customers) and
the one-customer resync (read one customer and its calls again)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.db import connections, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from partner_api.errors import NotFoundError, PartnerApiError
from portal.core.contrib import customer_names
from portal.core.copies import copies_changed
from portal.core.models import SyncRun
from portal.core.sync.declarations import (
    CustomerListing,
    customer_calls,
    customer_listing,
    item_calls,
)
from portal.core.sync.fanout import Fanout
from portal.core.sync.refresh import record_reads
from portal.core.sync.running import (
    CUSTOMER,
    FULL,
    LOCK_KEY,
    Lock,
    Recorder,
    finish_run,
    full_resync_gives_way,
    interrupted,
    with_retries,
)

logger = logging.getLogger(__name__)

#: While a full resync walks the listing, it stores the answers in at most this often (seconds).
DRAIN_WHILE_LISTING_EVERY = 2.0


class SyncAlreadyRunning(Exception):
    """A full resync is already in progress; the new one was not started."""


def resync_full(*, run_id: int | None = None, user=None) -> SyncRun:
    """Walk the customer listing, store every page, fan out the per-customer calls, mark vanished customers.

    `run_id` is a SyncRun created when the run was requested (the Sync page shows it at once); without one,
    a new run is recorded. Raises SyncAlreadyRunning when another full resync holds the lock.
    """
    from portal.core.partner import get_client

    listing = customer_listing()
    lock = Lock(LOCK_KEY)
    run = SyncRun.objects.filter(pk=run_id).first() if run_id else None
    if not lock.acquire():
        if run is not None and run.finished_at is None:
            interrupted(
                SyncRun.objects.filter(pk=run.pk), gettext_noop("Another full resync was already running.")
            )
        raise SyncAlreadyRunning("A full resync is already running.")
    try:
        # Runs left "running" by a process that died hold no lock any more: this run takes over.
        others = SyncRun.objects.filter(kind=FULL, finished_at=None)
        if run is not None:
            others = others.exclude(pk=run.pk)
        interrupted(
            others, gettext_noop("Interrupted: the process running it stopped; a later resync took over.")
        )
        if run is None:
            run = SyncRun.objects.create(kind=FULL, scope="all", requested_by=user)
        return _run_full(run, listing, get_client(giving_way=full_resync_gives_way))
    finally:
        lock.release()


def _run_full(run: SyncRun, source: CustomerListing, client: Any) -> SyncRun:
    rec = Recorder(run)
    fanout = Fanout(client, rec, customer_calls(), item_calls(), ranked=True)
    seen: set[int] = set()
    listing_complete = False
    drained = time.monotonic()
    try:
        cursor: str | None = None
        cursors_seen: set[str] = set()
        while True:
            attempts = [0]
            try:
                items, next_cursor = with_retries(partial(source.fetch_page, client, cursor), attempts)
            except PartnerApiError as exc:
                rec.calls[source.operation_id] += attempts[0]
                rec.error(operation_id=source.operation_id, exc=exc)
                break
            rec.calls[source.operation_id] += attempts[0]
            with transaction.atomic():
                ids = source.store_page(items, timezone.now())
                copies_changed(ids)
            rec.counts["customers"] += len(ids)
            new = list(dict.fromkeys(domain_id for domain_id in ids if domain_id not in seen))
            seen.update(new)
            run.total += len(new)
            fanout.submit(new)
            # The listing is what feeds every pool: it goes on at its own pace, storing answers only now and
            # then (each drain holds the next page back while it writes).
            if time.monotonic() - drained >= DRAIN_WHILE_LISTING_EVERY:
                fanout.drain(block=False)
                drained = time.monotonic()
            rec.save()
            if not next_cursor:
                listing_complete = True
                break
            if next_cursor in cursors_seen:
                rec.error(
                    operation_id=source.operation_id,
                    exc=RuntimeError(gettext_noop("The listing returned the same cursor twice; stopped.")),
                )
                break
            cursors_seen.add(next_cursor)
            cursor = next_cursor
        fanout.drain(block=True)
    finally:
        fanout.close()
    if listing_complete:
        with transaction.atomic():
            rec.counts["removed"] += source.remove_missing(seen, timezone.now())
        status = SyncRun.Status.PARTIAL if rec.errors else SyncRun.Status.SUCCEEDED
    else:
        status = SyncRun.Status.FAILED
    record_reads(seen, rec.failed_customers)
    refresh_planner_statistics()
    return finish_run(rec, status)


def refresh_planner_statistics() -> None:
    """Let the database measure the cache tables after a full resync has rewritten them.

    A full resync ends with it, and the benchmarks call it after seeding, so both databases plan from the
    statistics of the data they hold. SQLite keeps no statistics until ANALYZE runs, and then guesses: it walked
    a list's plan or renewal index instead of the date range the home page asks for (`python -m bench.home`
    times that page). PostgreSQL's autovacuum catches up on its own, but only a while after a load; VACUUM
    ANALYZE now also marks the rewritten pages all-visible, so the home page's counts read an index alone.
    Outside a transaction only, as VACUUM requires; inside one, ANALYZE alone."""
    connection = connections["default"]
    statement = "ANALYZE"
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        statement = "VACUUM ANALYZE"
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
    except Exception:  # statistics are an optimisation: the run's result stands without them
        logger.warning("%s after the full resync failed", statement, exc_info=True)


def resync_customer(*, domain_id: int, user=None, skip: Iterable[str] = ()) -> SyncRun:
    """Read one customer and its per-customer calls again (operations in `skip` are not called)."""
    from portal.core.partner import get_client

    source = customer_listing()
    skip = set(skip)
    run = SyncRun.objects.create(
        kind=CUSTOMER,
        scope=str(domain_id),
        customer_name=customer_names([domain_id]).get(domain_id, "")[:200],
        requested_by=user,
        total=1,
    )
    rec = Recorder(run)
    client = get_client()
    if source.get_operation_id not in skip:
        attempts = [0]
        try:
            customer = with_retries(lambda: source.fetch_one(client, domain_id), attempts)
        except NotFoundError:
            rec.calls[source.get_operation_id] += attempts[0]
            with transaction.atomic():
                source.mark_one_removed(domain_id, timezone.now())
                copies_changed([domain_id])
            rec.counts["removed"] += 1
            run.done = 1
            return finish_run(rec, SyncRun.Status.SUCCEEDED)
        except PartnerApiError as exc:
            rec.calls[source.get_operation_id] += attempts[0]
            rec.error(operation_id=source.get_operation_id, exc=exc, domain_id=domain_id)
            return finish_run(rec, SyncRun.Status.FAILED)
        rec.calls[source.get_operation_id] += attempts[0]
        with transaction.atomic():
            source.store_one(customer, timezone.now())
            copies_changed([domain_id])
        rec.counts["customers"] += 1
    fanout = Fanout(
        client,
        rec,
        [c for c in customer_calls() if c.operation_id not in skip],
        [i for i in item_calls() if i.operation_id not in skip],
    )
    try:
        fanout.submit([domain_id])
        fanout.drain(block=True)
    finally:
        fanout.close()
    run.done = 1
    record_reads([domain_id], rec.failed_customers)
    return finish_run(rec, SyncRun.Status.PARTIAL if rec.errors else SyncRun.Status.SUCCEEDED)
