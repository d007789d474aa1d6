"""The Celery application and the one beat schedule of the portal."""

import os

from celery import Celery
from celery.signals import setup_logging
from django_structlog.celery.steps import DjangoStructLogInitStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Workers log like the web (portal/logs.py): Django's LOGGING, not Celery's own, and one line per task carrying
# the request id of the request that queued it.
app.steps["worker"].add(DjangoStructLogInitStep)


@setup_logging.connect
def _django_logging(**kwargs: object) -> None:
    from portal.logs import celery_setup_logging

    celery_setup_logging(**kwargs)


@app.on_configure.connect
def _prepare_filesystem_broker(sender: Celery, **_: object) -> None:
    """Without Redis, the broker and result backend are folders under var/: make sure they exist.

    Read from Django's settings, not `sender.conf`: reading the configuration inside its own on_configure
    signal configures it again, recursively.
    """
    from pathlib import Path

    from django.conf import settings

    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", None) or {}
    folders = [options.get(k) for k in ("data_folder_in", "processed_folder", "control_folder")]
    backend = str(getattr(settings, "CELERY_RESULT_BACKEND", "") or "")
    if backend.startswith("file://"):
        folders.append(backend.removeprefix("file://"))
    for folder in filter(None, folders):
        Path(folder).mkdir(parents=True, exist_ok=True)


@app.on_after_finalize.connect
def _declare_beat_schedule(sender: Celery, **_: object) -> None:
    sender.conf.beat_schedule = beat_schedule()


def beat_schedule() -> dict:
    """Every periodic job of the portal is declared here, in one place (from the settings as they are now).

    A crontab's hours and days are in the business time zone: Celery's own (CELERY_TIMEZONE), which beat reads
    them in; a crontab's `nowfun` would not do it (beat still matched the hours in UTC)."""
    from celery.schedules import crontab
    from django.conf import settings

    from portal.core.changes.timing import timing

    refresh = {
        # The continuous refresh chains its batches itself; this tick restarts the chain after a full resync, a
        # rest (every copy young) or a killed worker (its lock lapses), and is refused while a batch runs.
        "resync-refresh": {
            "task": "portal.core.sync.resync_refresh",
            "schedule": float(settings.RESYNC_REFRESH_BATCH_SECONDS),
        }
    }
    return {
        "resync-full": {
            "task": "portal.core.sync.resync_full",
            "schedule": settings.RESYNC_INTERVAL_MINUTES * 60,
        },
        **(refresh if settings.RESYNC_REFRESH else {}),
        # Changes whose sender died while sending them are read back within CHANGES_SETTLE_SECONDS: the period
        # is derived with the heartbeat's life from the client's timeouts (portal/core/changes/timing.py).
        "changes-reap-stale": {
            "task": "portal.core.changes.reap_stale",
            "schedule": timing().reap_every,
        },
        # The month's invoice issue and send runs whose worker died are queued again the same way (their workers
        # keep the same heartbeat): invoicing's `runs_reap_stale`.
        "invoicing-runs-reap": {
            "task": "invoicing.reap_runs",
            "schedule": timing().reap_every,
        },
        # The partner-wide walks the apps keep fresh (billing: the last closed month's invoice and details, the
        # running month's year of invoices), twice a day in the business time zone: the invoice issued on the
        # 1st is read at 06:00 JST that day, a payment within half a day.
        "partner-wide-fresh": {
            "task": "portal.core.sync.resync_partner_wide_fresh",
            "schedule": crontab(minute=0, hour="6,18"),
        },
        # The copies kept of what is worked out from the cache (billing's estimate, invoicing's drafts), brought
        # up to date every minute as a safety net (a reader who finds one behind queues its month at once), and
        # so just after the business day turns, not in the first reader's request (portal/core/kept.py).
        "kept-copies": {
            "task": "portal.core.keep",
            "schedule": 60.0,
        },
        # Each morning (DIGEST_HOUR, business time zone), the digest of decisions due soon to each Account manager.
        "decisions-digest-daily": {
            "task": "home.digest.send_daily",
            "schedule": crontab(minute=0, hour=settings.DIGEST_HOUR),
        },
        # Each night (HOUSEKEEPING_HOUR, business time zone), the history no rule keeps any more is removed in
        # small batches (portal/core/retention.py); its run is on the Sync page.
        "housekeeping-nightly": {
            "task": "portal.core.housekeeping",
            "schedule": crontab(minute=30, hour=settings.HOUSEKEEPING_HOUR),
        },
        "worker-heartbeat": {
            "task": "portal.core.tasks.ping",
            "schedule": 300.0,
        },
    }
