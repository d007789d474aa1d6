"""The portal's periodic jobs: each app contributes the ones it owns (kind "periodic"), core its own from
`CoreConfig.ready()`, and the project's beat schedule (`portal/celery.py`) is made of them, naming no app.

A job's schedule is read when beat's schedule is made, from the settings as they are then, so a setting changed
in a test or the environment is seen. A crontab's hours and days are in the business time zone: Celery's own
(CELERY_TIMEZONE), which beat reads them in; a crontab's `nowfun` would not do it (beat still matched the hours
in UTC)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from celery.schedules import crontab
from django.conf import settings

from portal.core.changes.timing import timing


@dataclass(frozen=True)
class Periodic:
    """A task beat sends on a schedule. `every()` gives the schedule (seconds, or a `crontab`), or None when the
    job is off in these settings."""

    name: str
    task: str
    every: Callable[[], Any]


def beat_schedule() -> dict[str, dict[str, Any]]:
    """Every contributed periodic job that is on, as beat's `beat_schedule` reads it: name -> task and schedule.
    Made after the apps are ready (an empty registry would be a schedule with no job in it)."""
    from django.apps import apps

    from portal.core.contrib import contributions

    apps.check_apps_ready()
    schedule: dict[str, dict[str, Any]] = {}
    for job in contributions("periodic"):
        if job.name in schedule:
            raise ValueError(f"Two periodic jobs are named {job.name!r}")
        every = job.every()
        if every is not None:
            schedule[job.name] = {"task": job.task, "schedule": every}
    return schedule


#: Core's own periodic jobs.
CORE_JOBS = [
    Periodic("resync-full", "portal.core.sync.resync_full", lambda: settings.RESYNC_INTERVAL_MINUTES * 60),
    # The continuous refresh chains its batches itself; this tick restarts the chain after a full resync, a rest
    # (every copy young) or a killed worker (its lock lapses), and is refused while a batch runs.
    Periodic(
        "resync-refresh",
        "portal.core.sync.resync_refresh",
        lambda: float(settings.RESYNC_REFRESH_BATCH_SECONDS) if settings.RESYNC_REFRESH else None,
    ),
    # Changes whose sender died while sending them are read back within CHANGES_SETTLE_SECONDS: the period is
    # derived with the heartbeat's life from the client's timeouts (portal/core/changes/timing.py). The same tick
    # queues again the contributed runs whose worker died (portal/core/runs.py).
    Periodic("changes-reap-stale", "portal.core.changes.reap_stale", lambda: timing().reap_every),
    # The partner-wide walks the apps keep fresh (billing: the last closed month's invoice and details, the
    # running month's year of invoices), twice a day in the business time zone: the invoice issued on the 1st is
    # read at 06:00 JST that day, a payment within half a day.
    Periodic(
        "partner-wide-fresh",
        "portal.core.sync.resync_partner_wide_fresh",
        lambda: crontab(minute=0, hour="6,18"),
    ),
    # The copies kept of what is worked out from the cache (billing's estimate, invoicing's drafts), brought up to
    # date every minute as a safety net (a reader who finds one behind queues its month at once), and so just
    # after the business day turns, not in the first reader's request (portal/core/kept.py).
    Periodic("kept-copies", "portal.core.keep", lambda: 60.0),
    # Each night (HOUSEKEEPING_HOUR, business time zone), the history no rule keeps any more is removed in small
    # batches (portal/core/retention.py); its run is on the Sync page.
    Periodic(
        "housekeeping-nightly",
        "portal.core.housekeeping",
        lambda: crontab(minute=30, hour=settings.HOUSEKEEPING_HOUR),
    ),
    # Notices due again after a failed attempt, or whose delivery the queue lost; those stuck half sent
    # (portal/core/notices/).
    Periodic("notices-due", "portal.core.notices.deliver_due", lambda: 60.0),
    # Events due again after a failed attempt, or whose delivery the queue lost (portal/core/events/).
    Periodic("events-due", "portal.core.events.deliver_due", lambda: 60.0),
    Periodic("worker-heartbeat", "portal.core.tasks.ping", lambda: 300.0),
]
