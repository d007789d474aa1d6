"""Celery tasks of the core app. Tasks are thin: they take ids and call services."""

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
