"""What every resync run uses: its record (`Recorder`, `finish_run`), the retries of one API call
(`with_retries`), the lock a run holds in the shared cache (`Lock`: the full resync's and the refresh's), whether a
full resync runs or gives way to the refresh, and the closing of runs whose process died (`interrupted`). The kinds
of run: FULL, CUSTOMER, PARTNER, REFRESH."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from partner_api.errors import PartnerApiError, RateLimitedError
from partner_api.transport import requests_sent
from portal.core.models import SyncRun

logger = logging.getLogger(__name__)

FULL = "full"
CUSTOMER = "customer"
PARTNER = "partner"
REFRESH = "refresh"

#: Retries of a retryable error (on top of the client's own), and the waits between them (seconds).
RETRY_ATTEMPTS = 3
RETRY_BACKOFF_SECONDS = (1.0, 3.0, 9.0)

#: Progress is written to the SyncRun at most this often (seconds).
PROGRESS_EVERY = 0.5
LOCK_KEY = "portal:resync:full"
#: The full-resync lock lapses this long after its holder stopped renewing it (its process died); the
#: heartbeat renews it every third of that.
LOCK_TTL_SECONDS = 120
#: Set while a refresh beside a full resync has customers to read by need (customers people look at): the full
#: resync then gives way to it (`full_resync_gives_way`). It lapses after two batches unless a batch sets it again.
REFRESH_WANTED_KEY = "portal:resync:refresh-wanted"


class Recorder:
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


def with_retries(fn: Callable[[], Any], attempts_log: list[int]) -> Any:
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


def finish_run(rec: Recorder, status: SyncRun.Status) -> SyncRun:
    run = rec.run
    run.status = status
    run.finished_at = timezone.now()
    run.counts = dict(rec.counts) | {
        "failed_customers": len(rec.failed_customers),
        "duration_seconds": round((run.finished_at - run.requested_at).total_seconds(), 3),
    }
    run.calls = dict(rec.calls)
    run.errors = rec.errors[-200:]
    run.save(update_fields=["status", "finished_at", "total", "done", "counts", "calls", "errors"])
    return run


class Lock:
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


def full_resync_gives_way() -> bool:
    """Whether a full resync's calls give way now: a refresh beside it has customers to read by need. Its calls
    then keep to RESYNC_FULL_SHARE_GIVING_WAY of each operation's rate and the refresh has the rest, so what
    people look at stays fresh while a full resync reads everyone for hours (partner_api.ratelimit.GivingWay)."""
    return cache.get(REFRESH_WANTED_KEY) is not None


def say_refresh_wanted(wanted: bool) -> None:
    from django.conf import settings

    if wanted:
        cache.set(REFRESH_WANTED_KEY, 1, 2 * settings.RESYNC_REFRESH_BATCH_SECONDS)
    else:
        cache.delete(REFRESH_WANTED_KEY)


def interrupted(runs, why: str) -> int:
    """Close runs whose process is gone (they hold no lock), saying so on the Sync page."""
    return runs.update(
        status=SyncRun.Status.FAILED,
        finished_at=timezone.now(),
        errors=[{"operation": "", "error": why}],
    )
