"""Every Celery task of core, gathered where the worker's autodiscovery looks: liveness here, and the tasks the
change and resync engines declare beside the code they enter (so an engine that enqueues imports no task
module). Tasks are thin: they take ids and call the engine."""

import socket

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

from portal.core.changes.engine import change_reconcile_task as change_reconcile
from portal.core.changes.engine import change_run_task as change_run
from portal.core.events.delivery import deliver_due_task as events_deliver_due
from portal.core.events.delivery import deliver_task as events_deliver
from portal.core.kept import keep_task as keep
from portal.core.notices.delivery import deliver_due_task as notices_deliver_due
from portal.core.notices.delivery import deliver_task as notices_deliver
from portal.core.sync.tasks import resync_customer_task as resync_customer
from portal.core.sync.tasks import resync_full_task as resync_full
from portal.core.sync.tasks import resync_partner_wide_fresh_task as resync_partner_wide_fresh
from portal.core.sync.tasks import resync_partner_wide_task as resync_partner_wide
from portal.core.sync.tasks import resync_refresh_task as resync_refresh

__all__ = [
    "change_reconcile",
    "change_run",
    "changes_reap_stale",
    "housekeeping",
    "keep",
    "events_deliver",
    "events_deliver_due",
    "notices_deliver",
    "notices_deliver_due",
    "ping",
    "resync_customer",
    "resync_full",
    "resync_partner_wide",
    "resync_partner_wide_fresh",
    "resync_refresh",
]

WORKER_HEARTBEAT_KEY = "portal:worker-heartbeat"


@shared_task(name="portal.core.tasks.ping")
def ping() -> dict:
    """Worker liveness: records when a worker last ran a task (shown by /readyz) and answers who ran it."""
    beat = {"host": socket.gethostname(), "at": timezone.now().isoformat()}
    cache.set(WORKER_HEARTBEAT_KEY, beat, timeout=3600)
    return beat


@shared_task(name="portal.core.housekeeping", ignore_result=True)
def housekeeping() -> dict:
    """Nightly: remove the history no retention rule keeps any more (portal/core/retention.py)."""
    from portal.core.retention import housekeep

    return housekeep()


@shared_task(name="portal.core.changes.reap_stale", ignore_result=True)
def changes_reap_stale() -> None:
    """Periodic (its period: `portal.core.changes.timing`): read back the changes whose sender died while sending
    them, and queue again the contributed runs whose worker died (`portal.core.runs.runs_reap_stale`)."""
    from portal.core.changes.engine import changes_reap_stale as reap
    from portal.core.runs import runs_reap_stale

    reap()
    runs_reap_stale()
