"""The customers app's own periodic work: checking the followed groups before the morning digest."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="customers.tasks.group_follows_check", ignore_result=True)
def group_follows_check() -> int:
    from customers.groups import follows_check

    return follows_check()
