"""A real Celery worker process, over Redis, runs the portal's tasks."""

import pytest

pytestmark = pytest.mark.integration


def test_a_real_worker_runs_a_task_over_redis(celery_worker_process):
    from portal.core.tasks import ping

    result = ping.delay()
    beat = result.get(timeout=60)
    assert beat["host"]
    assert result.successful()
    assert "portal.core.tasks.ping" in celery_worker_process["log"].read_text()


def _waiting_in_the_developers_queue() -> int:
    """Messages waiting in the queue the portal's own worker reads (`make run`): the folder of the filesystem
    broker, or the default queue of the Redis that REDIS_URL names."""
    from pathlib import Path

    from django.conf import settings

    if settings.CELERY_BROKER_URL.startswith("redis"):
        import redis

        return redis.Redis.from_url(settings.CELERY_BROKER_URL).llen("celery")
    folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
    return len(list(folder.glob("*"))) if folder.exists() else 0


def test_a_task_sent_by_a_test_never_waits_for_the_developers_worker(db):
    """A task sent during the tests (a browser test's change, a page's refresh) stays in the test process: left in
    the developer's queue, it ran at the next `make run` against the developer's database."""
    from portal.core.tasks import ping

    before = _waiting_in_the_developers_queue()
    for _ in range(3):
        ping.delay()
    assert _waiting_in_the_developers_queue() == before
