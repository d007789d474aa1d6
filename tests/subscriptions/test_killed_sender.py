"""A change sent by a real Celery worker that is killed (SIGKILL) while its request waits for LINE WORKS' answer.

While the worker lives, however slow the answer, the reaper leaves the change "Running": the worker's heartbeat
holds it. Once it is killed, its heartbeat lapses and the reaper, run here at its period, reads the change back:
it leaves "Running" well within the two minutes promised (the test's waits are short, through the settings), it
settles as the sandbox has it, and the sandbox received the write once."""

from __future__ import annotations

import os
import signal
import time
import uuid

import pytest

from portal.core.changes.engine import change_later, change_reconcile, changes_reap_stale
from portal.core.changes.timing import timing
from portal.core.models import AuditEntry, Operation
from subscriptions.models import Subscription
from tests.fixtures.portal_api import point_worker_at
from tests.fixtures.services import reads_worker_heartbeats, short_sender_waits, wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

WRITE = "updateSubscriptionRenewal"
#: The sandbox takes this long to answer the write: longer than a heartbeat lives, shorter than the read timeout.
LATENCY_MS = 8000
#: The promise to a user (CHANGES_SETTLE_SECONDS' default): a dead sender's change leaves "Running" within it.
PROMISE_SECONDS = 120


@pytest.fixture
def on_own_sandbox(own_sandbox, portal_api, monkeypatch, settings, cache_from_own_sandbox):
    point_worker_at(own_sandbox, portal_api, monkeypatch)
    short_sender_waits(monkeypatch, settings)
    own_sandbox.clear_faults()
    cache_from_own_sandbox.fill()
    return own_sandbox


def test_a_change_whose_worker_is_killed_mid_send_is_read_back_within_two_minutes_never_sent_again(
    on_own_sandbox, request, settings
):
    sub = (
        Subscription.objects.filter(customer__removed_at=None, plan="ANNUAL_LICENSE", renewal_type="STAY")
        .order_by("pk")
        .first()
    )
    assert sub is not None, "the seed has no annual subscription renewing unchanged"
    writes_before = len(on_own_sandbox.requests(WRITE))
    on_own_sandbox.set_fault(WRITE, latencyMs=LATENCY_MS)
    worker = request.getfixturevalue("celery_worker_process")  # started now: it reads the sandbox's address
    reads_worker_heartbeats(settings, worker)
    t = timing()
    assert t.heartbeat_ttl + t.lost_grace < LATENCY_MS / 1000 < t.call

    queued = change_later(
        WRITE,
        user=None,
        idempotency_key=uuid.uuid4().hex,
        domain_id=sub.customer_id,
        args={"domain_id": sub.customer_id, "subscription_id": sub.pk, "type": "CANCEL"},
    )
    operation = Operation.objects.filter(pk=queued.pk)
    wait_until(lambda: operation.get().status == Operation.Status.RUNNING)
    assert operation.get().worker.split(":")[1] == str(worker["process"].pid)

    # The worker waits for the answer longer than its heartbeat lives: the reaper, at its period, leaves it.
    looked = time.monotonic()
    while time.monotonic() - looked < t.heartbeat_ttl + 2 * t.reap_every:
        assert changes_reap_stale() == 0
        assert operation.get().status == Operation.Status.RUNNING
        time.sleep(t.reap_every)

    os.kill(worker["process"].pid, signal.SIGKILL)
    worker["process"].wait(timeout=10)
    killed = time.monotonic()
    assert operation.get().status == Operation.Status.RUNNING, "the answer came before the worker was killed"

    found = 0
    while operation.get().status == Operation.Status.RUNNING:
        assert time.monotonic() - killed < PROMISE_SECONDS, "still running two minutes after its worker died"
        time.sleep(t.reap_every)
        found += changes_reap_stale()
    assert found == 1
    # Read back at once; if LINE WORKS had not applied it yet, the later read-backs (run here without their
    # waits, as the reconcile task would) settle it.
    for attempt in range(1, len(timing().read_backs)):
        if operation.get().status != Operation.Status.UNKNOWN:
            break
        time.sleep(1)
        change_reconcile(operation_pk=str(queued.pk), attempt=attempt)

    settled = operation.get()
    assert settled.status == Operation.Status.SUCCEEDED and settled.result["read_back"] is True, settled.error
    answer = on_own_sandbox.client("partner", validate=False).get(
        f"/partners/customers/{sub.customer_id}/subscriptions/{sub.pk}/renewal"
    )
    assert answer.json()["type"] == "CANCEL"
    assert (
        len(on_own_sandbox.requests(WRITE)) == writes_before + 1
    )  # received once: read back, never sent again
    assert not AuditEntry.objects.filter(
        operation_id=WRITE, domain_id=sub.customer_id
    ).exists()  # died unsaid
