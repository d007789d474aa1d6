"""Celery tasks of the customers app: thin wrappers that take ids and call services."""

from __future__ import annotations

# The resync engine's tasks, re-exported so that the worker (which autodiscovers `<app>.tasks`) registers them.
from portal.core.sync_tasks import resync_customer, resync_full

__all__ = ["resync_customer", "resync_full"]
