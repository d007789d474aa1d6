"""A bulk renewal stopped part way and resumed, sent to a sandbox of its own: the rows sent before the stop are
not sent again, the rows stopped are sent on Resume, and in the sandbox's own log of requests every row was sent
exactly once and is applied. The queued tasks are run here, one by one, as a worker would."""

from __future__ import annotations

import pytest

from portal.core.changes import bulk
from portal.core.changes.engine import change_run
from portal.core.models import Batch, Operation
from subscriptions.models import Subscription

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


@pytest.fixture
def on_own_sandbox(own_sandbox, portal_on_sandbox, cache_from_own_sandbox):
    own_sandbox.clear_faults()
    cache_from_own_sandbox.fill()
    return own_sandbox


def _run_every_queued_task(batch) -> None:
    for operation in Operation.objects.filter(idempotency_key__contains=f"batch:{batch.pk}:"):
        change_run(operation_pk=str(operation.pk))  # a settled or stopped one claims nothing


def test_a_stopped_batch_resumed_applies_every_row_exactly_once(on_own_sandbox, account_manager):
    subs = list(
        Subscription.objects.filter(
            customer__removed_at=None, plan__in=("ANNUAL_LICENSE", "MONTHLY"), renewal_type="STAY"
        ).order_by("pk")[:6]
    )
    assert len(subs) >= 4, "the seed has too few paid subscriptions renewing unchanged"
    action = bulk.bulk_action("subscriptions.renewal")
    assert action is not None
    batch = bulk.batch_check(
        user=account_manager, action=action, values={"type": "CANCEL"}, keys=[str(s.pk) for s in subs]
    )
    bulk.batch_send(user=account_manager, batch=batch, ticked=[r.key for r in batch.rows.all()])
    on_own_sandbox.clear_requests()
    ops = Operation.objects.filter(idempotency_key__contains=f"batch:{batch.pk}:").order_by("idempotency_key")
    for operation in ops[:2]:  # a worker sends two rows, then the user stops the batch
        change_run(operation_pk=str(operation.pk))
    assert bulk.batch_stop(user=account_manager, batch=batch) == len(subs) - 2
    _run_every_queued_task(batch)  # the stopped rows' tasks arrive: nothing is sent
    assert len(on_own_sandbox.requests("updateSubscriptionRenewal")) == 2
    batch.refresh_from_db()
    assert batch.state == Batch.State.STOPPED and bulk.resumable(batch)

    batch = bulk.batch_resume(user=account_manager, batch=batch)
    assert batch.state == Batch.State.RUNNING
    assert ops.count() == len(subs)  # the same operations, under the same keys
    _run_every_queued_task(batch)
    _run_every_queued_task(batch)  # a task delivered twice sends nothing more

    sent = [r["path"].removeprefix("/v1.0") for r in on_own_sandbox.requests("updateSubscriptionRenewal")]
    assert sorted(sent) == sorted(
        f"/partners/customers/{s.customer_id}/subscriptions/{s.pk}/renewal" for s in subs
    ), "each row sent exactly once"
    reader = on_own_sandbox.client("partner", validate=False)
    for s in subs:
        answer = reader.get(f"/partners/customers/{s.customer_id}/subscriptions/{s.pk}/renewal")
        assert answer.json()["type"] == "CANCEL", s.pk
    batch = bulk.batch_settle(batch)
    assert batch.state == Batch.State.FINISHED and not bulk.resumable(batch)
    assert bulk.batch_counts(batch)["applied"] == len(subs)
    with pytest.raises(bulk.BatchRefused, match="nothing is left to send"):
        bulk.batch_resume(user=account_manager, batch=batch)
