"""The resync engine: copies the Partner API into the cache tables, declared in one place.

Apps declare what to read; the engine decides when and how:

* one **customer source** (the customers app): how to walk `listCustomers` page by page and store each page,
  how to read and store one customer (`getCustomer`), and what to do with customers the listing no longer
  returns (mark them removed);
* any number of **per-customer calls** (`register_customer_call`): an operationId, a `fetch(client,
  domain_id)` that only calls the client, and a `store(domain_id, result, synced_at)` that only writes the
  cache. Two apps that need the same operation register two stores for one fetch: the call is made once and
  both stores receive its result, so nothing is fetched twice. Each registration may give its own
  `on_not_found(domain_id, synced_at)`, called when the API answers 404 for that customer;
* any number of **per-item calls** (`register_item_call`): a call made once per item that a per-customer
  call's result lists (e.g. `getSubscriptionReservation` once per subscription of `listSubscriptions`).
  It runs after its parent call succeeded, with the parent's result; a 404 for an item means "nothing there"
  (the item maps to None), and the store receives every item's answer at once, so it can drop what vanished.

Guarantees of a run:

* **overlap-guarded**: a full resync holds a cache lock (Redis in production); a second one refuses to start;
* **idempotent**: stores upsert by remote id, so running twice leaves the same cache;
* **bounded by the rate limit, concurrent across operations**: each operation has its own small thread pool;
  the client's limiter paces each operation, so independent operations proceed side by side;
* **fault tolerant**: retryable errors are retried with backoff; a customer whose calls still fail is recorded
  in the run's errors and skipped, never stopping the run;
* **recorded**: a `SyncRun` with total/done, counts, calls per operation, errors and duration.

Threads only call the API; every database write happens in the thread that runs the engine.
"""

from __future__ import annotations

import logging
import queue
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connections, transaction
from django.utils import timezone

from partner_api.errors import NotFoundError, PartnerApiError, RateLimitedError
from portal.core.models import SyncRun

logger = logging.getLogger(__name__)

FULL = "full"
CUSTOMER = "customer"

#: Retries of a retryable error (on top of the client's own), and the waits between them (seconds).
RETRY_ATTEMPTS = 3
RETRY_BACKOFF_SECONDS = (1.0, 3.0, 9.0)
#: Threads per API operation. The client's limiter paces each operation; a few threads hide latency.
WORKERS_PER_OPERATION = 4
#: Progress is written to the SyncRun at most this often (seconds).
PROGRESS_EVERY = 0.5
#: A "running" run older than this without a lock is considered interrupted.
LOCK_KEY = "portal:resync:full"


class SyncAlreadyRunning(Exception):
    """A full resync is already in progress; the new one was not started."""


# --- Registry --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomerSource:
    """The root of every resync: the customer listing (registered once, by the customers app)."""

    list_operation_id: str
    #: fetch_page(client, cursor) -> (items, next cursor or None); called with cursor None first.
    fetch_page: Callable[[Any, str | None], tuple[list[Any], str | None]]
    store_page: Callable[[list[Any], Any], list[int]]
    mark_removed: Callable[[set[int], Any], int]
    get_operation_id: str
    fetch_one: Callable[[Any, int], Any]
    store_one: Callable[[Any, Any], None]
    mark_one_removed: Callable[[int, Any], None]
    #: Which domain ids get per-customer calls in a full run (e.g. not the removed ones).
    needs_calls: Callable[[int], bool] = lambda domain_id: True


@dataclass
class CustomerCall:
    operation_id: str
    fetch: Callable[[Any, int], Any]
    stores: list[tuple[str, Callable[[int, Any, Any], None]]] = field(default_factory=list)
    #: Called instead of the stores when the API answers 404 for this customer's sub-resource (per store).
    not_found: list[tuple[str, Callable[[int, Any], None]]] = field(default_factory=list)


@dataclass(frozen=True)
class ItemCall:
    """A call made once per item listed by a per-customer call (its `parent`), after the parent succeeded."""

    name: str
    operation_id: str
    parent: str
    #: items(parent_result) -> the items (ids) to call for, e.g. the subscription ids of listSubscriptions.
    items: Callable[[Any], list[Any]]
    #: fetch(client, domain_id, item) -> result; only calls the client. NotFoundError means "none for it".
    fetch: Callable[[Any, int, Any], Any]
    #: store(domain_id, {item: result or None}, synced_at); only writes the cache.
    store: Callable[[int, dict[Any, Any], Any], None]


