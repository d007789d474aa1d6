"""Bulk changes (portal/core/changes/bulk.py) on cached rows, nothing sent to an API: the dry run's checks, the
refusals (too many rows, rows a running batch holds, rows changed since the dry run, Support and Finance), the
queued rows' idempotency keys, and Stop (a stopped row is never sent, even when its task runs)."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from portal.core.access import Role
from portal.core.changes import bulk
from portal.core.changes.engine import change_run
from portal.core.models import Batch, Operation
from tests.subscriptions.factories import make_subscription

RENEWAL = "subscriptions.renewal"
AM, SUP, FIN, ADM = Role.ACCOUNT_MANAGER, Role.SUPPORT, Role.FINANCE, Role.ADMIN


def _action():
    action = bulk.bulk_action(RENEWAL)
    assert action is not None
    return action


@pytest.fixture
def subs(db):
    return [make_subscription(renewal_type="STAY") for _ in range(3)]


def _dry_run(user, subs, values=None):
    return bulk.batch_check(
        user=user,
        action=_action(),
        values=values or {"type": "CANCEL"},
        keys=[str(s.pk) for s in subs],
    )


# --- The dry run ------------------------------------------------------------------------------------------


def test_the_dry_run_shows_before_and_after_and_the_side_effect_and_sends_nothing(account_manager, subs):
    batch = _dry_run(account_manager, subs)
    row = batch.rows.first()
    assert row.found["refusal"] == ""
    assert row.found["changes"] == [["Renewal", "Renew unchanged", "Do not renew"]]
    assert row.found["side_effects"] == [
        "The subscription is not renewed: it ends after 2027-03-31 with its term."
    ]
    assert batch.state == Batch.State.CHECKED
    assert not Operation.objects.exists()


def test_the_dry_run_refuses_free_subscriptions_and_rows_already_so(account_manager, db):
    free = make_subscription(plan="FREE", product_id="FR", license_count=None, renewal_type="")
    already = make_subscription(renewal_type="CANCEL")
    batch = _dry_run(account_manager, [free, already])
    found = {r.key: r.found["refusal"] for r in batch.rows.all()}
    assert found[f"subscriptions:{free.pk}"] == "Only paid subscriptions have renewal settings."
    assert found[f"subscriptions:{already.pk}"] == "Already set to Do not renew: nothing to send."


def test_more_rows_than_bulk_max_rows_are_refused(account_manager, subs, settings):
    settings.BULK_MAX_ROWS = 2
    with pytest.raises(bulk.BatchRefused, match="3 rows are chosen; a bulk change takes at most 2"):
        _dry_run(account_manager, subs)
    assert not Batch.objects.exists()


def test_support_and_finance_cannot_start_one(support, finance, subs):
    from django.core.exceptions import PermissionDenied

    for user in (support, finance):
        with pytest.raises(PermissionDenied):
            _dry_run(user, subs)


# --- Sending --------------------------------------------------------------------------------------------


def test_confirm_queues_each_ticked_row_as_its_own_operation(account_manager, subs):
    batch = _dry_run(account_manager, subs)
    keys = [r.key for r in batch.rows.all()]
    batch = bulk.batch_send(user=account_manager, batch=batch, ticked=keys[:2])  # the third unticked
    operations = Operation.objects.order_by("idempotency_key")
    assert [o.status for o in operations] == [Operation.Status.QUEUED] * 2
    assert {o.idempotency_key for o in operations} == {
        f"updateSubscriptionRenewal:{s.customer_id}:batch:{batch.pk}:subscriptions:{s.pk}" for s in subs[:2]
    }
    assert {o.params["args"]["subscription_id"] for o in operations} == {s.pk for s in subs[:2]}
    assert batch.state == Batch.State.RUNNING
    assert bulk.batch_counts(batch) | {} == {
        "sent": 0,
        "applied": 0,
        "failed": 0,
        "superseded": 0,
        "unknown": 0,
        "stopped": 0,
        "waiting": 2,
        "total": 2,
    }
    with pytest.raises(bulk.BatchRefused, match="sent already"):
        bulk.batch_send(user=account_manager, batch=batch, ticked=keys)
    assert Operation.objects.count() == 2


def test_rows_changed_since_the_dry_run_are_shown_and_nothing_is_sent(account_manager, subs):
    batch = _dry_run(account_manager, subs)
    subs[1].renewal_type = "CANCEL"  # a resync read another person's change meanwhile
    subs[1].save(update_fields=["renewal_type"])
    with pytest.raises(bulk.BatchRefused, match="1 row changed since the dry run") as refused:
        bulk.batch_send(user=account_manager, batch=batch, ticked=[r.key for r in batch.rows.all()])
    assert [r.key for r in refused.value.rows] == [f"subscriptions:{subs[1].pk}"]
    assert not Operation.objects.exists()
    assert Batch.objects.get(pk=batch.pk).state == Batch.State.CHECKED
    # The page now shows the row as it is (refused: already so); confirming again sends the other two.
    bulk.batch_send(user=account_manager, batch=batch, ticked=[r.key for r in batch.rows.all()])
    assert Operation.objects.count() == 2


def test_a_second_batch_on_rows_a_running_batch_holds_is_refused_naming_them(account_manager, subs):
    first = _dry_run(account_manager, subs[:2])
    bulk.batch_send(user=account_manager, batch=first, ticked=[r.key for r in first.rows.all()])
    with pytest.raises(bulk.BatchRefused, match="holds these rows") as refused:
        _dry_run(account_manager, subs[1:], values={"type": "CANCEL"})
    assert [r.key for r in refused.value.rows] == [f"subscriptions:{subs[1].pk}"]
    assert str(subs[1].pk) in refused.value.message


def test_stop_leaves_rows_not_sent_unsent_even_when_their_task_runs(account_manager, subs):
    batch = _dry_run(account_manager, subs)
    bulk.batch_send(user=account_manager, batch=batch, ticked=[r.key for r in batch.rows.all()])
    assert bulk.batch_stop(user=account_manager, batch=batch) == 3
    for operation in Operation.objects.all():
        change_run(operation_pk=str(operation.pk))  # the queued task arrives after Stop: it claims nothing
    assert set(Operation.objects.values_list("status", flat=True)) == {Operation.Status.STOPPED}
    batch.refresh_from_db()
    assert batch.state == Batch.State.STOPPED
    assert bulk.batch_counts(batch)["stopped"] == 3


def test_resume_sends_only_the_rows_never_sent_and_rechecks_them(account_manager, subs):
    batch = _dry_run(account_manager, subs)
    bulk.batch_send(user=account_manager, batch=batch, ticked=[r.key for r in batch.rows.all()])
    first = Operation.objects.get(params__args__subscription_id=subs[0].pk)
    Operation.objects.filter(pk=first.pk).update(status=Operation.Status.UNKNOWN)  # sent, outcome unknown
    assert bulk.batch_stop(user=account_manager, batch=batch) == 2
    subs[2].renewal_type = "CANCEL"  # meanwhile someone set one stopped row so
    subs[2].save(update_fields=["renewal_type"])
    with pytest.raises(bulk.BatchRefused, match="1 row changed since it was checked") as refused:
        bulk.batch_resume(user=account_manager, batch=batch)
    assert [r.key for r in refused.value.rows] == [f"subscriptions:{subs[2].pk}"]
    assert Operation.objects.filter(status=Operation.Status.STOPPED).count() == 2  # nothing sent
    # Resumed again: the unchanged stopped row is queued again under its own key; the row now refused and the
    # row whose outcome is unknown are not.
    batch = bulk.batch_resume(user=account_manager, batch=batch)
    statuses = dict(Operation.objects.values_list("params__args__subscription_id", "status"))
    assert statuses == {
        subs[0].pk: Operation.Status.UNKNOWN,
        subs[1].pk: Operation.Status.QUEUED,
        subs[2].pk: Operation.Status.STOPPED,
    }
    assert Operation.objects.count() == 3 and batch.state == Batch.State.RUNNING
    with pytest.raises(bulk.BatchRefused, match="nothing is left to send"):
        bulk.batch_resume(user=account_manager, batch=batch)


def test_a_batch_never_stopped_offers_no_resume(account_manager, subs):
    batch = _dry_run(account_manager, subs)
    assert not bulk.resumable(batch)
    with pytest.raises(bulk.BatchRefused, match="nothing is left to send"):
        bulk.batch_resume(user=account_manager, batch=batch)
    assert not Operation.objects.exists()


# --- Pages ------------------------------------------------------------------------------------------------


def _urls(batch) -> list[tuple[str, str]]:
    return [
        ("get", reverse("core:bulk_new") + f"?action={RENEWAL}&keys=1"),
        ("get", reverse("core:batch", args=[batch.pk])),
        ("post", reverse("core:batch_send", args=[batch.pk])),
        ("post", reverse("core:batch_stop", args=[batch.pk])),
        ("post", reverse("core:batch_resume", args=[batch.pk])),
        ("post", reverse("core:batch_retry", args=[batch.pk])),
        ("get", reverse("core:batch_results", args=[batch.pk])),
        ("post", reverse("core:batch_approve", args=[batch.pk])),
        ("post", reverse("core:batch_reject", args=[batch.pk])),
    ]


@pytest.mark.parametrize("role", [SUP, FIN])
def test_every_bulk_url_answers_403_to_support_and_finance(role, client_as, account_manager, subs):
    batch = _dry_run(account_manager, subs)
    client = client_as(role)
    for method, url in _urls(batch):
        assert getattr(client, method)(url).status_code == 403, url
    assert Batch.objects.get(pk=batch.pk).state == Batch.State.CHECKED


#: Who may start each bulk action, written out from the issue's roles (not read from the code under test).
ACTIONS = {
    "subscriptions.renewal": {AM, ADM},
    "subscriptions.cancellation": {AM, ADM},
    "subscriptions.licences": {AM, ADM},
    "subscriptions.reservation_date": {AM, ADM},
    "customers.owner": {ADM},
    "customers.share": {ADM},
    "customers.max_users": {AM, ADM},
    "options.add": {AM, ADM},
    "options.units": {AM, ADM},
}


def test_every_bulk_action_is_in_the_matrix():
    assert {a.key for a in bulk.contributions("bulk_actions")} == set(ACTIONS)


@pytest.mark.parametrize("role", list(Role), ids=[r.value for r in Role])
@pytest.mark.parametrize("key", sorted(ACTIONS))
def test_each_bulk_actions_pages_answer_only_the_roles_that_may_start_it(key, role, client_as, subs):
    client = client_as(role)
    allowed = role in ACTIONS[key]
    chosen = client.get(reverse("core:bulk_new"), {"action": key, "keys": "1"})
    assert chosen.status_code == (200 if allowed else 403)
    posted = client.post(reverse("core:bulk_new"), {"action": key, "keys": "1"})
    assert posted.status_code in ((200, 400) if allowed else (403,))
    assert not Batch.objects.exists()  # nothing chosen that exists, nothing checked


def test_every_bulk_url_sends_anonymous_users_to_sign_in(client, account_manager, subs):
    batch = _dry_run(account_manager, subs)
    for method, url in _urls(batch):
        answer = getattr(client, method)(url)
        assert answer.status_code == 302 and "/login" in answer["Location"], url


@pytest.mark.parametrize("role", [AM, ADM])
def test_list_to_dry_run_to_batch_page_to_stop_and_results(role, client_as, subs):
    client = client_as(role)
    listed = client.get(reverse("subscriptions:list"), {"owner": "all"})  # an Account manager's opens on Mine
    assert listed.status_code == 200
    assert b'data-testid="bulk-bar"' in listed.content
    assert listed.content.count(b'data-testid="bulk-tick"') == 3

    new = reverse("core:bulk_new")
    chosen = client.get(new, {"action": RENEWAL, "all": "1", "owner": "all"})
    assert chosen.status_code == 200
    assert "3 rows are chosen" in chosen.content.decode()
    made = client.post(new, {"action": RENEWAL, "keys": [str(s.pk) for s in subs], "type": "CANCEL"})
    assert made.status_code == 302
    batch = Batch.objects.get()
    page = client.get(made["Location"]).content.decode()
    assert page.count('data-testid="tick"') == 3 and "Do not renew" in page
    assert 'class="btn btn-danger" type="submit" data-testid="confirm"' in page  # not renewing: red

    keep = [f"subscriptions:{s.pk}" for s in subs[:2]]
    sent = client.post(reverse("core:batch_send", args=[batch.pk]), {"row": keep})
    assert sent.status_code == 302
    assert Operation.objects.count() == 2
    progress = client.get(reverse("core:batch", args=[batch.pk]))
    assert b'data-hx-trigger="every 2s"' in progress.content
    assert (
        client.get(reverse("core:batch", args=[batch.pk]), headers={"HX-Request": "true"}).status_code == 200
    )

    client.post(reverse("core:batch_stop", args=[batch.pk]))
    stopped = client.get(reverse("core:batch", args=[batch.pk])).content.decode()
    assert "every 2s" not in stopped and "Stopped" in stopped
    csv = b"".join(client.get(reverse("core:batch_results", args=[batch.pk])).streaming_content).decode(
        "utf-8-sig"
    )
    assert csv.count("Stopped before sending") == 2 and csv.count("Not chosen") == 1

    assert 'data-testid="resume"' in stopped
    resumed = client.post(reverse("core:batch_resume", args=[batch.pk]))
    assert resumed.status_code == 302
    assert set(Operation.objects.values_list("status", flat=True)) == {Operation.Status.QUEUED}
    again = client.post(reverse("core:batch_resume", args=[batch.pk]))
    assert again.status_code == 409 and "nothing is left to send" in again.content.decode()


def test_support_sees_no_checkboxes_on_the_list(client_as, subs):
    listed = client_as(SUP).get(reverse("subscriptions:list"), {"owner": "all"})
    assert b"bulk-tick" not in listed.content and b"bulk-bar" not in listed.content


def test_the_values_page_refuses_more_than_bulk_max_rows_matching_the_filter(client_as, subs, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.BULK_MAX_ROWS = 2
    client = client_as(AM)
    with CaptureQueriesContext(connection) as queries:
        answer = client.get(reverse("core:bulk_new"), {"action": RENEWAL, "all": "1", "owner": "all"})
    text = answer.content.decode()
    assert "More than 2 rows are chosen; a bulk change takes at most 2" in text
    # Counted up to one past the most (the database stops there), and no subscription read to refuse them.
    reads = [q["sql"] for q in queries.captured_queries if "subscriptions_subscription" in q["sql"]]
    assert len(reads) == 1 and "COUNT(*)" in reads[0] and "LIMIT 3" in reads[0], reads
    assert 'data-testid="bulk-form"' not in text

    # The refusal offers the first 2 in the list's order, the user's explicit choice; the values page then
    # carries exactly those 2.
    first = re.search(r'href="([^"]+)" data-testid="bulk-first"', text)
    assert first is not None and "Take the first 2 in the list" in text
    chosen = client_as(AM).get(html.unescape(first.group(1))).content.decode()
    keys = re.findall(r'name="keys" value="([^"]+)"', chosen)
    listed = client_as(AM).get(reverse("subscriptions:list"), {"owner": "all"}).content.decode()
    in_order = re.findall(r'name="keys" value="([^"]+)"', listed)
    assert keys == in_order[:2] and 'data-testid="bulk-form"' in chosen


def test_an_unknown_action_is_404_and_an_empty_choice_says_so(client_as, subs):
    client = client_as(AM)
    assert client.get(reverse("core:bulk_new"), {"action": "nope"}).status_code == 404
    answer = client.post(reverse("core:bulk_new"), {"action": RENEWAL, "type": "CANCEL"})
    assert answer.status_code == 400
    assert "Choose at least one row" in answer.content.decode()


# --- Assign owner: the portal's own data, written by the customers app's service ------------------------------


def test_assigning_an_owner_in_bulk_writes_each_row_with_its_own_audit_entry(client_as, admin_user, db):
    from django.core.exceptions import PermissionDenied

    from customers.models import CustomerOwner
    from customers.services import customer_owner_set
    from portal.core.models import AuditEntry
    from tests.customers.factories import make_customer
    from tests.fixtures.personas import make_persona

    manager = make_persona(AM, username="aiko")
    customers = [make_customer() for _ in range(3)]
    customer_owner_set(
        actor=admin_user,
        domain_id=customers[2].domain_id,
        account_manager_id=manager.pk,
        support_contact_id=None,
    )
    action = bulk.bulk_action("customers.owner")
    keys = [str(c.domain_id) for c in customers]
    with pytest.raises(PermissionDenied):  # Admins assign owners
        bulk.batch_check(user=manager, action=action, values={"account_manager": manager.pk}, keys=keys)

    client = client_as(ADM)
    listed = client.get(reverse("customers:list"))
    assert listed.content.count(b'data-testid="bulk-tick"') == 3
    made = client.post(
        reverse("core:bulk_new"), {"action": "customers.owner", "keys": keys, "account_manager": manager.pk}
    )
    assert made.status_code == 302
    batch = Batch.objects.get()
    refusals = [r.found["refusal"] for r in batch.rows.all()]
    assert refusals == ["", "", "Already so: nothing to change."]
    assert AuditEntry.objects.filter(operation_id="portal.assignCustomerOwner").count() == 1  # the setup's
    client.post(reverse("core:batch_send", args=[batch.pk]), {"row": [r.key for r in batch.rows.all()]})
    owners = dict(CustomerOwner.objects.values_list("customer_id", "account_manager_id"))
    assert owners == {c.domain_id: manager.pk for c in customers}
    assert AuditEntry.objects.filter(operation_id="portal.assignCustomerOwner").count() == 3
    batch.refresh_from_db()
    assert batch.state == Batch.State.FINISHED
    assert bulk.batch_counts(batch) | {} == {
        "sent": 2,
        "applied": 2,
        "failed": 0,
        "superseded": 0,
        "unknown": 0,
        "stopped": 0,
        "waiting": 0,
        "total": 2,
    }
    assert not Operation.objects.exists()  # no Partner API call


def test_sharing_customers_out_deals_them_in_turn_in_the_lists_order(
    client_as, db, django_assert_max_num_queries
):
    """Seven customers matching the list's filter among three Account managers: 3, 2 and 2, in the list's
    (name) order, each row saying who it goes to; the dry run reads the people once, not once a row."""
    from customers.models import CustomerOwner
    from tests.customers.factories import make_customer
    from tests.fixtures.personas import make_persona

    managers = [make_persona(AM, username=name) for name in ("aiko", "ben", "chika")]
    customers = [make_customer(company_name=f"Share Test {n}") for n in range(7)]
    make_customer(company_name="Elsewhere KK")  # not matching the filter: not dealt
    client = client_as(ADM)
    chosen = client.get(
        reverse("core:bulk_new"), {"action": "customers.share", "all": "1", "q": "Share Test"}
    )
    keys = re.findall(r'name="keys" value="([^"]+)"', chosen.content.decode())
    assert keys == [str(c.domain_id) for c in customers]  # every row matching the filter, in the list's order
    with django_assert_max_num_queries(25):
        made = client.post(
            reverse("core:bulk_new"),
            {"action": "customers.share", "keys": keys, "account_managers": [m.pk for m in managers]},
        )
    assert made.status_code == 302, made.content.decode()
    batch = Batch.objects.get()
    dry_run = client.get(reverse("core:batch", args=[batch.pk])).content.decode()
    assert [dry_run.count(f"({m.username})") for m in managers] == [3, 2, 2]
    client.post(reverse("core:batch_send", args=[batch.pk]), {"row": [r.key for r in batch.rows.all()]})
    owners = dict(CustomerOwner.objects.values_list("customer_id", "account_manager_id"))
    assert [owners[c.domain_id] for c in customers] == [managers[i % 3].pk for i in range(7)]

    # Nobody chosen: refused before any row is read.
    refused = client.post(reverse("core:bulk_new"), {"action": "customers.share", "keys": keys})
    assert refused.status_code == 200 and "This field is required" in refused.content.decode()
    assert Batch.objects.count() == 1


def test_an_account_manager_gets_no_owner_action_on_the_customer_list(client_as, db):
    from tests.customers.factories import make_customer

    make_customer()
    listed = client_as(AM).get(reverse("customers:list"), {"owner": "all"}).content.decode()
    assert 'value="customers.owner"' not in listed
    assert 'value="customers.max_users"' in listed  # theirs to change: the maximum users


# --- Scheduled cancellation -------------------------------------------------------------------------------


def test_a_scheduled_cancellation_is_checked_against_each_rows_window_and_its_scheduled_change(
    account_manager, db, monkeypatch
):
    import datetime as dt

    from portal.core import clock
    from tests.subscriptions.factories import make_reservation

    monkeypatch.setattr(clock, "today", lambda: dt.date(2026, 11, 24))
    fits = make_subscription(plan_end_date=dt.date(2027, 3, 31))
    ends_sooner = make_subscription(plan_end_date=dt.date(2026, 12, 31))
    scheduled = make_subscription()
    make_reservation(scheduled, type="ADD_LICENSE", apply_date=dt.date(2026, 12, 1))
    free = make_subscription(plan="FREE", product_id="FR", license_count=None, renewal_type="")
    action = bulk.bulk_action("subscriptions.cancellation")
    batch = bulk.batch_check(
        user=account_manager,
        action=action,
        values={"apply_date": "2027-02-01"},
        keys=[str(s.pk) for s in (fits, ends_sooner, scheduled, free)],
    )
    found = {r.key.split(":")[1]: r.found for r in batch.rows.all()}
    assert found[str(fits.pk)]["changes"] == [["Scheduled change", "—", "Cancel on 2027-02-01"]]
    assert (
        found[str(ends_sooner.pk)]["refusal"] == "Choose a date from 2026-11-25 to 2027-01-01 (Japan time)."
    )
    assert found[str(scheduled.pk)]["refusal"].startswith(
        "A change is scheduled for this subscription already"
    )
    assert found[str(free.pk)]["refusal"] == "Only paid subscriptions can be cancelled on a date."
    bulk.batch_send(user=account_manager, batch=batch, ticked=[r.key for r in batch.rows.all()])
    operation = Operation.objects.get()  # the refused rows are not sent
    assert operation.kind == "createSubscriptionReservation"
    assert operation.params["args"] == {
        "domain_id": fits.customer_id,
        "subscription_id": fits.pk,
        "type": "CANCEL",
        "apply_date": "2027-02-01",
    }


def test_the_cancellation_form_keeps_its_date_as_text(client_as, subs):
    client = client_as(AM)
    made = client.post(
        reverse("core:bulk_new"),
        {"action": "subscriptions.cancellation", "keys": [str(subs[0].pk)], "apply_date": "2027-02-01"},
    )
    assert made.status_code == 302
    assert Batch.objects.get().values == {"apply_date": "2027-02-01"}
    assert (
        client.post(
            reverse("core:bulk_new"),
            {"action": "subscriptions.cancellation", "keys": [str(subs[0].pk)], "apply_date": "soon"},
        ).status_code
        == 200
    )


def test_under_portfolio_only_another_account_managers_rows_are_not_found_so_never_sent(
    account_manager, subs, settings
):
    from tests.customers.factories import make_owner

    settings.PORTFOLIO_ONLY = True
    mine = subs[0]
    make_owner(mine.customer, account_manager=account_manager)
    batch = _dry_run(account_manager, subs)
    found = {r.key: r.found["refusal"] for r in batch.rows.all()}
    assert found == {f"subscriptions:{mine.pk}": ""}


def test_under_portfolio_only_another_persons_batch_does_not_name_the_readers_other_customers(
    account_manager, subs, settings
):
    """Item 7 of issue 53: the batch page, its operations and its results file name only the customers the
    reader may read; another Account manager's customers are rows without a name or domain ID."""
    from django.test import Client

    from tests.customers.factories import make_owner
    from tests.fixtures.personas import make_persona

    settings.PORTFOLIO_ONLY = True
    for s in subs:
        make_owner(s.customer, account_manager=account_manager)
    batch = _dry_run(account_manager, subs)
    bulk.batch_send(user=account_manager, batch=batch, ticked=[r.key for r in batch.rows.all()])
    other = make_persona(AM, username="other-manager")
    make_owner(subs[2].customer, account_manager=other)  # the one the other reader looks after now
    reader = Client()
    reader.force_login(other)

    page = reader.get(reverse("core:batch", args=[batch.pk])).content.decode()
    csv = b"".join(reader.get(reverse("core:batch_results", args=[batch.pk])).streaming_content).decode(
        "utf-8-sig"
    )
    for s in subs[:2]:
        for text in (s.customer.company_name, str(s.customer_id), f"subscriptions:{s.pk}"):
            assert text not in page and text not in csv, text
    assert subs[2].customer.company_name in page and subs[2].customer.company_name in csv
    assert page.count("A customer you do not look after") == 2
    assert csv.count("A customer you do not look after") == 2
    for operation in Operation.objects.exclude(domain_id=subs[2].customer_id):
        assert reader.get(reverse("core:operation", args=[operation.pk])).status_code == 404
    mine = Operation.objects.get(domain_id=subs[2].customer_id)
    assert reader.get(reverse("core:operation", args=[mine.pk])).status_code == 200

    # The one who made it reads every row, as before.
    own = Client()
    own.force_login(account_manager)
    own_page = own.get(reverse("core:batch", args=[batch.pk])).content.decode()
    assert all(s.customer.company_name in own_page for s in subs[:2])


