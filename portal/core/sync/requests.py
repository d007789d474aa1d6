"""Resyncs asked for by pages and services: recorded now, enqueued once the transaction commits (a full run,
a partner-wide walk, one customer's refresh; repeated requests for a customer waiting in the queue are one)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from portal.core.models import SyncRun
from portal.core.sync.declarations import scope_of
from portal.core.sync.full import resync_customer
from portal.core.sync.running import (
    FULL,
    PARTNER,
    full_resync_running,
    interrupted,
)
from portal.core.sync.tasks import resync_customer_task, resync_full_task, resync_partner_wide_task

#: A full run requested (queued) but not started by a worker within this long is considered lost.
QUEUED_GRACE_SECONDS = 15 * 60


def _live(run: SyncRun) -> bool:
    """Whether an unfinished full run is still alive: running under the lock, or queued a short while ago and
    not started yet. A run a worker had started (it counted customers) whose lock has lapsed lost its worker:
    waiting out the queued run's grace for it kept "Sync now" and `make run`'s first sync on a dead run for up to
    QUEUED_GRACE_SECONDS after a restart."""
    if full_resync_running():
        return True
    if run.total or run.done:
        return False
    return (timezone.now() - run.requested_at).total_seconds() < QUEUED_GRACE_SECONDS


def resync_full_request(*, user) -> tuple[SyncRun | None, bool]:
    """Record a full run and enqueue it, unless a live one is already queued or running (then return that
    one; None when the lock is held but no unfinished run is recorded). A run whose process died, or that no
    worker picked up in time, no longer blocks a new one."""
    current = SyncRun.objects.filter(kind=FULL, finished_at=None).order_by("-requested_at").first()
    if current is not None:
        if _live(current):
            return current, False
        interrupted(
            SyncRun.objects.filter(pk=current.pk),
            gettext_noop("Interrupted: the process running it stopped or never started."),
        )
    elif full_resync_running():
        return None, False
    run = SyncRun.objects.create(kind=FULL, scope="all", requested_by=user)
    transaction.on_commit(lambda: resync_full_task.delay(run_id=run.pk))
    return run, True


def resync_partner_wide_request(*, name: str, params: Mapping[str, Any], user=None) -> SyncRun:
    """Record a partner-wide walk and enqueue it (e.g. "Fetch this month now")."""
    run = SyncRun.objects.create(kind=PARTNER, scope=scope_of(name, params), requested_by=user)
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
