"""The Celery application and the one beat schedule of the portal."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


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
    """Every periodic job of the portal is declared here, in one place."""
    from django.conf import settings

    sender.conf.beat_schedule = {
        "resync-full": {
            "task": "portal.core.sync.resync_full",
            "schedule": settings.RESYNC_INTERVAL_MINUTES * 60,
        },
        # Changes whose worker died while sending them are read back and settled within minutes.
        "changes-reap-stale": {
            "task": "portal.core.changes.reap_stale",
            "schedule": 60.0,
        },
        "worker-heartbeat": {
            "task": "portal.core.tasks.ping",
            "schedule": 300.0,
        },
    }