def test_a_finished_batch_says_each_rows_state_in_the_words_of_its_tile(client_as, subs):
    """Issue 53 items 3 and 16: a row that failed is counted under "Failed", not "Refused"; a row that
    succeeded under "Succeeded", not "Applied"; the subscription's number after each row says what it is."""
    client = client_as(AM)
    made = client.post(
        reverse("core:bulk_new"), {"action": RENEWAL, "keys": [str(s.pk) for s in subs], "type": "CANCEL"}
    )
    batch = Batch.objects.get()
    client.post(reverse("core:batch_send", args=[batch.pk]), {"row": [r.key for r in batch.rows.all()]})
    statuses = [Operation.Status.SUCCEEDED, Operation.Status.FAILED, Operation.Status.SUPERSEDED]
    for row, status in zip(batch.rows.order_by("position"), statuses, strict=True):
        Operation.objects.filter(pk=row.operation_id).update(status=status)
    page = client.get(made["Location"]).content.decode()
    tiles = dict(re.findall(r'<div class="label">([^<]+)</div><div class="figure" data-count="(\w+)"', page))
    results = re.findall(r'<tr><th scope="row">[^<]+</th><td><a href="[^"]+">([^<]+)</a>', page)
    assert results == ["Succeeded", "Failed", "Replaced by a later change"]
    assert {word: tiles.get(word) for word in results} == {
        "Succeeded": "applied",
        "Failed": "failed",
        "Replaced by a later change": "superseded",
    }
    assert "Refused" not in tiles and "Applied" not in tiles
    assert all(f"(subscription ID {s.pk})" in page for s in subs)


