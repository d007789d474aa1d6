"""Four eyes on single changes (issue 55, deliverable 3): with an Admin's rule, cancelling a subscription from its
own page asks for approval and sends nothing; the one who asked cannot approve; a second Account manager
approves on the operation page, and the change is queued and sent once by the worker's task (run here), as the
sandbox then shows; a rejection sends nothing, ever."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.core.access import Role
from portal.core.changes import approvals
from portal.core.changes.engine import change_run
from portal.core.models import ApprovalRule, AuditEntry, Operation
from subscriptions.models import Subscription
from tests.fixtures.personas import make_persona
from tests.subscriptions.test_changes import _api, _pick, _submit

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


@pytest.fixture
def today(portal_on_sandbox, cache_from_own_sandbox, monkeypatch):
    """As tests/subscriptions/test_changes.py's: the business date pinned to the sandbox's, the cache filled."""
    from tests.fixtures.portal_api import pin_business_today

    day = portal_on_sandbox.today()
    pin_business_today(monkeypatch, day)
    portal_on_sandbox.clear_faults()
    portal_on_sandbox.configure(resetRateLimits=True)
    cache_from_own_sandbox.fill()
    return day


@pytest.fixture
def manager(client_as):
    return client_as(Role.ACCOUNT_MANAGER)


def _held(manager, sub) -> Operation:
    ApprovalRule.objects.create(action="change:cancellation", over_rows=0)
    _review, done = _submit(
        manager, reverse("subscriptions:cancel", args=[sub.subscription_id]), {"reason": "T-9"}
    )
    operation = Operation.objects.get(kind="cancelSubscription", domain_id=sub.customer_id)
    assert done.status_code == 302 and done["Location"] == reverse("core:operation", args=[operation.pk])
    return operation


def _remote_ids(sandbox, sub) -> list[int]:
    remote = _api(sandbox).get(f"/partners/customers/{sub.customer_id}/subscriptions").json()
    return [s["subscriptionId"] for s in remote["subscriptions"]]


def test_a_held_cancellation_is_sent_once_after_a_second_person_approves(
    today, manager, client, portal_on_sandbox, django_capture_on_commit_callbacks
):
    sub = _pick(plan__in=("ANNUAL_LICENSE", "MONTHLY"))
    operation = _held(manager, sub)
    assert operation.status == Operation.Status.HELD
    assert sub.subscription_id in _remote_ids(portal_on_sandbox, sub)  # nothing sent
    assert not AuditEntry.objects.filter(operation_id="cancelSubscription").exists()
    # The one who asked cannot approve.
    refused = manager.post(reverse("core:operation_approve", args=[operation.pk]), {"note": ""})
    assert refused.status_code == 409
    second = make_persona(Role.ACCOUNT_MANAGER, username="second-approver")
    client.force_login(second)
    page = client.get(reverse("core:operation", args=[operation.pk])).content.decode()
    assert 'data-testid="operation-held"' in page and 'data-testid="approve"' in page
    with django_capture_on_commit_callbacks() as queued:
        answer = client.post(
            reverse("core:operation_approve", args=[operation.pk]), {"note": "Agreed with CS"}
        )
    assert answer.status_code == 302 and len(queued) == 1  # the worker's task
    operation.refresh_from_db()
    assert operation.status == Operation.Status.QUEUED
    change_run(operation_pk=str(operation.pk))  # what the worker does
    operation.refresh_from_db()
    assert operation.status == Operation.Status.SUCCEEDED
    assert sub.subscription_id not in _remote_ids(portal_on_sandbox, sub)
    assert not Subscription.objects.filter(pk=sub.pk).exists()
    assert AuditEntry.objects.filter(operation_id="cancelSubscription").count() == 1
    assert AuditEntry.objects.get(operation_id="portal.approveChange").actor == second
    # Approving again changes nothing.
    again = client.post(reverse("core:operation_approve", args=[operation.pk]), {"note": ""})
    assert again.status_code == 409
    assert AuditEntry.objects.filter(operation_id="cancelSubscription").count() == 1


def test_a_rejected_cancellation_is_never_sent(today, manager, client, portal_on_sandbox):
    sub = _pick(plan__in=("ANNUAL_LICENSE", "MONTHLY"))
    operation = _held(manager, sub)
    second = make_persona(Role.ACCOUNT_MANAGER, username="second-rejecter")
    client.force_login(second)
    assert client.post(reverse("core:operation_reject", args=[operation.pk]), {"note": ""}).status_code == 400
    assert (
        client.post(reverse("core:operation_reject", args=[operation.pk]), {"note": "Wrong one"}).status_code
        == 302
    )
    operation.refresh_from_db()
    assert operation.status == Operation.Status.FAILED and "Wrong one" in operation.error
    change_run(operation_pk=str(operation.pk))  # a stray task sends nothing: only a queued change is claimed
    assert sub.subscription_id in _remote_ids(portal_on_sandbox, sub)
    assert not AuditEntry.objects.filter(operation_id="cancelSubscription").exists()
    assert not approvals.held_waiting(user=second).exists()


def test_without_a_rule_a_cancellation_is_sent_at_once(today, manager, portal_on_sandbox):
    sub = _pick(plan__in=("ANNUAL_LICENSE", "MONTHLY"))
    _review, done = _submit(manager, reverse("subscriptions:cancel", args=[sub.subscription_id]), {})
    assert done.status_code == 302
    assert sub.subscription_id not in _remote_ids(portal_on_sandbox, sub)


def test_support_and_finance_may_not_approve_or_reject(today, manager, client, portal_on_sandbox):
    operation = _held(manager, _pick(plan__in=("ANNUAL_LICENSE", "MONTHLY")))
    for role in (Role.SUPPORT, Role.FINANCE):
        client.force_login(make_persona(role))
        for name in ("core:operation_approve", "core:operation_reject"):
            assert client.post(reverse(name, args=[operation.pk]), {"note": "x"}).status_code == 403, (
                role,
                name,
            )
    client.logout()
    answer = client.post(reverse("core:operation_approve", args=[operation.pk]), {"note": "x"})
    assert answer.status_code == 302 and "/login" in answer["Location"]
    operation.refresh_from_db()
    assert operation.status == Operation.Status.HELD


def test_a_held_change_is_on_the_approver_s_worklist_and_digest(today, manager, portal_on_sandbox):
    from home.worklist import decisions_for

    operation = _held(manager, _pick(plan__in=("ANNUAL_LICENSE", "MONTHLY")))
    second = make_persona(Role.ACCOUNT_MANAGER, username="second-reader")
    assert [i.uid for s, i in decisions_for(second) if s.key == "held-changes"] == [f"held-{operation.pk}"]
    asker = operation.requested_by
    assert not [i for s, i in decisions_for(asker) if s.key == "held-changes"]
