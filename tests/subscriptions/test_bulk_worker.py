"""A bulk renewal sent by a real Celery worker to a sandbox of its own, which answers the first rows with a 500
after applying them; the worker is killed (SIGKILL) mid-batch. What the reaper then does (queue the rows left
waiting again, read back a row left running once the dead worker's heartbeat lapsed) is run here, with the short
waits of SHORT_SENDER_WAITS. Every row ends
settled and as the sandbox has it: applied, or (a row whose request had not left when the worker died) "not
applied, you can send it again" after its read-backs found nothing; none was sent twice (at most one attempt in
the audit trail per row, and a row answered 500 is read back, not sent again) and none was forgotten. The same
for a batch a second person approved (an Admin's approval rule): approval sends through the same pipeline."""

from __future__ import annotations

import os
import signal
import time

import pytest

from portal.core.access import Role
from portal.core.changes import bulk, engine
from portal.core.changes.engine import change_reconcile, change_run, changes_reap_stale
from portal.core.changes.timing import timing
from portal.core.models import ApprovalRule, AuditEntry, Batch, Operation
from subscriptions.models import Subscription
from tests.fixtures.personas import make_persona
from tests.fixtures.portal_api import point_worker_at
from tests.fixtures.services import reads_worker_heartbeats, short_sender_waits, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


@pytest.fixture
def on_own_sandbox(own_sandbox, portal_api, monkeypatch, settings, cache_from_own_sandbox):
    point_worker_at(own_sandbox, portal_api, monkeypatch)
    short_sender_waits(monkeypatch, settings)
    own_sandbox.clear_faults()
    cache_from_own_sandbox.fill()
    return own_sandbox


@pytest.mark.long
@pytest.mark.parametrize("approved", [False, True], ids=["confirmed", "approved by a second person"])
def test_a_batch_survives_a_killed_worker_and_5xx_after_applying(
    on_own_sandbox, account_manager, request, settings, approved
):
    # Both cases share the module's sandbox: the one run second turns back what the first turned (its rows renew
    # "do not renew" by then), whichever runs first.
    paid = Subscription.objects.filter(customer__removed_at=None, plan__in=("ANNUAL_LICENSE", "MONTHLY"))
    before = "STAY" if paid.filter(renewal_type="STAY").count() >= 4 else "CANCEL"
    after = "CANCEL" if before == "STAY" else "STAY"
    subs = list(paid.filter(renewal_type=before).order_by("pk")[:6])
    assert len(subs) >= 4, "the seed has too few paid subscriptions renewing unchanged"
    # Every answer takes a while (so the worker dies mid-batch); the first two rows are applied, then answered 500.
    on_own_sandbox.set_fault("*", latencyMs=1200)
    on_own_sandbox.set_fault(
        "updateSubscriptionRenewal",
        latencyMs=1200,
        errorRate=1,
        errorStatus=500,
        afterHandler=True,
        remaining=2,
    )
    worker = request.getfixturevalue("celery_worker_process")  # started now: it reads the sandbox's address
    reads_worker_heartbeats(settings, worker)
    action = bulk.bulk_action("subscriptions.renewal")
    assert action is not None
    batch = bulk.batch_check(
        user=account_manager, action=action, values={"type": after}, keys=[str(s.pk) for s in subs]
    )
    if approved:  # an Admin's rule: a second person approves; the same guarantees hold for what they send
        ApprovalRule.objects.create(action=action.key, over_rows=1)
    bulk.batch_send(user=account_manager, batch=batch, ticked=[r.key for r in batch.rows.all()])
    ops = Operation.objects.filter(idempotency_key__contains=f"batch:{batch.pk}:")
    if approved:
        assert not ops.exists()
        second = make_persona(Role.ACCOUNT_MANAGER, username="second-manager")
        bulk.batch_send(user=second, batch=batch, approving=True)
    # Killed once the two rows answered 500 are answered, while the rest (each answer held back by the latency
    # fault) are still to go.
    answered = ops.exclude(status__in=(Operation.Status.QUEUED, Operation.Status.RUNNING))
    # The worker started just now sends each row a 1.2 s latency behind: on a loaded machine its first two
    # answers took over a minute (a local CI run beside a callgrind run), so the wait is twice the default.
    wait_until(lambda: answered.count() >= 2, seconds=120)
    os.kill(worker["process"].pid, signal.SIGKILL)
    worker["process"].wait(timeout=10)
    killed = time.monotonic()
    assert ops.exclude(status=Operation.Status.SUCCEEDED).exists(), "the worker finished before it was killed"
    time.sleep(2.5)  # a request the worker had in flight reaches the sandbox (each answer takes 1.2 s)

    # The reaper: QUEUED rows are queued again (run here, as their task would, without the wait), a RUNNING
    # one is read back once the dead worker's heartbeat is gone, never sent again.
    engine.STALE_QUEUED_SECONDS, saved = 0, engine.STALE_QUEUED_SECONDS
    try:
        for operation in ops.filter(status=Operation.Status.QUEUED):
            change_run(operation_pk=str(operation.pk))
        while ops.filter(status=Operation.Status.RUNNING).exists():
            assert time.monotonic() - killed < 120, "a row still running two minutes after its worker died"
            changes_reap_stale()
            time.sleep(timing().reap_every)
        # A row the worker died with before its request left reads back as nothing: its later read-backs (the
        # reconcile task's, run here without their waits) settle it as not applied.
        for _ in timing().read_backs:
            for operation in ops.filter(status=Operation.Status.UNKNOWN):
                change_reconcile(operation_pk=str(operation.pk), attempt=operation.check_attempt + 1)
    finally:
        engine.STALE_QUEUED_SECONDS = saved
    settled = dict(ops.values_list("idempotency_key", "status"))
    assert set(settled.values()) <= {Operation.Status.SUCCEEDED, Operation.Status.FAILED}, settled
    assert ops.count() == len(subs)
    assert ops.filter(result__read_back=True).count() >= 2  # the rows answered 500 after applying
    for s in subs:
        attempts = AuditEntry.objects.filter(
            operation_id="updateSubscriptionRenewal", domain_id=s.customer_id
        )
        assert attempts.count() <= 1, s.pk
        answer = on_own_sandbox.client("partner", validate=False).get(
            f"/partners/customers/{s.customer_id}/subscriptions/{s.pk}/renewal"
        )
        status = ops.get(idempotency_key__endswith=f"batch:{batch.pk}:subscriptions:{s.pk}").status
        # As the sandbox has it: applied rows are applied, a row settled as not applied was not.
        assert (answer.json()["type"] == after) == (status == Operation.Status.SUCCEEDED), (s.pk, status)
    applied = ops.filter(status=Operation.Status.SUCCEEDED).count()
    assert applied >= len(subs) - 1, settled  # at most the one row the worker held when it died
    batch.refresh_from_db()
    assert bulk.batch_settle(batch).state == Batch.State.FINISHED
    assert bulk.batch_counts(batch)["applied"] == applied