def test_under_portfolio_only_a_held_row_of_another_persons_customer_is_not_named(
    account_manager, subs, settings
):
    """A running batch holding another Account manager's row: a reader choosing it (by its key) is told nothing
    of it; it is not theirs to read, so it is left out as a row not found."""
    from tests.customers.factories import make_owner
    from tests.fixtures.personas import make_persona

    settings.PORTFOLIO_ONLY = True
    for s in subs:
        make_owner(s.customer, account_manager=account_manager)
    running = _dry_run(account_manager, subs)
    bulk.batch_send(user=account_manager, batch=running, ticked=[r.key for r in running.rows.all()])
    other = make_persona(AM, username="other-manager")
    with pytest.raises(bulk.BatchRefused) as refused:
        _dry_run(other, subs)
    assert "None of the chosen rows is in the portal" in refused.value.message
    assert all(s.customer.company_name not in refused.value.message for s in subs)


def test_a_dry_run_made_in_one_language_is_confirmed_and_resumed_in_the_other(account_manager, subs):
    """The words of a row's check are not what is compared: a dry run read in English and confirmed after
    switching to Japanese (or by a colleague reading Japanese) sends, rather than finding every row changed;
    so does Resume. A row that did change is still found."""
    from django.utils import translation

    with translation.override("en"):
        batch = _dry_run(account_manager, subs)
    subs[2].renewal_type = "CANCEL"  # changed meanwhile: refused now
    subs[2].save(update_fields=["renewal_type"])
    with translation.override("ja"), pytest.raises(bulk.BatchRefused) as refused:
        bulk.batch_send(user=account_manager, batch=batch, ticked=[r.key for r in batch.rows.all()])
    assert [r.key for r in refused.value.rows] == [f"subscriptions:{subs[2].pk}"]
    with translation.override("ja"):
        bulk.batch_send(user=account_manager, batch=batch, ticked=[r.key for r in batch.rows.all()])
    assert Operation.objects.count() == 2
    bulk.batch_stop(user=account_manager, batch=batch)
    with translation.override("en"):
        bulk.batch_resume(user=account_manager, batch=batch)
    assert set(Operation.objects.values_list("status", flat=True)) == {Operation.Status.QUEUED}


