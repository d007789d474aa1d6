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