_source: CustomerSource | None = None
_calls: dict[str, CustomerCall] = {}
_item_calls: dict[str, ItemCall] = {}


def register_customer_source(source: CustomerSource) -> None:
    global _source
    _source = source


def register_customer_call(
    *,
    name: str,
    operation_id: str,
    fetch: Callable[[Any, int], Any],
    store: Callable[[int, Any, Any], None],
    on_not_found: Callable[[int, Any], None] | None = None,
) -> None:
    """Declare a per-customer call. `name` identifies the store (re-registering the same name replaces it).

    The first registration of an operationId provides its `fetch`; later ones add their store (and their
    `on_not_found`) to it.
    """
    call = _calls.get(operation_id)
    if call is None:
        call = _calls[operation_id] = CustomerCall(operation_id=operation_id, fetch=fetch)
    call.stores = [(n, s) for n, s in call.stores if n != name] + [(name, store)]
    call.not_found = [(n, f) for n, f in call.not_found if n != name]
    if on_not_found is not None:
        call.not_found.append((name, on_not_found))


def register_item_call(
    *,
    name: str,
    operation_id: str,
    parent: str,
    items: Callable[[Any], list[Any]],
    fetch: Callable[[Any, int, Any], Any],
    store: Callable[[int, dict[Any, Any], Any], None],
) -> None:
    """Declare a per-item call (one per item of the per-customer call `parent`). Re-registering replaces it."""
    _item_calls[operation_id] = ItemCall(
        name=name, operation_id=operation_id, parent=parent, items=items, fetch=fetch, store=store
    )


def customer_calls() -> list[CustomerCall]:
    return list(_calls.values())


def item_calls() -> list[ItemCall]:
    return list(_item_calls.values())


def customer_source() -> CustomerSource:
    if _source is None:
        raise RuntimeError("No customer source is registered (the customers app registers it in ready()).")
    return _source


def calls_needed(*, customers: int, list_pages: int, items: dict[str, int] | None = None) -> dict[str, int]:
    """The calls one full resync needs: every listing page, each per-customer call once per customer, and
    each per-item call once per item (`items`: operationId -> how many items its parent lists in all)."""
    out = {customer_source().list_operation_id: list_pages}
    for call in customer_calls():
        out[call.operation_id] = customers
    for item_call in item_calls():
        if (items or {}).get(item_call.operation_id):
            out[item_call.operation_id] = items[item_call.operation_id]
    return out


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
        entry = {"operation": operation_id, "error": _describe(exc)}
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
    """Run one API call, retrying retryable errors with backoff. Runs in a worker thread; no DB access."""
    attempt = 0
    while True:
        attempt += 1
        attempts_log[0] = attempt
        try:
            return fn()
        except PartnerApiError as exc:
            if not exc.retryable or attempt > RETRY_ATTEMPTS:
                raise
            wait_for = RETRY_BACKOFF_SECONDS[min(attempt - 1, len(RETRY_BACKOFF_SECONDS) - 1)]
            if isinstance(exc, RateLimitedError) and exc.retry_after:
                wait_for = max(wait_for, min(exc.retry_after, 65.0))
            time.sleep(wait_for)


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
                results[item] = _with_retries(lambda item=item: fetch(item), attempts)
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