def test_a_batch_made_in_english_reads_in_japanese_to_a_japanese_reader(account_manager, subs):
    """Each row's name and check are kept in every language of the portal: the dry run an English reader made
    reads in Japanese on the Japanese page, and so do the batch page and its results file once sent."""
    from django.test import Client
    from django.utils import translation

    with translation.override("en"):
        batch = _dry_run(account_manager, subs)
    reader = Client()
    reader.force_login(account_manager)
    reader.cookies["django_language"] = "ja"
    dry_run = reader.get(reverse("core:batch", args=[batch.pk])).content.decode()
    assert "更新しない" in dry_run and "Do not renew" not in dry_run  # the check, after
    assert f"（契約ID {subs[0].pk}）" in dry_run and f"(subscription ID {subs[0].pk})" not in dry_run
    assert "契約は更新されず" in dry_run and "The subscription is not renewed" not in dry_run

    reader.post(reverse("core:batch_send", args=[batch.pk]), {"row": [r.key for r in batch.rows.all()]})
    assert Operation.objects.count() == 3  # nothing changed but the words: sent
    page = reader.get(reverse("core:batch", args=[batch.pk])).content.decode()
    assert f"（契約ID {subs[0].pk}）" in page
    csv = b"".join(reader.get(reverse("core:batch_results", args=[batch.pk])).streaming_content).decode(
        "utf-8-sig"
    )
    assert f"（契約ID {subs[0].pk}）" in csv and "subscription ID" not in csv
