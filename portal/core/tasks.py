"""Celery tasks of the core app (the worker autodiscovers them): liveness and the resync engine's runs. Tasks
are thin: they take ids and call services."""

import socket

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

WORKER_HEARTBEAT_KEY = "portal:worker-heartbeat"


@shared_task(name="portal.core.tasks.ping")
def ping() -> dict:
    """Worker liveness: records when a worker last ran a task (shown by /readyz) and answers who ran it."""
    beat = {"host": socket.gethostname(), "at": timezone.now().isoformat()}
    cache.set(WORKER_HEARTBEAT_KEY, beat, timeout=3600)
    return beat


@shared_task(name="portal.core.sync.resync_full", ignore_result=True)
def resync_full(run_id: int | None = None) -> None:
    from portal.core import sync

    try:
        sync.resync_full(run_id=run_id)
    except sync.SyncAlreadyRunning:
        return


@shared_task(name="portal.core.sync.resync_customer", ignore_result=True)
def resync_customer(domain_id: int, skip: list[str] | None = None) -> None:
    from portal.core import sync

    sync.resync_customer_queued(domain_id=domain_id, skip=skip or ())


@shared_task(name="portal.core.sync.resync_partner_wide", ignore_result=True)
def resync_partner_wide(name: str, params: dict, run_id: int | None = None) -> None:
    from portal.core import sync

    sync.resync_partner_wide(name=name, params=params, run_id=run_id)


@shared_task(name="portal.core.changes.run", ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def change_run(operation_id: str) -> None:
    """Send one queued change (acks late: a task whose worker died is delivered again, and then reconciles)."""
    from portal.core import changes

    changes.change_run(operation_pk=operation_id)


@shared_task(name="portal.core.changes.reconcile", ignore_result=True)
def change_reconcile(operation_pk: str, attempt: int) -> None:
    from portal.core import changes

    changes.change_reconcile(operation_pk=operation_pk, attempt=attempt)


@shared_task(name="portal.core.changes.reap_stale", ignore_result=True)
def changes_reap_stale() -> None:
    """Periodic: reconcile the changes whose worker died while sending them."""
    from portal.core import changes

    changes.changes_reap_stale()
