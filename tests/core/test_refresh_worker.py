"""The continuous refresh run by a real Celery worker against the sandbox: its first batch reads the customers that
need a fresh copy (a failed read, a decision due soon, a page opened, a write) before the others, and it goes on
batch after batch, the oldest copies in turn."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.utils import timezone

from customers.models import Customer
from portal.core import sync
from portal.core.models import AuditEntry, RefreshMark, SyncRun
from portal.core.sync import refresh, running, tasks

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

RATE = 600  # calls a minute per operation: a batch of a second reads about ten customers


def _wait_for_refreshes(n: int, log, timeout: float = 90) -> list[SyncRun]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = list(
            SyncRun.objects.filter(kind=sync.REFRESH).exclude(finished_at=None).order_by("requested_at")
        )
        if len(runs) >= n:
            return runs
        time.sleep(0.3)
    raise AssertionError(f"{n} refresh batches did not finish within {timeout} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def refresh_worker(worker_on_sandbox, monkeypatch, settings):
    """The worker and this test agree on the batch: RATE calls a minute, one second a batch."""
    monkeypatch.setenv("PARTNER_API_RATE_LIMIT", str(RATE))
    monkeypatch.setenv("RESYNC_REFRESH_BATCH_SECONDS", "1")
    settings.PARTNER_API_RATE_LIMIT = RATE
    settings.RESYNC_REFRESH_BATCH_SECONDS = 1
    return worker_on_sandbox


def test_the_refresh_reads_the_customers_that_need_it_first_then_the_oldest_copies(
    refresh_worker, celery_worker_process
):
    sync.resync_full()
    now = timezone.now()
    live = list(
        Customer.objects.filter(removed_at=None).order_by("domain_id").values_list("domain_id", flat=True)
    )
    # Every copy an hour or more old, the first customer's the oldest; the customers with a decision due soon a
    # little fresher than the rest, but one of them (its copy is older than a due decision allows).
    for i, domain_id in enumerate(live):
        Customer.objects.filter(domain_id=domain_id).update(synced_at=now - dt.timedelta(minutes=120 - i))
    due = [d for d in refresh.refresh_needs(now)["due"] if d in live]
    Customer.objects.filter(domain_id__in=due).update(synced_at=now - dt.timedelta(minutes=6))
    if due:
        Customer.objects.filter(domain_id=due[-1]).update(synced_at=now - dt.timedelta(minutes=59))
    others = [d for d in reversed(live) if d not in due]  # the youngest copies first
    failed, opened, changed = others[:3]
    RefreshMark.objects.create(domain_id=failed, failed_at=now - dt.timedelta(minutes=10))
    refresh.refresh_mark_opened(opened)
    AuditEntry.objects.create(operation_id="updateCustomer", domain_id=changed, outcome="succeeded")
    needed = {failed, opened, changed} | ({due[-1]} if due else set())
    planned = refresh.refresh_plan()
    assert needed <= {pick.domain_id for pick in planned}
    assert len(planned) < len(live)  # the batch is a part of them: the order matters

    in_turn = list(
        Customer.objects.filter(removed_at=None)
        .exclude(domain_id__in=[pick.domain_id for pick in planned])
        .order_by("synced_at", "domain_id")
        .values_list("domain_id", flat=True)
    )
    tasks.resync_refresh_task.delay()
    first, second = _wait_for_refreshes(2, celery_worker_process["log"])[:2]

    def read_in(run: SyncRun) -> set[int]:
        return set(
            Customer.objects.filter(
                synced_at__gte=run.requested_at, synced_at__lte=run.finished_at
            ).values_list("domain_id", flat=True)
        )

    assert read_in(first) == {pick.domain_id for pick in planned}
    assert first.status == SyncRun.Status.SUCCEEDED
    # The next batch, queued by the first, reads the next oldest copies in turn.
    assert second.scope == f"turn={second.total}"
    assert read_in(second) == set(in_turn[: second.total])
    # Each customer read once per batch: one one-customer read each, the per-customer calls once each.
    assert first.calls["getCustomer"] == first.total == len(planned)
    assert not RefreshMark.objects.filter(domain_id=failed).exists()  # read: no longer failed
    assert not running.full_resync_running()
