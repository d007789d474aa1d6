"""The Celery tasks that enter the resync engine: thin, by id; the worker finds them through portal/core/tasks.py.
Their names are the ones the beat schedule and queued messages use."""

from __future__ import annotations

from celery import shared_task

from portal.core.sync.full import SyncAlreadyRunning, resync_full
from portal.core.sync.partner import resync_partner_wide, resync_partner_wide_fresh
from portal.core.sync.refresh import resync_refresh


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
    # Here, not at the top: the requests module enqueues these tasks.
    from portal.core.sync.requests import resync_customer_queued

    resync_customer_queued(domain_id=domain_id, skip=skip or ())


@shared_task(name="portal.core.sync.resync_partner_wide_fresh", ignore_result=True)
def resync_partner_wide_fresh_task() -> None:
    resync_partner_wide_fresh()


@shared_task(name="portal.core.sync.resync_partner_wide", ignore_result=True)
def resync_partner_wide_task(name: str, params: dict, run_id: int | None = None) -> None:
    resync_partner_wide(name=name, params=params, run_id=run_id)
