"""The customers app's own periodic work: checking the followed groups before the morning digest, and keeping the
search's common words' lists (customers.services.search_kept)."""

from __future__ import annotations

from celery import shared_task
from celery.schedules import crontab
from django.conf import settings

from portal.core.periodic import Periodic


@shared_task(name="customers.tasks.group_follows_check", ignore_result=True)
def group_follows_check() -> int:
    from customers.groups import follows_check

    return follows_check()


@shared_task(name="customers.tasks.search_kept_rebuild", ignore_result=True)
def search_kept_rebuild() -> int:
    from customers.services.search_kept import search_kept_rebuild as rebuild

    return rebuild()


@shared_task(name="customers.tasks.search_common_words_join", ignore_result=True)
def search_common_words_join() -> int:
    from customers.services.search_kept import search_common_words_join as join

    return join()


#: Who entered or left each followed group, checked half an hour before the morning digest tells it.
PERIODIC = [
    Periodic(
        "group-follows-daily",
        "customers.tasks.group_follows_check",
        lambda: crontab(minute=30, hour=(settings.DIGEST_HOUR - 1) % 24),
    ),
    # The common words' lists made again after their customers changed, and the words that became common joining
    # them once a day, after the night's housekeeping.
    Periodic(
        "search-kept-rebuild",
        "customers.tasks.search_kept_rebuild",
        lambda: settings.SEARCH_KEPT_MINUTES * 60,
    ),
    Periodic(
        "search-common-words-daily",
        "customers.tasks.search_common_words_join",
        lambda: crontab(minute=45, hour=settings.HOUSEKEEPING_HOUR),
    ),
]
