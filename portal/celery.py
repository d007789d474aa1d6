"""The Celery application and the one beat schedule of the portal."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _declare_beat_schedule(sender: Celery, **_: object) -> None:
    """Every periodic job of the portal is declared here, in one place."""
    from django.conf import settings

    sender.conf.beat_schedule = {
        "resync-full": {
            "task": "portal.core.sync.resync_full",
            "schedule": settings.RESYNC_INTERVAL_MINUTES * 60,
        },
        "worker-heartbeat": {
            "task": "portal.core.tasks.ping",
            "schedule": 300.0,
        },
    }
