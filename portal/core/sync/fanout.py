"""The per-customer calls of a run made side by side (`Fanout`): one small thread pool per operation, each paced
by the client's limiter; per-item calls queued by their parent's thread as soon as its answer is in; every answer
stored in the thread that runs the engine."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import queue
import threading
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import Future
from functools import partial
from typing import Any

from django.db import connections, transaction
from django.utils import timezone

from partner_api.errors import NotFoundError
from portal.core.copies import copies_changed
from portal.core.sync.declarations import (
    CustomerCall,
    PerItem,
)
from portal.core.sync.running import Recorder, with_retries

logger = logging.getLogger(__name__)

#: Threads per API operation. The client's limiter paces each operation; a few threads hide latency.
WORKERS_PER_OPERATION = 4


def _threaded(fn: Callable[[], Any]) -> tuple[Any, int]:
    """Call `fn` with retries in a pool thread; return (result, attempts). Closes any DB connection it opened."""
    attempts = [0]
    try:
        return with_retries(fn, attempts), attempts[0]
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
                results[item] = with_retries(partial(fetch, item), attempts)
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


class Fanout:
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
        recorder: Recorder,
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
