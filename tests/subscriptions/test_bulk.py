"""The subscriptions list's bulk actions beyond renewal unchanged / not at all: renewal with changes (product,
plan, licences at renewal: the rules of the one-subscription form, subscriptions.rules.renewal_change_error),
licences added on a date and scheduled changes moved to a date (each row's own date window); the dry run of each
row, what each row sends, and (with the sandbox) each applied once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from portal.core import clock
from portal.core.access import Role
from portal.core.changes import bulk
from portal.core.changes.engine import change_run
from portal.core.models import Batch, Operation
from subscriptions.models import Subscription
from tests.customers.factories import make_customer
from tests.fixtures.portal_api import pin_business_today
from tests.subscriptions.factories import make_reservation, make_subscription

RENEWAL = "subscriptions.renewal"
CHANGE_TO_ADVANCED = {"type": "CHANGE", "product_id": "ADV", "plan": "", "license_count": None}


def _dry_run(user, subs, values, key=RENEWAL):
    action = bulk.bulk_action(key)
    assert action is not None
    return bulk.batch_check(user=user, action=action, values=values, keys=[str(s.pk) for s in subs])


def _without_words(found: dict) -> dict:
    return {k: v for k, v in found.items() if k != "words"}


def _found(batch) -> dict[int, dict]:
    # The check in the words of the language in force (each language's are kept too, under "words").
    return {int(r.key.split(":")[1]): _without_words(r.found) for r in batch.rows.all()}


@pytest.mark.django_db
def test_a_renewal_with_changes_is_checked_row_by_row(account_manager):
    standard = make_subscription(product_id="STD", plan="ANNUAL_LICENSE", license_count=20)
    group = make_subscription(make_customer(domain_type="GROUP"), product_id="STD")
    advanced = make_subscription(product_id="ADV")
    already = make_subscription(product_id="STD", renewal_type="CHANGE", renewal_product_id="ADV")
    free = make_subscription(product_id="FR", plan="FREE", license_count=None, renewal_type="")
    subs = [standard, group, advanced, already, free]
    found = _found(_dry_run(account_manager, subs, CHANGE_TO_ADVANCED))
    assert found[standard.pk] == {
        "changes": [
            ["Renewal", "Renew unchanged", "Renew with changes"],
            ["Product", "Standard", "Advanced"],
            ["Plan", "Annual (licence)", "Annual (licence)"],
            ["Licences", "20", "20"],
        ],
        "side_effects": ["An immediate upgrade later would clear this upgrade at renewal."],
        "refusal": "",
    }
    assert found[group.pk]["refusal"].startswith("Advanced is available only with a domain.")
    assert found[advanced.pk]["refusal"].startswith("Choose what changes at renewal")  # Advanced already
    assert found[already.pk]["refusal"] == "Already set to Renew with changes: nothing to send."
    assert found[free.pk]["refusal"] == "Only paid subscriptions have renewal settings."
    assert not Operation.objects.exists()


@pytest.mark.django_db
def test_licences_go_only_with_licence_plans_and_each_row_sends_its_own_terms(account_manager):
    annual = make_subscription(product_id="STD", plan="ANNUAL_LICENSE", license_count=20)
    monthly = make_subscription(product_id="STD", plan="MONTHLY", license_count=None)
    values = {"type": "CHANGE", "product_id": "", "plan": "", "license_count": 12}
    batch = _dry_run(account_manager, [annual, monthly], values)
    found = _found(batch)
    assert found[annual.pk]["changes"][-1] == ["Licences", "20", "12"]
    assert (
        found[monthly.pk]["refusal"] == "Leave the licences empty: only annual licence plans count licences."
    )
    bulk.batch_send(user=account_manager, batch=batch, ticked=[r.key for r in batch.rows.all()])
    assert Operation.objects.get().params["args"] == {
        "domain_id": annual.customer_id,
        "subscription_id": annual.pk,
        "type": "CHANGE",
        "license_count": 12,
        "licences_before": 20,  # what a licence reduction is measured from
    }
    # A monthly subscription moved to an annual licence plan keeps its licences unknown: the count is needed.
    to_annual = {"type": "CHANGE", "product_id": "", "plan": "ANNUAL_LICENSE", "license_count": None}
    assert _found(_dry_run(account_manager, [monthly], to_annual))[monthly.pk]["refusal"] == (
        "Enter the number of licences: this plan is licence-based."
    )


@pytest.mark.django_db
def test_the_values_form_asks_what_changes(client_as):
    sub = make_subscription()
    client = client_as(Role.ACCOUNT_MANAGER)
    new = reverse("core:bulk_new")
    form = client.get(new, {"action": RENEWAL, "keys": sub.pk}).content.decode()
    assert 'name="product_id"' in form and 'name="plan"' in form and 'name="license_count"' in form
    nothing = client.post(new, {"action": RENEWAL, "keys": sub.pk, "type": "CHANGE"})
    assert "Choose what changes at renewal" in nothing.content.decode()
    monthly = client.post(
        new, {"action": RENEWAL, "keys": sub.pk, "type": "CHANGE", "plan": "MONTHLY", "license_count": "5"}
    )
    assert "Leave the licences empty" in monthly.content.decode()
    made = client.post(new, {"action": RENEWAL, "keys": sub.pk, "type": "CHANGE", "license_count": "30"})
    assert made.status_code == 302
    assert "Renew with changes" in client.get(made["Location"]).content.decode()


@pytest.mark.django_db
def test_licences_on_a_date_are_checked_against_each_rows_window_and_room(account_manager):
    today = clock.today()
    day = today + dt.timedelta(days=10)
    fits = make_subscription(
        plan="ANNUAL_LICENSE", license_count=20, plan_end_date=today + dt.timedelta(days=90)
    )
    ends_sooner = make_subscription(plan_end_date=today + dt.timedelta(days=5))
    monthly = make_subscription(
        plan="MONTHLY", license_count=None, plan_end_date=today + dt.timedelta(days=20)
    )
    scheduled = make_subscription(plan_end_date=today + dt.timedelta(days=90))
    make_reservation(scheduled, type="CANCEL", apply_date=today + dt.timedelta(days=30))
    full = make_subscription(license_count=999_998, plan_end_date=today + dt.timedelta(days=90))
    values = {"license_count": 5, "apply_date": day.isoformat()}
    batch = _dry_run(
        account_manager, [fits, ends_sooner, monthly, scheduled, full], values, "subscriptions.licences"
    )
    found = _found(batch)
    assert found[fits.pk] == {
        "changes": [
            ["Scheduled change", "—", f"Add licences on {day.isoformat()}"],
            ["Licences", "20", "25"],
        ],
        "side_effects": ["The licences are added on that date; the customer's maximum users do not change."],
        "refusal": "",
    }
    assert (today + dt.timedelta(days=5)).isoformat() in found[ends_sooner.pk]["refusal"]  # its window's end
    assert found[monthly.pk]["refusal"] == "Licences can be added on a date only to an annual licence plan."
    assert found[scheduled.pk]["refusal"].startswith("A change is scheduled for this subscription already")
    assert found[full.pk]["refusal"] == "At most 2 more licences: a subscription has at most 1,000,000."
    bulk.batch_send(user=account_manager, batch=batch, ticked=[r.key for r in batch.rows.all()])
    assert Operation.objects.get().params["args"] == {
        "domain_id": fits.customer_id,
        "subscription_id": fits.pk,
        "type": "ADD_LICENSE",
        "apply_date": day.isoformat(),
        "license_count": 5,
    }


@pytest.mark.django_db
def test_scheduled_changes_move_within_their_own_kinds_window(account_manager):
    today = clock.today()
    end = today + dt.timedelta(days=60)
    adding = make_subscription(plan_end_date=end)
    make_reservation(adding, type="ADD_LICENSE", apply_date=today + dt.timedelta(days=5))
    cancelling = make_subscription(plan_end_date=end)
    make_reservation(cancelling, type="CANCEL", apply_date=today + dt.timedelta(days=5))
    nothing = make_subscription(plan_end_date=end)
    there = make_subscription(plan_end_date=end)
    make_reservation(there, type="CANCEL", apply_date=end + dt.timedelta(days=1))
    day = end + dt.timedelta(
        days=1
    )  # the day after the term: a cancellation's last day, past adding licences'
    values = {"apply_date": day.isoformat()}
    batch = _dry_run(
        account_manager, [adding, cancelling, nothing, there], values, "subscriptions.reservation_date"
    )
    found = _found(batch)
    assert end.isoformat() in found[adding.pk]["refusal"]
    assert found[cancelling.pk]["changes"] == [
        [
            "Scheduled change",
            f"Cancel on {(today + dt.timedelta(days=5)).isoformat()}",
            f"Cancel on {day.isoformat()}",
        ]
    ]
    assert found[cancelling.pk]["side_effects"] == [
        "Only the date changes; option orders keep their own dates."
    ]
    assert found[nothing.pk]["refusal"] == "No change is scheduled for this subscription: nothing to move."
    assert found[there.pk]["refusal"] == "This is already the scheduled date."


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_licences_scheduled_then_moved_in_bulk_reach_the_sandbox_once(
    own_sandbox, portal_on_sandbox, cache_from_own_sandbox, monkeypatch, account_manager
):
    own_sandbox.clear_faults()
    today = dt.date.fromisoformat(own_sandbox.today().isoformat())
    pin_business_today(monkeypatch, today)
    cache_from_own_sandbox.fill()
    subs = list(
        Subscription.objects.filter(
            customer__removed_at=None,
            plan="ANNUAL_LICENSE",
            reservation__isnull=True,
            plan_end_date__gt=today + dt.timedelta(days=40),
        ).order_by("pk")[:3]
    )
    assert len(subs) >= 2, "the seed has too few annual licence subscriptions without a scheduled change"
    own_sandbox.clear_requests()
    first, later = today + dt.timedelta(days=10), today + dt.timedelta(days=20)
    scheduled = _dry_run(
        account_manager, subs, {"license_count": 3, "apply_date": first.isoformat()}, "subscriptions.licences"
    )
    bulk.batch_send(user=account_manager, batch=scheduled, ticked=[r.key for r in scheduled.rows.all()])
    _run_all()
    moved = _dry_run(
        account_manager, subs, {"apply_date": later.isoformat()}, "subscriptions.reservation_date"
    )
    assert not [r.found["refusal"] for r in moved.rows.all() if r.found["refusal"]]
    bulk.batch_send(user=account_manager, batch=moved, ticked=[r.key for r in moved.rows.all()])
    _run_all()
    assert len(own_sandbox.requests("createSubscriptionReservation")) == len(subs)
    assert len(own_sandbox.requests("updateSubscriptionReservation")) == len(subs)
    api = own_sandbox.client("partner", validate=False)
    for s in subs:
        answer = api.get(f"/partners/customers/{s.customer_id}/subscriptions/{s.pk}/reservation").json()
        assert (answer["type"], answer["applyDate"], answer["licenseCount"]) == (
            "ADD_LICENSE",
            later.isoformat(),
            3,
        )
    for batch in (scheduled, moved):
        batch.refresh_from_db()
        assert bulk.batch_settle(batch).state == Batch.State.FINISHED
    for s in subs:  # the module's sandbox as the next test found it
        api.delete(f"/partners/customers/{s.customer_id}/subscriptions/{s.pk}/reservation")


def _run_all() -> None:
    for _ in range(2):  # a task delivered twice sends nothing more
        for operation in Operation.objects.filter(idempotency_key__contains=":batch:"):
            change_run(operation_pk=str(operation.pk))
    assert not Operation.objects.exclude(status=Operation.Status.SUCCEEDED).exists()


@pytest.mark.django_db
def test_a_bulk_renewal_to_fewer_licences_than_members_says_so_in_what_else_happens(client_as):
    """Issue 53, item 15: the dry run renewing 株式会社青葉製薬 (99 members) with 30 licences warns, with the
    members today and the licences after, and still offers the row; a customer with fewer members does not."""
    aoba = make_subscription(
        make_customer(company_name="株式会社青葉製薬", member_count=99),
        plan="ANNUAL_LICENSE",
        license_count=100,
    )
    small = make_subscription(make_customer(member_count=12), plan="ANNUAL_LICENSE", license_count=20)
    client = client_as(Role.ACCOUNT_MANAGER)
    made = client.post(
        reverse("core:bulk_new"),
        {"action": RENEWAL, "keys": [str(aoba.pk), str(small.pk)], "type": "CHANGE", "license_count": "30"},
    )
    assert made.status_code == 302
    found = _found(Batch.objects.get())
    warning = "the customer has 99 members today and will have 30 licences after the renewal"
    assert found[aoba.pk]["refusal"] == "" and any(warning in e for e in found[aoba.pk]["side_effects"])
    assert not any("Fewer licences than members" in e for e in found[small.pk]["side_effects"])
    page = client.get(made["Location"]).content.decode()
    assert warning in page and page.count('data-testid="tick"') == 2