class _Fanout:
    """Per-customer calls for a stream of domain ids, one pool per operation; results stored in this thread.

    Per-item calls whose parent is among `calls` are submitted when the parent's result is in.
    """

    def __init__(
        self, client: Any, recorder: _Recorder, calls: list[CustomerCall], items: list[ItemCall] = ()
    ) -> None:
        self.client = client
        self.rec = recorder
        self.calls = calls
        parents = {c.operation_id for c in calls}
        self.item_calls = [i for i in items if i.parent in parents]
        self.pools = {
            op: ThreadPoolExecutor(WORKERS_PER_OPERATION, thread_name_prefix=f"sync-{op}")
            for op in [c.operation_id for c in calls] + [i.operation_id for i in self.item_calls]
        }
        self.pending: dict[Future, tuple[CustomerCall | ItemCall, int]] = {}
        self.completed: queue.SimpleQueue[Future] = queue.SimpleQueue()
        self.remaining: Counter[int] = Counter()

    def submit(self, domain_id: int) -> None:
        if not self.calls:
            self.rec.run.done += 1
            return
        for call in self.calls:
            future = self.pools[call.operation_id].submit(
                _threaded, lambda call=call, domain_id=domain_id: call.fetch(self.client, domain_id)
            )
            self._track(future, call, domain_id)
            self.remaining[domain_id] += 1

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
                for future in batch:
                    call, domain_id = self.pending.pop(future)
                    if isinstance(call, ItemCall):
                        self._finish_items(future, call, domain_id)
                    else:
                        self._finish(future, call, domain_id)
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
            result, attempts = future.result()
        except NotFoundError as exc:
            self.rec.calls[call.operation_id] += getattr(exc, "sync_attempts", 1)
            if call.not_found:
                for name, handler in call.not_found:
                    self._store(
                        f"{call.operation_id}:{name}",
                        domain_id,
                        lambda handler=handler: handler(domain_id, synced_at),
                    )
                self.rec.counts[f"{call.operation_id}_not_found"] += 1
            else:
                self.rec.error(operation_id=call.operation_id, exc=exc, domain_id=domain_id)
        except Exception as exc:  # one failing customer is recorded and skipped
            self.rec.calls[call.operation_id] += getattr(exc, "sync_attempts", 1)
            self.rec.error(operation_id=call.operation_id, exc=exc, domain_id=domain_id)
        else:
            self.rec.calls[call.operation_id] += attempts
            for name, store in call.stores:
                self._store(
                    f"{call.operation_id}:{name}",
                    domain_id,
                    lambda store=store: store(domain_id, result, synced_at),
                )
            self.rec.counts[call.operation_id] += 1
            for item_call in self.item_calls:
                if item_call.parent == call.operation_id:
                    self._submit_items(item_call, domain_id, result, synced_at)
        self._one_done(domain_id)

    def _submit_items(self, item_call: ItemCall, domain_id: int, parent_result: Any, synced_at) -> None:
        items = list(item_call.items(parent_result))
        if not items:
            self._store(
                f"{item_call.operation_id}:{item_call.name}",
                domain_id,
                lambda: item_call.store(domain_id, {}, synced_at),
            )
            return
        future = self.pools[item_call.operation_id].submit(
            _threaded_items, lambda item: item_call.fetch(self.client, domain_id, item), items
        )
        self._track(future, item_call, domain_id)
        self.remaining[domain_id] += 1

    def _finish_items(self, future: Future, item_call: ItemCall, domain_id: int) -> None:
        synced_at = timezone.now()
        try:
            results, calls = future.result()
        except Exception as exc:  # the customer's items are left as they were
            self.rec.calls[item_call.operation_id] += getattr(exc, "sync_attempts", 1)
            self.rec.error(operation_id=item_call.operation_id, exc=exc, domain_id=domain_id)
        else:
            self.rec.calls[item_call.operation_id] += calls
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
            pool.shutdown(wait=True, cancel_futures=True)


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
    """A lock in the shared cache (Redis in production), released only by its holder."""

    def __init__(self, key: str, timeout: int) -> None:
        self.key, self.timeout, self.token = key, timeout, uuid.uuid4().hex

    def acquire(self) -> bool:
        return cache.add(self.key, self.token, self.timeout)

    def release(self) -> None:
        if cache.get(self.key) == self.token:
            cache.delete(self.key)


def full_resync_running() -> bool:
    return cache.get(LOCK_KEY) is not None


