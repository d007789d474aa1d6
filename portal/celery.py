"""The Celery application; its beat schedule is the periodic jobs core and the apps contribute."""

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
    """The one beat schedule, made of the periodic jobs core and the apps contribute (portal/core/periodic.py)."""
    from portal.core.periodic import beat_schedule

    sender.conf.beat_schedule = beat_schedule()
