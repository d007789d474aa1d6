"""Four eyes on bulk changes (issue 55, deliverable 3): with an Admin's rule, a confirmed dry run over the rule's
rows waits for a second person and sends nothing; someone else who may start the action approves it (its rows
checked again, then sent once, each its own Operation) or rejects it with a reason; the one who asked cannot
approve; a request expires; approving twice, or after a rejection, changes nothing. Audited throughout."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from portal.core.access import Role
from portal.core.changes import approvals, bulk
from portal.core.models import ApprovalRule, AuditEntry, Batch, Operation
from tests.fixtures.personas import make_persona
from tests.subscriptions.factories import make_subscription

RENEWAL = "subscriptions.renewal"
pytestmark = pytest.mark.django_db


@pytest.fixture
def subs(db):
    return [make_subscription(renewal_type="STAY") for _ in range(3)]


@pytest.fixture
def second(db):
    return make_persona(Role.ACCOUNT_MANAGER, username="second-manager")


def _asked(user, subs, *, over: int = 2) -> Batch:
    ApprovalRule.objects.create(action=RENEWAL, over_rows=over)
    batch = bulk.batch_check(
        user=user, action=bulk.bulk_action(RENEWAL), values={"type": "CANCEL"}, keys=[str(s.pk) for s in subs]
    )
    return bulk.batch_send(user=user, batch=batch, ticked=[r.key for r in batch.rows.all()])


def test_over_the_rule_confirming_asks_for_approval_and_sends_nothing(account_manager, subs):
    batch = _asked(account_manager, subs)
    assert batch.approval == Batch.Approval.WAITING and batch.state == Batch.State.CHECKED
    assert batch.total == 3
    assert not Operation.objects.exists()
    assert AuditEntry.objects.filter(operation_id="portal.askBulkApproval", actor=account_manager).exists()
    with pytest.raises(bulk.BatchRefused, match="waiting for a second person's approval"):
        bulk.batch_send(user=account_manager, batch=batch, ticked=[r.key for r in batch.rows.all()])
    assert not Operation.objects.exists()


def test_under_the_rule_confirming_sends_at_once(account_manager, subs):
    batch = _asked(account_manager, subs, over=3)
    assert batch.approval == Batch.Approval.NONE and batch.state == Batch.State.RUNNING
    assert Operation.objects.count() == 3


def test_the_one_who_asked_cannot_approve(account_manager, subs):
    batch = _asked(account_manager, subs)
    assert not approvals.may_approve(account_manager, batch)
    with pytest.raises(bulk.BatchRefused, match="someone else must approve it"):
        bulk.batch_send(user=account_manager, batch=batch, approving=True)
    assert not Operation.objects.exists()


def test_a_second_person_approves_and_the_asked_rows_are_sent_once(account_manager, second, subs):
    batch = _asked(account_manager, subs)
    rows = list(batch.rows.all())
    rows[2].ticked = False  # the requester left one out
    rows[2].save(update_fields=["ticked"])
    assert approvals.may_approve(second, batch)
    sent = bulk.batch_send(user=second, batch=batch, approving=True, note="Checked with the customer")
    assert sent.state == Batch.State.RUNNING and sent.approval == Batch.Approval.APPROVED
    assert sent.approved_by == second and sent.approval_note == "Checked with the customer"
    assert Operation.objects.count() == 2
    with pytest.raises(bulk.BatchRefused):
        bulk.batch_send(user=make_persona(Role.ADMIN), batch=batch, approving=True)
    assert Operation.objects.count() == 2
    entry = AuditEntry.objects.get(operation_id="portal.approveBulkChange")
    assert entry.actor == second and entry.reason == "Checked with the customer"


def test_a_row_changed_since_the_dry_run_stops_the_approval_and_approving_again_sends(
    account_manager, second, subs
):
    batch = _asked(account_manager, subs)
    subs[0].renewal_type = "CANCEL"
    subs[0].save(update_fields=["renewal_type"])
    with pytest.raises(bulk.BatchRefused, match="1 row changed since the dry run"):
        bulk.batch_send(user=second, batch=batch, approving=True)
    assert not Operation.objects.exists()
    assert Batch.objects.get(pk=batch.pk).approval == Batch.Approval.WAITING
    bulk.batch_send(user=second, batch=batch, approving=True)
    assert Operation.objects.count() == 2  # the changed row is refused now: already so


def test_a_rejected_request_is_never_sent(account_manager, second, subs):
    batch = _asked(account_manager, subs)
    approvals.batch_reject(user=second, batch=batch, note="Not before the customer's board meets")
    batch.refresh_from_db()
    assert batch.approval == Batch.Approval.REJECTED and batch.approval_note.startswith("Not before")
    for user, approving in ((second, True), (account_manager, False)):
        with pytest.raises(bulk.BatchRefused):
            bulk.batch_send(
                user=user, batch=batch, ticked=[r.key for r in batch.rows.all()], approving=approving
            )
    assert not Operation.objects.exists()
    assert AuditEntry.objects.filter(operation_id="portal.rejectBulkChange", actor=second).exists()


def test_an_expired_request_cannot_be_approved(account_manager, second, subs, settings):
    batch = _asked(account_manager, subs)
    Batch.objects.filter(pk=batch.pk).update(
        approval_asked_at=timezone.now() - dt.timedelta(hours=settings.APPROVAL_HOURS, minutes=1)
    )
    batch.refresh_from_db()
    assert approvals.expired(batch) and not approvals.may_approve(second, batch)
    with pytest.raises(bulk.BatchRefused, match="expired"):
        bulk.batch_send(user=second, batch=batch, approving=True)
    with pytest.raises(bulk.BatchRefused, match="expired"):
        approvals.batch_reject(user=second, batch=batch, note="late")
    assert not Operation.objects.exists()
    assert not approvals.waiting(user=second).exists()


def test_the_waiting_request_is_on_the_second_person_s_worklist_only(client, account_manager, second, subs):
    batch = _asked(account_manager, subs)
    client.force_login(second)
    home = client.get(reverse("home")).content.decode()
    assert f'data-work-item="approval-{batch.pk}"' in home
    client.force_login(account_manager)
    assert f'data-work-item="approval-{batch.pk}"' not in client.get(reverse("home")).content.decode()
    client.force_login(make_persona(Role.SUPPORT))
    assert f'data-work-item="approval-{batch.pk}"' not in client.get(reverse("home")).content.decode()


def test_approving_and_rejecting_through_the_batch_page(client, account_manager, second, subs):
    batch = _asked(account_manager, subs)
    page = reverse("core:batch", args=[batch.pk])
    client.force_login(account_manager)
    mine = client.get(page).content.decode()
    assert 'data-testid="approval-waiting"' in mine and 'data-testid="approve"' not in mine
    assert client.post(reverse("core:batch_approve", args=[batch.pk])).status_code == 409
    client.force_login(second)
    theirs = client.get(page).content.decode()
    assert 'data-testid="approve"' in theirs and 'data-testid="reject"' in theirs
    refused = client.post(reverse("core:batch_reject", args=[batch.pk]), {"note": ""})
    assert refused.status_code == 400 and Batch.objects.get(pk=batch.pk).approval == Batch.Approval.WAITING
    hidden = client.post(reverse("core:batch_approve", args=[batch.pk]), {"note": "ok\u202egnorw"})
    assert hidden.status_code == 400 and not Operation.objects.exists()
    assert client.post(reverse("core:batch_approve", args=[batch.pk]), {"note": "ok"}).status_code == 302
    assert Operation.objects.count() == 3


def test_admins_set_the_rules_and_others_may_not(client, admin_user, account_manager):
    url = reverse("core:approvals")
    client.force_login(account_manager)
    assert client.get(url).status_code == 403
    client.force_login(admin_user)
    assert client.get(url).status_code == 200
    bad = client.post(url, {RENEWAL: "-1"})
    assert bad.status_code == 400 and not ApprovalRule.objects.exists()
    assert client.post(url, {RENEWAL: "10", "customers.owner": "0"}).status_code == 302
    assert approvals.rules() == {RENEWAL: 10, "customers.owner": 0}
    assert client.post(url, {RENEWAL: "", "customers.owner": "0"}).status_code == 302
    assert approvals.rules() == {"customers.owner": 0}
    assert AuditEntry.objects.filter(operation_id="portal.setApprovalRules").count() == 2


def test_a_waiting_request_is_in_the_approver_s_morning_digest_by_its_last_day(account_manager, second, subs):
    from home.worklist import decisions_for

    batch = _asked(account_manager, subs)
    found = [(section.key, item.uid, item.day) for section, item in decisions_for(second)]
    last_day = approvals.expires_at(batch).astimezone(dt.timezone(dt.timedelta(hours=9))).date()
    assert ("approvals", f"approval-{batch.pk}", last_day) in found
    assert not [f for f in decisions_for(account_manager) if f[0].key == "approvals"]


def test_admins_choose_which_single_changes_need_approval(client, admin_user):
    url = reverse("core:approvals")
    client.force_login(admin_user)
    page = client.get(url).content.decode()
    assert 'name="change:cancellation"' in page and 'name="change:deletion"' in page
    assert 'name="change:reduction"' in page
    assert client.post(url, {"change:cancellation": "on", "change:reduction": "10"}).status_code == 302
    assert approvals.change_rules() == {"cancellation": 0, "deletion": None, "reduction": 10}
    page = client.get(url).content.decode()  # the rules kept are what the page shows
    assert 'name="change:reduction" value="10"' in page
    assert client.post(url, {"change:reduction": "-1"}).status_code == 400  # refused: nothing changed
    assert approvals.change_rules() == {"cancellation": 0, "deletion": None, "reduction": 10}
    assert client.post(url, {}).status_code == 302
    assert approvals.change_rules() == {"cancellation": None, "deletion": None, "reduction": None}


# A licence reduction over N: a renewal with changes that takes away more licences than an Admin's number is held
# for a second person, in a bulk change as alone (tests/subscriptions/test_changes.py has the single change).


def _renewed_with(user, subs, licences: int) -> Batch:
    ApprovalRule.objects.create(action="change:reduction", over_rows=5)
    batch = bulk.batch_check(
        user=user,
        action=bulk.bulk_action(RENEWAL),
        values={"type": "CHANGE", "license_count": licences},
        keys=[str(s.pk) for s in subs],
    )
    return bulk.batch_send(user=user, batch=batch, ticked=[r.key for r in batch.rows.all()])


def test_a_bulk_renewal_taking_away_more_licences_than_the_rule_waits_for_approval(account_manager, subs):
    subs[0].license_count = 30  # 30 -> 12 takes away 18; the others 20 -> 12, 8 each
    subs[0].save(update_fields=["license_count"])
    assert approvals.row_rule(bulk.bulk_action(RENEWAL)) is None  # no rule yet
    batch = _renewed_with(account_manager, subs, 12)
    assert batch.approval == Batch.Approval.WAITING and batch.state == Batch.State.CHECKED
    assert not Operation.objects.exists()
    assert approvals.row_rule(bulk.bulk_action(RENEWAL)) == ("reduction", 5)


def test_a_bulk_renewal_within_the_rule_is_sent_at_once(account_manager, subs):
    batch = _renewed_with(account_manager, subs, 15)  # 20 -> 15 takes away 5: not more than 5
    assert batch.approval == Batch.Approval.NONE and batch.state == Batch.State.RUNNING
    assert Operation.objects.count() == 3
    assert {o.params["args"]["licences_before"] for o in Operation.objects.all()} == {20}


def test_the_dry_run_says_which_rows_would_wait(client, account_manager, subs):
    ApprovalRule.objects.create(action="change:reduction", over_rows=5)
    batch = bulk.batch_check(
        user=account_manager,
        action=bulk.bulk_action(RENEWAL),
        values={"type": "CHANGE", "license_count": 10},
        keys=[str(s.pk) for s in subs],
    )
    client.force_login(account_manager)
    page = client.get(reverse("core:batch", args=[batch.pk])).content.decode()
    assert 'data-testid="approval-row-rule"' in page and "more than 5 licences" in page


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plan of PostgreSQL's partial index")
def test_the_changes_waiting_for_approval_are_read_from_their_own_index_not_from_every_operation(second):
    """A year of finished operations beside one held change: the approver's waiting changes (the worklist's
    section, home, the digest) are a range of the held operations' partial index, not a scan of the year."""
    Operation.objects.bulk_create(
        Operation(idempotency_key=f"done-{n}", kind="cancelSubscription", status=Operation.Status.SUCCEEDED)
        for n in range(3000)
    )
    held = Operation.objects.create(
        idempotency_key="held-1", kind="cancelSubscription", status=Operation.Status.HELD
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE core_operation")
        sql, params = approvals.held_waiting(user=second).query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "core_operation_held" in plan, plan
    assert [o.pk for o in approvals.held_waiting(user=second)] == [held.pk]
