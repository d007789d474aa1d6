"""The customers app's own periodic work: checking the followed groups before the morning digest."""

from __future__ import annotations

from celery import shared_task
from celery.schedules import crontab
from django.conf import settings

from portal.core.periodic import Periodic


@shared_task(name="customers.tasks.group_follows_check", ignore_result=True)
def group_follows_check() -> int:
    from customers.groups import follows_check

    return follows_check()


#: Who entered or left each followed group, checked half an hour before the morning digest tells it.
PERIODIC = [
    Periodic(
        "group-follows-daily",
        "customers.tasks.group_follows_check",
        lambda: crontab(minute=30, hour=(settings.DIGEST_HOUR - 1) % 24),
    )
]