def resync_full(*, run_id: int | None = None, user=None) -> SyncRun:
    """Walk the customer listing, store every page, fan out the per-customer calls, mark vanished customers.

    `run_id` is a SyncRun created when the run was requested (the Sync page shows it at once); without one,
    a new run is recorded. Raises SyncAlreadyRunning when another full resync holds the lock.
    """
    from portal.core.partner import get_client

    source = customer_source()
    lock = _Lock(LOCK_KEY, timeout=int(getattr(settings, "CELERY_TASK_TIME_LIMIT", 3600)))
    run = SyncRun.objects.filter(pk=run_id).first() if run_id else None
    if not lock.acquire():
        if run is not None and run.finished_at is None:
            run.status, run.finished_at = SyncRun.Status.FAILED, timezone.now()
            run.errors = [{"operation": "", "error": "Another full resync was already running."}]
            run.save(update_fields=["status", "finished_at", "errors"])
        raise SyncAlreadyRunning("A full resync is already running.")
    try:
        # Runs left "running" by a process that died hold no lock any more: close them.
        SyncRun.objects.filter(kind=FULL, finished_at=None).exclude(pk=getattr(run, "pk", None)).update(
            status=SyncRun.Status.FAILED, finished_at=timezone.now()
        )
        if run is None:
            run = SyncRun.objects.create(kind=FULL, scope="all", triggered_by=user)
        return _run_full(run, source, get_client())
    finally:
        lock.release()


def _run_full(run: SyncRun, source: CustomerSource, client: Any) -> SyncRun:
    rec = _Recorder(run)
    fanout = _Fanout(client, rec, customer_calls(), item_calls())
    seen: set[int] = set()
    listing_complete = False
    try:
        cursor: str | None = None
        cursors_seen: set[str] = set()
        while True:
            attempts = [0]
            try:
                items, next_cursor = _with_retries(lambda c=cursor: source.fetch_page(client, c), attempts)
            except PartnerApiError as exc:
                rec.calls[source.list_operation_id] += attempts[0]
                rec.error(operation_id=source.list_operation_id, exc=exc)
                break
            rec.calls[source.list_operation_id] += attempts[0]
            with transaction.atomic():
                ids = source.store_page(items, timezone.now())
            rec.counts["customers"] += len(ids)
            for domain_id in ids:
                if domain_id in seen:
                    continue
                seen.add(domain_id)
                run.total += 1
                if source.needs_calls(domain_id):
                    fanout.submit(domain_id)
                else:
                    run.done += 1
            fanout.drain(block=False)
            rec.save()
            if not next_cursor:
                listing_complete = True
                break
            if next_cursor in cursors_seen:
                rec.error(
                    operation_id=source.list_operation_id,
                    exc=RuntimeError("The listing returned the same cursor twice; stopped."),
                )
                break
            cursors_seen.add(next_cursor)
            cursor = next_cursor
        fanout.drain(block=True)
    finally:
        fanout.close()
    if listing_complete:
        with transaction.atomic():
            rec.counts["removed"] += source.mark_removed(seen, timezone.now())
        status = SyncRun.Status.PARTIAL if rec.errors else SyncRun.Status.SUCCEEDED
    else:
        status = SyncRun.Status.FAILED
    return _finish_run(rec, status)


def resync_customer(*, domain_id: int, user=None, skip: Iterable[str] = ()) -> SyncRun:
    """Read one customer and its per-customer calls again (operations in `skip` are not called)."""
    from portal.core.partner import get_client

    source = customer_source()
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
        rec.counts["customers"] += 1
    fanout = _Fanout(
        client,
        rec,
        [c for c in customer_calls() if c.operation_id not in skip],
        [i for i in item_calls() if i.operation_id not in skip],
    )
    try:
        fanout.submit(domain_id)
        fanout.drain(block=True)
    finally:
        fanout.close()
    run.done = 1
    return _finish_run(rec, SyncRun.Status.PARTIAL if rec.errors else SyncRun.Status.SUCCEEDED)


# --- Requests from pages and services (enqueue on commit) ---------------------------------------------


def resync_full_request(*, user) -> tuple[SyncRun, bool]:
    """Record a full run and enqueue it, unless one is already queued or running (then return that one)."""
    from portal.core import sync_tasks

    current = SyncRun.objects.filter(kind=FULL, finished_at=None).order_by("-started_at").first()
    if current is not None or full_resync_running():
        return current, False
    run = SyncRun.objects.create(kind=FULL, scope="all", triggered_by=user)
    transaction.on_commit(lambda: sync_tasks.resync_full.delay(run_id=run.pk))
    return run, True


def resync_customer_request(*, domain_id: int, skip: Iterable[str] = ()) -> None:
    """Refresh one customer in the background once the current transaction commits."""
    from portal.core import sync_tasks

    skip = sorted(set(skip))
    transaction.on_commit(lambda: sync_tasks.resync_customer.delay(domain_id=domain_id, skip=skip))
