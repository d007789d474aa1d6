"""The resync engine: copies the Partner API into the cache tables, as the apps declared (declarations.py).

Guarantees of a run:

* **calls made = calls needed**: each declared operation is called once per customer (or item, or page);
  two stores of one operation share one call;
* **overlap-guarded**: a full resync holds a lock in the shared cache (Redis in production) with a short
  time-to-live that a heartbeat thread renews while the run lives. A run whose process died (kill -9, lost
  machine) stops renewing it, so its lock lapses within LOCK_TTL_SECONDS and the next resync takes over,
  closing the dead run as interrupted;
* **idempotent**: stores upsert by remote id, so running twice leaves the same cache;
* **bounded by the rate limit, concurrent across operations**: each operation has its own small thread pool;
  the client's limiter paces each operation, so independent operations proceed side by side;
* **fault tolerant**: retryable errors are retried with backoff; a customer whose calls still fail is recorded
  in the run's errors and skipped, never stopping the run;
* **recorded**: a `SyncRun` with total/done, counts, errors, duration, and every request sent per operation
  (the client's own retries included: counted where the client sends them, `partner_api.transport.requests_sent`).

Threads only call the API; every database write happens in the thread that runs the engine.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import queue
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import Future
from functools import partial
from typing import Any

from celery import shared_task
from django.core.cache import cache
from django.db import connections, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_noop

from partner_api.errors import NotFoundError, PartnerApiError, RateLimitedError
from partner_api.transport import requests_sent
from portal.core.copies import copies_changed
from portal.core.models import AuditEntry, RefreshMark, SyncRun
from portal.core.sync import need
from portal.core.sync.declarations import (
    CustomerCall,
    CustomerListing,
    PartnerWide,
    PerCustomer,
    PerItem,
    customer_calls,
    customer_listing,
    due_soon,
    fresh_walks,
    item_calls,
    partner_wide,
    scope_of,
)

logger = logging.getLogger(__name__)

FULL = "full"
CUSTOMER = "customer"
PARTNER = "partner"
REFRESH = "refresh"

#: Retries of a retryable error (on top of the client's own), and the waits between them (seconds).
RETRY_ATTEMPTS = 3
RETRY_BACKOFF_SECONDS = (1.0, 3.0, 9.0)
#: Threads per API operation. The client's limiter paces each operation; a few threads hide latency.
WORKERS_PER_OPERATION = 4
#: Progress is written to the SyncRun at most this often (seconds).
PROGRESS_EVERY = 0.5
#: While a full resync walks the listing, it stores the answers in at most this often (seconds).
DRAIN_WHILE_LISTING_EVERY = 2.0
LOCK_KEY = "portal:resync:full"
#: The full-resync lock lapses this long after its holder stopped renewing it (its process died); the
#: heartbeat renews it every third of that.
LOCK_TTL_SECONDS = 120
#: An unfinished partner-wide walk younger than this stands for the same walk asked again to keep fresh.
PARTNER_PENDING_SECONDS = 900
#: A full run requested (queued) but not started by a worker within this long is considered lost.
QUEUED_GRACE_SECONDS = 15 * 60
#: The continuous refresh: one refresher at a time (its own lock, renewed like the full resync's).
REFRESH_LOCK_KEY = "portal:resync:refresh"
#: A customer whose copy is younger than this is not read in turn (a small partner's refresh then rests).
REFRESH_TURN_MIN_AGE = dt.timedelta(minutes=5)
#: A page view or a write marks its customer at most this often (one row written, not one per view).
REFRESH_MARK_EVERY_SECONDS = 300


class SyncAlreadyRunning(Exception):
    """A full resync is already in progress; the new one was not started."""


# --- Running ---------------------------------------------------------------------------------------------


class _Recorder:
    """Counts calls per operation and collects errors of one run (main thread only)."""

    def __init__(self, run: SyncRun) -> None:
        self.run = run
        self.calls: Counter[str] = Counter()
        self.counts: Counter[str] = Counter()
        self.errors: list[dict[str, Any]] = []
        self.failed_customers: set[int] = set()
        self._last_save = 0.0

    def error(self, *, operation_id: str, exc: BaseException, domain_id: int | None = None) -> None:
        entry: dict[str, Any] = {"operation": operation_id, "error": _describe(exc)}
        if isinstance(exc, PartnerApiError):
            # What the API answered, for the page to say it in words (portal.core.selectors.sync_error_text).
            entry |= {"status": exc.status, "code": exc.code, "description": exc.description}
        if domain_id is not None:
            entry["domain_id"] = domain_id
            self.failed_customers.add(domain_id)
        self.errors.append(entry)
        logger.warning(
            "resync %s: %s failed for %s: %s", self.run.pk, operation_id, domain_id, _describe(exc)
        )

    def save(self, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_save < PROGRESS_EVERY:
            return
        self._last_save = now
        self.run.calls = dict(self.calls)
        self.run.counts = dict(self.counts) | {"failed_customers": len(self.failed_customers)}
        self.run.errors = self.errors[-200:]
        self.run.save(update_fields=["total", "done", "calls", "counts", "errors"])


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _with_retries(fn: Callable[[], Any], attempts_log: list[int]) -> Any:
    """Run one API call, retrying retryable errors with backoff. Runs in a worker thread; no DB access.

    `attempts_log[0]` becomes the number of requests sent: this loop's attempts and the client's own retries
    (429, 5xx of a read, a refreshed token) alike.
    """
    attempt = 0
    with requests_sent() as sent:
        try:
            while True:
                attempt += 1
                try:
                    return fn()
                except PartnerApiError as exc:
                    if not exc.retryable or attempt > RETRY_ATTEMPTS:
                        raise
                    wait_for = RETRY_BACKOFF_SECONDS[min(attempt - 1, len(RETRY_BACKOFF_SECONDS) - 1)]
                    if isinstance(exc, RateLimitedError) and exc.retry_after:
                        wait_for = max(wait_for, min(exc.retry_after, 65.0))
                    time.sleep(wait_for)
        finally:
            attempts_log[0] = len(sent)


def _threaded(fn: Callable[[], Any]) -> tuple[Any, int]:
    """Call `fn` with retries in a pool thread; return (result, attempts). Closes any DB connection it opened."""
    attempts = [0]
    try:
        return _with_retries(fn, attempts), attempts[0]
    except BaseException as exc:
        exc.sync_attempts = attempts[0]  # type: ignore[attr-defined]
        raise
    finally:
        connections.close_all()


def _threaded_items(fetch: Callable[[Any], Any], items: list[Any]) -> tuple[dict[Any, Any], int]:
    """Call `fetch(item)` for each item with retries in a pool thread; a 404 maps the item to None.

    Returns ({item: result or None}, calls made). Closes any DB connection it opened.
    """
    results: dict[Any, Any] = {}
    calls = 0
    try:
        for item in items:
            attempts = [0]
            try:
                results[item] = _with_retries(partial(fetch, item), attempts)
            except NotFoundError:
                results[item] = None
            finally:
                calls += attempts[0]
        return results, calls
    except BaseException as exc:
        exc.sync_attempts = calls  # type: ignore[attr-defined]
        raise
    finally:
        connections.close_all()


class _Pool:
    """The threads of one operation: each takes the queued call of lowest rank (first come among equals).

    Threads start as calls are queued, up to `workers`; `shutdown` cancels the calls not started and waits for
    the others."""

    def __init__(self, workers: int, name: str) -> None:
        self.workers = workers
        self.name = name
        self._queue: queue.PriorityQueue[tuple[float, int, Future | None, Any, tuple]] = queue.PriorityQueue()
        self._order = itertools.count()
        self._threads: list[threading.Thread] = []

    def submit(self, fn: Callable[..., Any], *args: Any, rank: float = 0) -> Future:
        future: Future = Future()
        self._queue.put((rank, next(self._order), future, fn, args))
        if len(self._threads) < self.workers:
            thread = threading.Thread(
                target=self._work, name=f"{self.name}-{len(self._threads)}", daemon=True
            )
            self._threads.append(thread)
            thread.start()
        return future

    def _work(self) -> None:
        while True:
            _rank, _order, future, fn, args = self._queue.get()
            if future is None:
                return
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = fn(*args)
            except BaseException as exc:
                future.set_exception(exc)
            else:
                future.set_result(result)

    def shutdown(self) -> None:
        while True:
            try:
                _rank, _order, future, _fn, _args = self._queue.get_nowait()
            except queue.Empty:
                break
            if future is not None:
                future.cancel()
        for _thread in self._threads:
            self._queue.put((float("inf"), next(self._order), None, None, ()))
        for thread in self._threads:
            thread.join()


class _Fanout:
    """Per-customer calls for a stream of domain ids, one pool per operation; results stored in this thread.

    Per-item calls whose parent is among `calls` are submitted by the parent's pool thread as soon as the parent's
    answer is in, before this thread stores it: the per-item operations (the busiest: a customer has more
    items than one) start at once and never wait for the database writes. With `ranked`, a parent's pool calls
    first for the customers whose copies hold the most items (`PerItem.known`): the per-item operation, paced
    like its parent, then has a queue of calls from the parent's first answers on, instead of falling idle
    whenever the parent reads customers that list none (its last call would come that much later).
    """

    def __init__(
        self,
        client: Any,
        recorder: _Recorder,
        calls: list[CustomerCall],
        items: Sequence[PerItem] = (),
        *,
        ranked: bool = False,
        for_decision: Collection[int] = (),
        due_window: tuple[dt.date, dt.date] | None = None,
    ) -> None:
        self.client = client
        #: Customers read for a decision due alone (need.Pick.whole False): of a per-item call that declares
        #: `due_items`, only the items of a decision due within `due_window`.
        self.for_decision = frozenset(for_decision)
        self.due_window = due_window
        self.rec = recorder
        self.calls = calls
        parents = {c.operation_id for c in calls}
        self.item_calls = [i for i in items if i.parent in parents]
        self.pools = {
            op: _Pool(WORKERS_PER_OPERATION, f"sync-{op}")
            for op in [c.operation_id for c in calls] + [i.operation_id for i in self.item_calls]
        }
        #: Per parent operation: the items its customers' copies hold ({domain_id: n}), most first.
        self.known: dict[str, Counter[int]] = {}
        #: Per parent operation whose copies hold no item yet (a first sync): how to guess each listed customer's.
        self.guesses: dict[str, list[Callable[[Sequence[int]], Mapping[int, int]]]] = {}
        if ranked:
            for item_call in self.item_calls:
                if item_call.known is not None:
                    self.known.setdefault(item_call.parent, Counter()).update(item_call.known())
            for item_call in self.item_calls:
                if item_call.guess is not None and not self.known.get(item_call.parent):
                    self.guesses.setdefault(item_call.parent, []).append(item_call.guess)
        # One connection per thread, and one for the thread that lists the customers.
        client.make_room(len(self.pools) * WORKERS_PER_OPERATION + 1)
        self.pending: dict[Future, tuple[CustomerCall | PerItem, int]] = {}
        self.completed: queue.SimpleQueue[Future] = queue.SimpleQueue()
        self.remaining: Counter[int] = Counter()

    def submit(self, domain_ids: Sequence[int]) -> None:
        """Queue every call of these customers; a parent's, those of the customers with most items first (a
        thread free takes the first queued at once), by the copies' counts or, on a first sync, by a guess from
        the listing."""
        if not self.calls:
            self.rec.run.done += len(domain_ids)
            return
        for call in self.calls:
            known = self.known.get(call.operation_id, Counter())
            if guesses := self.guesses.get(call.operation_id):
                known = Counter()
                for guess in guesses:
                    known.update(guess(domain_ids))
            # Queued most first as well as ranked: a free thread takes the first call as soon as it is queued,
            # before the rank of the next can count.
            for domain_id in sorted(domain_ids, key=lambda d: -known[d]) if known else domain_ids:
                rank = -known[domain_id]  # the pool takes the lowest rank first
                future = self.pools[call.operation_id].submit(self._parent, call, domain_id, rank=rank)
                self._track(future, call, domain_id)
                self.remaining[domain_id] += 1

    def _parent(self, call: CustomerCall, domain_id: int) -> tuple[Any, int, list[tuple[PerItem, Any]]]:
        """In the call's pool thread: the call, then its per-item calls submitted at once. Returns (result,
        attempts, [(per-item call, its future, or None when the result lists no item)])."""
        result, attempts = _threaded(partial(call.fetch, self.client, domain_id))
        children: list[tuple[PerItem, Any]] = []
        for item_call in self.item_calls:
            if item_call.parent != call.operation_id:
                continue
            items = list(item_call.items(result))
            if domain_id in self.for_decision and item_call.due_items is not None and self.due_window:
                due = set(item_call.due_items(result, *self.due_window))
                items = [item for item in items if item in due]
            future = None
            if items:
                future = self.pools[item_call.operation_id].submit(
                    _threaded_items, partial(item_call.fetch, self.client, domain_id), items
                )
            children.append((item_call, future))
        return result, attempts, children

    def _track(self, future: Future, call, domain_id: int) -> None:
        self.pending[future] = (call, domain_id)
        future.add_done_callback(self.completed.put)

    def drain(self, *, block: bool) -> None:
        """Store finished calls: all that are ready (waiting for at least one when `block`), one transaction
        per batch (each store in its own savepoint, so one failing store does not undo the others)."""
        while self.pending:
            try:
                batch = [self.completed.get() if block else self.completed.get_nowait()]
            except queue.Empty:
                return
            while True:
                try:
                    batch.append(self.completed.get_nowait())
                except queue.Empty:
                    break
            with transaction.atomic():
                written = []
                for future in batch:
                    call, domain_id = self.pending.pop(future)
                    written.append(domain_id)
                    if isinstance(call, PerItem):
                        self._finish_items(future, call, domain_id)
                    else:
                        self._finish(future, call, domain_id)
                copies_changed(written)
            self.rec.save()

    def _store(self, label: str, domain_id: int, write: Callable[[], None]) -> None:
        try:
            with transaction.atomic():
                write()
        except Exception as exc:
            logger.exception("resync store %s failed for %s", label, domain_id)
            self.rec.error(operation_id=label, exc=exc, domain_id=domain_id)

    def _finish(self, future: Future, call: CustomerCall, domain_id: int) -> None:
        synced_at = timezone.now()
        try:
            answer = future.result()
        except NotFoundError as exc:
            self.rec.calls[call.operation_id] += getattr(exc, "sync_attempts", 1)
            handlers = [(d.name, d.on_not_found) for d in call.declarations if d.on_not_found is not None]
            if handlers:
                for name, on_not_found in handlers:
                    self._store(
                        f"{call.operation_id}:{name}", domain_id, partial(on_not_found, domain_id, synced_at)
                    )
                self.rec.counts[f"{call.operation_id}_not_found"] += 1
            else:
                self.rec.error(operation_id=call.operation_id, exc=exc, domain_id=domain_id)
        except Exception as exc:  # one failing customer is recorded and skipped
            self.rec.calls[call.operation_id] += getattr(exc, "sync_attempts", 1)
            self.rec.error(operation_id=call.operation_id, exc=exc, domain_id=domain_id)
        else:
            result, attempts, children = answer
            self.rec.calls[call.operation_id] += attempts
            for declaration in call.declarations:
                self._store(
                    f"{call.operation_id}:{declaration.name}",
                    domain_id,
                    partial(declaration.store, domain_id, result, synced_at),
                )
            self.rec.counts[call.operation_id] += 1
            for item_call, child in children:
                if child is None:
                    self._store(
                        f"{item_call.operation_id}:{item_call.name}",
                        domain_id,
                        partial(item_call.store, domain_id, {}, synced_at),
                    )
                else:
                    self._track(child, item_call, domain_id)
                    self.remaining[domain_id] += 1
        self._one_done(domain_id)

    def _finish_items(self, future: Future, item_call: PerItem, domain_id: int) -> None:
        synced_at = timezone.now()
        try:
            results, calls = future.result()
        except Exception as exc:  # the customer's items are left as they were
            self.rec.calls[item_call.operation_id] += getattr(exc, "sync_attempts", 1)
            if domain_id in self.for_decision:
                self.rec.counts[f"{item_call.operation_id}_for_decision"] += getattr(exc, "sync_attempts", 1)
            self.rec.error(operation_id=item_call.operation_id, exc=exc, domain_id=domain_id)
        else:
            self.rec.calls[item_call.operation_id] += calls
            if domain_id in self.for_decision:
                self.rec.counts[f"{item_call.operation_id}_for_decision"] += calls
            self._store(
                f"{item_call.operation_id}:{item_call.name}",
                domain_id,
                lambda: item_call.store(domain_id, results, synced_at),
            )
            self.rec.counts[item_call.operation_id] += len(results)
        self._one_done(domain_id)

    def _one_done(self, domain_id: int) -> None:
        self.remaining[domain_id] -= 1
        if self.remaining[domain_id] <= 0:
            del self.remaining[domain_id]
            self.rec.run.done += 1

    def close(self) -> None:
        for pool in self.pools.values():
            pool.shutdown()


def _finish_run(rec: _Recorder, status: SyncRun.Status) -> SyncRun:
    run = rec.run
    run.status = status
    run.finished_at = timezone.now()
    run.counts = dict(rec.counts) | {
        "failed_customers": len(rec.failed_customers),
        "duration_seconds": round((run.finished_at - run.started_at).total_seconds(), 3),
    }
    run.calls = dict(rec.calls)
    run.errors = rec.errors[-200:]
    run.save(update_fields=["status", "finished_at", "total", "done", "counts", "calls", "errors"])
    return run


class _Lock:
    """A lock in the shared cache (Redis in production), released only by its holder.

    It lives LOCK_TTL_SECONDS unless renewed: while held, a heartbeat thread renews it every third of that, so
    a holder that dies (kill -9) leaves a lock that lapses within minutes instead of blocking every resync.
    """

    def __init__(self, key: str, ttl: int = LOCK_TTL_SECONDS) -> None:
        self.key, self.ttl, self.token = key, ttl, uuid.uuid4().hex
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None

    def acquire(self) -> bool:
        if not cache.add(self.key, self.token, self.ttl):
            return False
        self._heartbeat = threading.Thread(target=self._renew, name=f"lock-{self.key}", daemon=True)
        self._heartbeat.start()
        return True

    def _renew(self) -> None:
        while not self._stop.wait(self.ttl / 3):
            if cache.get(self.key) != self.token or not cache.touch(self.key, self.ttl):
                return

    def release(self) -> None:
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join(timeout=5)
        if cache.get(self.key) == self.token:
            cache.delete(self.key)


def full_resync_running() -> bool:
    return cache.get(LOCK_KEY) is not None


def _interrupted(runs, why: str) -> int:
    """Close runs whose process is gone (they hold no lock), saying so on the Sync page."""
    return runs.update(
        status=SyncRun.Status.FAILED,
        finished_at=timezone.now(),
        errors=[{"operation": "", "error": why}],
    )


def resync_full(*, run_id: int | None = None, user=None) -> SyncRun:
    """Walk the customer listing, store every page, fan out the per-customer calls, mark vanished customers.

    `run_id` is a SyncRun created when the run was requested (the Sync page shows it at once); without one,
    a new run is recorded. Raises SyncAlreadyRunning when another full resync holds the lock.
    """
    from portal.core.partner import get_client

    listing = customer_listing()
    lock = _Lock(LOCK_KEY)
    run = SyncRun.objects.filter(pk=run_id).first() if run_id else None
    if not lock.acquire():
        if run is not None and run.finished_at is None:
            _interrupted(
                SyncRun.objects.filter(pk=run.pk), gettext_noop("Another full resync was already running.")
            )
        raise SyncAlreadyRunning("A full resync is already running.")
    try:
        # Runs left "running" by a process that died hold no lock any more: this run takes over.
        others = SyncRun.objects.filter(kind=FULL, finished_at=None)
        if run is not None:
            others = others.exclude(pk=run.pk)
        _interrupted(
            others, gettext_noop("Interrupted: the process running it stopped; a later resync took over.")
        )
        if run is None:
            run = SyncRun.objects.create(kind=FULL, scope="all", triggered_by=user)
        return _run_full(run, listing, get_client())
    finally:
        lock.release()


def _run_full(run: SyncRun, source: CustomerListing, client: Any) -> SyncRun:
    rec = _Recorder(run)
    fanout = _Fanout(client, rec, customer_calls(), item_calls(), ranked=True)
    seen: set[int] = set()
    listing_complete = False
    drained = time.monotonic()
    try:
        cursor: str | None = None
        cursors_seen: set[str] = set()
        while True:
            attempts = [0]
            try:
                items, next_cursor = _with_retries(partial(source.fetch_page, client, cursor), attempts)
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
    _record_reads(seen, rec.failed_customers)
    refresh_planner_statistics()
    return _finish_run(rec, status)


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
    run = SyncRun.objects.create(kind=CUSTOMER, scope=str(domain_id), triggered_by=user, total=1)
    rec = _Recorder(run)
    client = get_client()
    if source.get_operation_id not in skip:
        attempts = [0]
        try:
            customer = _with_retries(lambda: source.fetch_one(client, domain_id), attempts)
        except NotFoundError:
            rec.calls[source.get_operation_id] += attempts[0]
            with transaction.atomic():
                source.mark_one_removed(domain_id, timezone.now())
                copies_changed([domain_id])
            rec.counts["removed"] += 1
            run.done = 1
            return _finish_run(rec, SyncRun.Status.SUCCEEDED)
        except PartnerApiError as exc:
            rec.calls[source.get_operation_id] += attempts[0]
            rec.error(operation_id=source.get_operation_id, exc=exc, domain_id=domain_id)
            return _finish_run(rec, SyncRun.Status.FAILED)
        rec.calls[source.get_operation_id] += attempts[0]
        with transaction.atomic():
            source.store_one(customer, timezone.now())
            copies_changed([domain_id])
        rec.counts["customers"] += 1
    fanout = _Fanout(
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
    _record_reads([domain_id], rec.failed_customers)
    return _finish_run(rec, SyncRun.Status.PARTIAL if rec.errors else SyncRun.Status.SUCCEEDED)


# --- The continuous refresh, ordered by need (need.py) ------------------------------------------------------


#: The oldest copy among the customers people look at, and how many they are (the Sync page's figure), as the
#: last refresh batch or page worked it out; kept this long.
LOOKED_AT_KEY = "portal:refresh:looked-at"
LOOKED_AT_KEEP_SECONDS = 600
#: A refresh run's count of the customers it read for a decision due alone (need.Pick.whole False).
READ_FOR_DECISION = "read_for_decision"


def refresh_mark_opened(domain_id: int) -> None:
    """Note that a customer's page was opened, for the refresh to keep its copy fresher for a while. Cheap: one
    row written per customer at most every REFRESH_MARK_EVERY_SECONDS (a key in the shared cache stands for the
    views in between)."""
    if not cache.add(f"portal:refresh-mark:opened:{domain_id}", 1, REFRESH_MARK_EVERY_SECONDS):
        return
    RefreshMark.objects.update_or_create(domain_id=domain_id, defaults={"opened_at": timezone.now()})


def _record_reads(read: Iterable[int], failed: set[int]) -> None:
    """After a run: the customers whose read failed are marked so (read first next time), the others read
    lose that mark; marks with no reason left are dropped."""
    now = timezone.now()
    read = set(read)
    marked = RefreshMark.objects.filter(failed_at__isnull=False).values_list("domain_id", flat=True)
    cleared = sorted(domain_id for domain_id in marked if domain_id in read and domain_id not in failed)
    for start in range(0, len(cleared), 500):
        RefreshMark.objects.filter(domain_id__in=cleared[start : start + 500]).update(failed_at=None)
    if failed:
        RefreshMark.objects.bulk_create(
            [RefreshMark(domain_id=domain_id, failed_at=now) for domain_id in sorted(failed)],
            update_conflicts=True,
            unique_fields=["domain_id"],
            update_fields=["failed_at"],
        )
    RefreshMark.objects.filter(
        Q(opened_at=None) | Q(opened_at__lt=_opened_since(now)), failed_at=None
    ).delete()


def _opened_since(now: dt.datetime) -> dt.datetime:
    """Opens since this moment still count: within the hour, and all of today (the business day)."""
    from portal.core import clock

    return min(now - need.OPENED_WINDOW, clock.midnight(clock.today()))


def _due_window(now: dt.datetime) -> tuple[dt.date, dt.date]:
    """The business dates of the decisions the refresh reads ahead (need "due"): those people look at (DUE_DAYS
    from today), and in the hour before midnight those the next day brings into the window."""
    from portal.core import clock

    today = clock.today()
    ahead = (now + need.DUE_AHEAD).astimezone(clock.midnight(today).tzinfo).date()
    return today, ahead + dt.timedelta(days=need.DUE_DAYS - 1)


def refresh_needs(now: dt.datetime) -> dict[str, list[int]]:
    """The customers of each need (need.NEEDS) as of `now`."""
    from portal.core import clock

    marks = RefreshMark.objects.all()
    today = clock.today()
    due = _due_customers(*_due_window(now))
    return {
        "failed": list(marks.filter(failed_at__isnull=False).values_list("domain_id", flat=True)),
        "due": sorted(due),
        "opened": list(
            marks.filter(opened_at__gte=now - need.OPENED_WINDOW).values_list("domain_id", flat=True)
        ),
        "today": list(marks.filter(opened_at__gte=clock.midnight(today)).values_list("domain_id", flat=True)),
        # Writes through the portal: the audit trail's recent entries (by its time index).
        "changed": [
            domain_id
            for domain_id in AuditEntry.objects.filter(
                created_at__gte=now - need.CHANGED_WINDOW, domain_id__isnull=False
            )
            .order_by()
            .values_list("domain_id", flat=True)
            .distinct()
            if domain_id is not None
        ],
    }


def looked_at() -> set[int]:
    """The customers people look at (need.LOOKED_AT): a decision due within DUE_DAYS (today included), or a page
    opened today (the business day)."""
    from portal.core import clock

    today = clock.today()
    found = _due_customers(today, today + dt.timedelta(days=need.DUE_DAYS - 1))
    found.update(
        RefreshMark.objects.filter(opened_at__gte=clock.midnight(today)).values_list("domain_id", flat=True)
    )
    return found


def _due_customers(first: dt.date, last: dt.date) -> set[int]:
    """The customers with a declared decision due from `first` to `last` (need "due")."""
    found: set[int] = set()
    for declared in due_soon():
        found.update(declared.customers(first, last))
    return found


def looked_at_oldest() -> tuple[dt.datetime | None, int]:
    """When the oldest copy among the customers people look at (still in the API) was read, and how many they
    are: the figure the refresh keeps under need.LOOKED_AT_GOAL, shown on the Sync page. Worked out by the
    refresh after each batch and kept in the shared cache (at 50,000 customers it reads thousands of them); a
    page finding none works it out once for the next LOOKED_AT_KEEP_SECONDS."""
    found = cache.get(LOOKED_AT_KEY)
    if found is None:
        return _store_looked_at()
    oldest, count = found
    return oldest, count


def _store_looked_at() -> tuple[dt.datetime | None, int]:
    copies = customer_listing().copies_of(sorted(looked_at()))
    found = (min((stamp for stamp in copies.values() if stamp is not None), default=None), len(copies))
    cache.set(LOOKED_AT_KEY, found, LOOKED_AT_KEEP_SECONDS)
    return found


def refresh_batch_size() -> int:
    """The calls of the busiest operation a batch has: what the sustained rate allows in
    RESYNC_REFRESH_BATCH_SECONDS (calls that go on for long keep to a share of the limit). A read for a decision
    costs one of them, a customer read whole `refresh_whole_cost()`."""
    from django.conf import settings

    from portal.core.partner import sustained_rate

    # The refresh goes on for hours: the limiter paces it at the sustained share of the limit.
    return need.batch_size(
        rate_per_minute=sustained_rate(), seconds=settings.RESYNC_REFRESH_BATCH_SECONDS, calls_per_customer=1
    )


def refresh_whole_cost() -> float:
    """What a customer read whole costs the busiest operation: a per-item operation's calls per customer read whole
    in the last full resync or refresh that read one whole (its calls for the customers read for a decision
    alone set apart), at least one."""
    runs = (
        SyncRun.objects.filter(kind__in=[FULL, REFRESH], done__gt=0)
        .exclude(finished_at=None)
        .order_by("-finished_at")
        .values("calls", "counts", "done")[:10]
    )
    for last in runs:
        counts = last["counts"] or {}
        whole = last["done"] - counts.get(READ_FOR_DECISION, 0)
        if whole <= 0:
            continue
        per_customer = 1.0
        for item_call in item_calls():
            op = item_call.operation_id
            calls = (last["calls"] or {}).get(op, 0) - counts.get(f"{op}_for_decision", 0)
            per_customer = max(per_customer, calls / whole)
        return per_customer
    return 1.0


def refresh_plan(size: int | None = None, *, needs_only: bool = False) -> list[need.Pick]:
    """The customers the next batch reads, by need, then in turn (need.refresh_order); by need alone while a
    full resync reads everyone in turn (`needs_only`). `size`: the batch's customers (each read costing one);
    by default the busiest operation's calls a batch has (`refresh_batch_size`), a customer read whole costing
    `refresh_whole_cost()` of them."""
    source = customer_listing()
    whole_cost = 1.0 if size is not None else refresh_whole_cost()
    size = refresh_batch_size() if size is None else size
    now = timezone.now()
    needs = refresh_needs(now)
    wanted = sorted({domain_id for ids in needs.values() for domain_id in ids})
    turn = max(1, int(size / whole_cost))
    return need.refresh_order(
        now=now,
        size=size,
        needs=needs,
        copies=source.copies_of(wanted),
        oldest=[] if needs_only else source.oldest_first(turn + turn // 2 + 1, now - REFRESH_TURN_MIN_AGE),
        whole_cost=whole_cost,
    )


def resync_refresh(*, size: int | None = None) -> SyncRun | None:
    """Read the next batch of customers (refresh_plan): each with its one-customer read and every per-customer
    and per-item call (of a customer read for a decision alone, the per-item calls about its decision), paced
    by the limiter, recorded as a SyncRun of kind "refresh". None when another refresher is under way, or when
    no customer needs reading. While a full resync runs (hours at 50,000 customers), it reads only the customers
    that need it (what people look at stays fresh; the full resync reads everyone in turn), sharing the rate with
    it through the limiter."""
    from portal.core.partner import get_client

    needs_only = full_resync_running()
    lock = _Lock(REFRESH_LOCK_KEY)
    if not lock.acquire():
        logger.info("refresh: another refresh is under way; not started")
        return None
    try:
        _interrupted(
            SyncRun.objects.filter(kind=REFRESH, finished_at=None),
            gettext_noop("Interrupted: the process running it stopped; a later refresh took over."),
        )
        picks = refresh_plan(size, needs_only=needs_only)
        if not picks:
            if needs_only:
                logger.info("refresh: a full resync is under way and no customer needs reading; not started")
            else:
                logger.info("refresh: every copy is younger than %s; resting", REFRESH_TURN_MIN_AGE)
            return None
        why = Counter(pick.why for pick in picks)
        run = SyncRun.objects.create(
            kind=REFRESH, scope=",".join(f"{k}={why[k]}" for k in (*need.NEEDS, need.TURN) if why[k])
        )
        run = _run_batch(
            run,
            [pick.domain_id for pick in picks],
            get_client(),
            for_decision=[pick.domain_id for pick in picks if not pick.whole],
        )
        _store_looked_at()
        return run
    finally:
        lock.release()


def _run_batch(
    run: SyncRun, domain_ids: list[int], client: Any, *, for_decision: Collection[int] = ()
) -> SyncRun:
    """Read these customers whole, but those `for_decision`: for the decision due alone (_Fanout)."""
    source = customer_listing()
    # The one-customer read goes through the fan-out like any per-customer call: paced by its own operation.
    read_one = CustomerCall(
        source.get_operation_id,
        [
            PerCustomer(
                name="customer",
                operation_id=source.get_operation_id,
                store=lambda domain_id, remote, synced_at: source.store_one(remote, synced_at),
                on_not_found=lambda domain_id, at: source.mark_one_removed(domain_id, at),
            )
        ],
    )
    rec = _Recorder(run)
    fanout = _Fanout(
        client,
        rec,
        [read_one, *customer_calls()],
        item_calls(),
        ranked=True,
        for_decision=for_decision,
        due_window=_due_window(timezone.now()),
    )
    if for_decision:
        rec.counts[READ_FOR_DECISION] = len(set(for_decision) & set(domain_ids))
    try:
        run.total += len(domain_ids)
        fanout.submit(domain_ids)
        rec.save(force=True)
        fanout.drain(block=True)
    finally:
        fanout.close()
    _record_reads(domain_ids, rec.failed_customers)
    return _finish_run(rec, SyncRun.Status.PARTIAL if rec.errors else SyncRun.Status.SUCCEEDED)


# --- Partner-wide walks (billing) -------------------------------------------------------------------------


def resync_partner_wide(
    *, name: str, params: Mapping[str, Any], run_id: int | None = None, user=None
) -> SyncRun:
    """Walk every page of the declared PartnerWide call `name` for `params` (e.g. {"year": 2026, "month": 10}),
    then hand every item to its store at once, in one transaction; a walk that did not complete stores
    nothing, so what was stored before stays whole. Recorded as a SyncRun of kind "partner"."""
    from portal.core.partner import get_client

    declaration: PartnerWide = partner_wide(name)
    scope = scope_of(name, params)
    run = SyncRun.objects.filter(pk=run_id).first() if run_id else None
    if run is None:
        run = SyncRun.objects.create(kind=PARTNER, scope=scope, triggered_by=user)
    rec = _Recorder(run)
    client = get_client()
    items: list[Any] = []
    cursor: str | None = None
    cursors_seen: set[str] = set()
    while True:
        attempts = [0]
        try:
            page = _with_retries(partial(declaration.fetch_page, client, params, cursor), attempts)
        except PartnerApiError as exc:
            rec.calls[declaration.operation_id] += attempts[0]
            rec.error(operation_id=declaration.operation_id, exc=exc)
            return _finish_run(rec, SyncRun.Status.FAILED)
        rec.calls[declaration.operation_id] += attempts[0]
        run.done += 1
        items.extend(declaration.items_of(page))
        rec.save()
        cursor = declaration.cursor_of(page)
        if not cursor:
            break
        if cursor in cursors_seen:
            rec.error(
                operation_id=declaration.operation_id,
                exc=RuntimeError(gettext_noop("The listing returned the same cursor twice; stopped.")),
            )
            return _finish_run(rec, SyncRun.Status.FAILED)
        cursors_seen.add(cursor)
    run.total = run.done
    try:
        with transaction.atomic():
            declaration.store(params, items, timezone.now())
    except Exception as exc:
        logger.exception("resync store %s failed", declaration.name)
        rec.error(operation_id=f"{declaration.operation_id}:{declaration.name}", exc=exc)
        return _finish_run(rec, SyncRun.Status.FAILED)
    rec.counts[declaration.operation_id] = len(items)
    return _finish_run(rec, SyncRun.Status.SUCCEEDED)


def resync_partner_wide_fresh(*, user=None) -> list[SyncRun]:
    """Make now, one after the other, every walk the PartnerWide declarations ask for to stay fresh today
    (`fresh_walks`: billing's last closed month and running month), each recorded as its own run and paced by
    the client's limiter; a walk of the same scope already under way is not made twice (`manage.py resync
    --partner-wide`, and the beat's task)."""
    from portal.core import clock

    runs = []
    for name, params in fresh_walks(clock.today()):
        if _walk_pending(name, params):
            continue
        runs.append(resync_partner_wide(name=name, params=params, user=user))
    return runs


def _walk_pending(name: str, params: Mapping[str, Any]) -> bool:
    """Whether a walk of this scope is queued or running, started within PARTNER_PENDING_SECONDS (an older
    unfinished one lost its worker)."""
    since = timezone.now() - dt.timedelta(seconds=PARTNER_PENDING_SECONDS)
    return SyncRun.objects.filter(
        kind=PARTNER, scope=scope_of(name, params), finished_at=None, started_at__gte=since
    ).exists()


# --- Requests from pages and services (enqueue on commit) ---------------------------------------------


def _live(run: SyncRun) -> bool:
    """Whether an unfinished full run is still alive: running under the lock, or queued a short while ago and
    not started yet. A run a worker had started (it counted customers) whose lock has lapsed lost its worker:
    waiting out the queued run's grace for it kept "Sync now" and `make run`'s first sync on a dead run for up to
    QUEUED_GRACE_SECONDS after a restart."""
    if full_resync_running():
        return True
    if run.total or run.done:
        return False
    return (timezone.now() - run.started_at).total_seconds() < QUEUED_GRACE_SECONDS


def resync_full_request(*, user) -> tuple[SyncRun | None, bool]:
    """Record a full run and enqueue it, unless a live one is already queued or running (then return that
    one; None when the lock is held but no unfinished run is recorded). A run whose process died, or that no
    worker picked up in time, no longer blocks a new one."""
    current = SyncRun.objects.filter(kind=FULL, finished_at=None).order_by("-started_at").first()
    if current is not None:
        if _live(current):
            return current, False
        _interrupted(
            SyncRun.objects.filter(pk=current.pk),
            gettext_noop("Interrupted: the process running it stopped or never started."),
        )
    elif full_resync_running():
        return None, False
    run = SyncRun.objects.create(kind=FULL, scope="all", triggered_by=user)
    transaction.on_commit(lambda: resync_full_task.delay(run_id=run.pk))
    return run, True


def resync_partner_wide_request(*, name: str, params: Mapping[str, Any], user=None) -> SyncRun:
    """Record a partner-wide walk and enqueue it (e.g. "Fetch this month now")."""
    run = SyncRun.objects.create(kind=PARTNER, scope=scope_of(name, params), triggered_by=user)
    transaction.on_commit(
        lambda: resync_partner_wide_task.delay(name=name, params=dict(params), run_id=run.pk)
    )
    return run


#: A refresh queued for a customer and not started yet stands for every request after it for this long (then
#: a refresh lost with a killed worker no longer holds the next one back).
REFRESH_PENDING_SECONDS = 120


def _refresh_pending_key(domain_id: int, skip: list[str]) -> str:
    return f"portal:refresh-pending:{domain_id}:{','.join(skip)}"


def resync_customer_request(*, domain_id: int, skip: Iterable[str] = ()) -> None:
    """Refresh one customer in the background once the current transaction commits. Requests made while a
    refresh of the same customer waits in the queue are that refresh (it has not read anything yet): ten
    changes in a row queue one refresh, not ten, and the queue stays short for the read-backs behind it."""
    skip = sorted(set(skip))

    def enqueue() -> None:
        if cache.add(_refresh_pending_key(domain_id, skip), 1, REFRESH_PENDING_SECONDS):
            resync_customer_task.delay(domain_id=domain_id, skip=skip)

    transaction.on_commit(enqueue)


def resync_customer_queued(*, domain_id: int, skip: Iterable[str] = ()) -> SyncRun:
    """The queued refresh starts: from now on a new request queues a new refresh (a change made while this one
    reads must be read again)."""
    cache.delete(_refresh_pending_key(domain_id, sorted(set(skip))))
    return resync_customer(domain_id=domain_id, skip=skip)


# --- The tasks that enter the engine (thin, by id; the worker finds them through portal/core/tasks.py) ---------


@shared_task(name="portal.core.sync.resync_full", ignore_result=True)
def resync_full_task(run_id: int | None = None) -> None:
    try:
        resync_full(run_id=run_id)
    except SyncAlreadyRunning:
        return


@shared_task(name="portal.core.sync.resync_refresh", ignore_result=True, bind=True)
def resync_refresh_task(self) -> None:
    """One batch of the continuous refresh; a batch that read something queues the next at once, so the refresh
    runs back to back at the rate limit. Beat sends it every RESYNC_REFRESH_BATCH_SECONDS too: it restarts the chain
    after a full resync, a rest or a killed worker (whose lock lapses), and is refused while a batch runs."""
    from django.conf import settings

    run = resync_refresh()
    if run is not None and settings.RESYNC_REFRESH and not self.request.is_eager:
        # To the queue this batch came from (a worker may read another than the default).
        queue = (self.request.delivery_info or {}).get("routing_key")
        resync_refresh_task.apply_async(queue=queue) if queue else resync_refresh_task.delay()


@shared_task(name="portal.core.sync.resync_customer", ignore_result=True)
def resync_customer_task(domain_id: int, skip: list[str] | None = None) -> None:
    resync_customer_queued(domain_id=domain_id, skip=skip or ())


@shared_task(name="portal.core.sync.resync_partner_wide_fresh", ignore_result=True)
def resync_partner_wide_fresh_task() -> None:
    resync_partner_wide_fresh()


@shared_task(name="portal.core.sync.resync_partner_wide", ignore_result=True)
def resync_partner_wide_task(name: str, params: dict, run_id: int | None = None) -> None:
    resync_partner_wide(name=name, params=params, run_id=run_id)
