"""Celery tasks of the resync engine: thin wrappers that take ids (see portal.core.sync).

Registered with the worker through `customers.tasks`, which re-exports them (the customers app is the root
of every resync, so it is always installed when these run).
"""

from __future__ import annotations

from celery import shared_task


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

    sync.resync_customer(domain_id=domain_id, skip=skip or ())
