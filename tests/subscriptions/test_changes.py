"""Subscription changes through the portal's pages, against the sandbox over real HTTP.

The business date is frozen to the sandbox's own date (the portal's `clock.today()` is pinned to it), so the
contract's windows are the same on both sides whatever the machine's clock says. Each test checks what a user
would notice: the page's answer, the cache (what the lists show), the sandbox's state, and the audit trail.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.core import changes
from portal.core.access import Role
from portal.core.changes import approvals
from portal.core.changes.engine import change_run
from portal.core.models import ApprovalRule, AuditEntry, Operation
from subscriptions import forms_changes as f
from subscriptions.models import PreOrder, Reservation, Subscription
from tests.fixtures.changes import submit_change
from tests.fixtures.personas import make_persona
from tests.fixtures.portal_api import pin_business_today
from tests.fixtures.sandbox import sandbox_of_its_own

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


# A sandbox of this module's own: 40 seeded customers give every kind of subscription these tests change (three
# active Trials, Free ones, Standard on a domain, annual licence plans).
own_sandbox = sandbox_of_its_own(seed_customers=40, seed=21)


@pytest.fixture
def today(portal_on_sandbox, cache_from_own_sandbox, monkeypatch):
    """The portal's business date pinned to the sandbox's, and the cache filled from the sandbox (as a full
    resync would fill it; tests/fixtures/cache.py)."""
    day = portal_on_sandbox.today()
    pin_business_today(monkeypatch, day)
    portal_on_sandbox.clear_faults()
    portal_on_sandbox.configure(resetRateLimits=True)
    cache_from_own_sandbox.fill()
    return day


@pytest.fixture
def manager(client_as):
    return client_as(Role.ACCOUNT_MANAGER)


def _api(sandbox):
    return sandbox.client("partner", validate=False)


def _pick(**filters) -> Subscription:
    sub = (
        Subscription.objects.filter(customer__removed_at=None, reservation__isnull=True, **filters)
        .select_related("customer")
        .order_by("subscription_id")
        .first()
    )
    assert sub is not None, f"the seed has no subscription with {filters}"
    return sub


_submit = submit_change


def _remote_pre_orders(sandbox, domain_id: int) -> list[dict]:
    answer = _api(sandbox).get(f"/partners/customers/{domain_id}/subscriptions/pre-orders")
    return answer.json()["subscriptionPreOrders"]


def _remote_reservation(sandbox, sub: Subscription) -> dict | None:
    answer = _api(sandbox).get(
        f"/partners/customers/{sub.customer_id}/subscriptions/{sub.subscription_id}/reservation"
    )
    return answer.json() if answer.status_code == 200 else None


# --- Pre-orders: create, move, delete -------------------------------------------------------------------


def test_pre_order_created_moved_and_deleted(today, manager, portal_on_sandbox):
    sub = _pick(plan__in=("FREE", "TRIAL"), customer__subscription_pre_orders__isnull=True)
    domain_id = sub.customer_id
    day = today + dt.timedelta(days=31)
    review, done = _submit(
        manager,
        reverse("subscriptions:pre_order_add", args=[domain_id]),
        {"apply_date": day.isoformat(), "product_id": "STD", "plan": "ANNUAL_LICENSE", "license_count": "25"},
    )
    assert done.status_code == 302 and done["Location"].endswith("#section-subscriptions")
    remote = _remote_pre_orders(portal_on_sandbox, domain_id)
    assert [(p["applyDate"], p["plan"], p["licenseCount"]) for p in remote] == [
        (day.isoformat(), "ANNUAL_LICENSE", 25)
    ]
    pre = PreOrder.objects.get(customer_id=domain_id)
    assert (pre.apply_date, pre.license_count) == (day, 25)
    page = manager.get(reverse("customers:detail", args=[domain_id])).content.decode()
    assert reverse("subscriptions:pre_order", args=[domain_id, pre.pre_order_id]) in page

    edit = reverse("subscriptions:pre_order", args=[domain_id, pre.pre_order_id])
    new_day = today + dt.timedelta(days=1)
    _review, moved = _submit(manager, edit, {"apply_date": new_day.isoformat()})
    assert moved.status_code == 302
    assert _remote_pre_orders(portal_on_sandbox, domain_id)[0]["applyDate"] == new_day.isoformat()
    pre.refresh_from_db()
    assert pre.apply_date == new_day

    delete_key = manager.get(edit).context["delete_form"].initial["idempotency_key"]
    gone = manager.post(
        reverse("subscriptions:pre_order_delete", args=[domain_id, pre.pre_order_id]),
        {"idempotency_key": delete_key},
    )
    assert gone.status_code == 302
    assert _remote_pre_orders(portal_on_sandbox, domain_id) == []
    assert not PreOrder.objects.filter(customer_id=domain_id).exists()
    ops = list(
        AuditEntry.objects.filter(domain_id=domain_id)
        .order_by("created_at")
        .values_list("operation_id", "outcome", "response_status")
    )
    # The trail records what the API answered: 201 Created, 200, 204 No Content.
    assert ops == [
        ("createSubscriptionPreOrder", "succeeded", 201),
        ("updateSubscriptionPreOrder", "succeeded", 200),
        ("deleteSubscriptionPreOrder", "succeeded", 204),
    ]


def test_double_submit_creates_one_pre_order(today, manager, portal_on_sandbox):
    sub = _pick(plan__in=("FREE", "TRIAL"), customer__subscription_pre_orders__isnull=True)
    domain_id = sub.customer_id
    url = reverse("subscriptions:pre_order_add", args=[domain_id])
    data = {
        "idempotency_key": f.new_key(),
        "apply_date": (today + dt.timedelta(days=7)).isoformat(),
        "product_id": "STD",
        "plan": "MONTHLY",
        "confirmed": "1",
    }
    first = manager.post(url, data)
    second = manager.post(url, data)  # the same submission again (double click, reload)
    assert first.status_code == 302 and "/operations/" not in first["Location"]
    operation = Operation.objects.get(kind="createSubscriptionPreOrder", domain_id=domain_id)
    assert second.status_code == 302
    assert second["Location"] == reverse("core:operation", args=[operation.pk])
    assert len(_remote_pre_orders(portal_on_sandbox, domain_id)) == 1
    assert (
        AuditEntry.objects.filter(operation_id="createSubscriptionPreOrder", domain_id=domain_id).count() == 1
    )
    status = manager.get(second["Location"]).content.decode()
    assert "LINE WORKS applied the change." in status


# --- Reservations ------------------------------------------------------------------------------------------


def test_reservation_scheduled_moved_and_deleted(today, manager, portal_on_sandbox):
    sub = _pick(plan="ANNUAL_LICENSE")
    url = reverse("subscriptions:reservation", args=[sub.subscription_id])
    last = sub.plan_end_date
    review, done = _submit(
        manager, url, {"type": "ADD_LICENSE", "apply_date": last.isoformat(), "license_count": "7"}
    )
    assert str(sub.license_count + 7) in review.content.decode()  # before → after licences
    assert done.status_code == 302
    remote = _remote_reservation(portal_on_sandbox, sub)
    assert (remote["type"], remote["applyDate"], remote["licenseCount"]) == (
        "ADD_LICENSE",
        last.isoformat(),
        7,
    )
    assert Reservation.objects.get(subscription_id=sub.subscription_id).license_count == 7

    # The same URL now moves it: only the date, within the ADD_LICENSE window.
    form_page = manager.get(url)
    assert isinstance(form_page.context["form"], f.ReservationDateForm)
    _r, moved = _submit(manager, url, {"apply_date": (today + dt.timedelta(days=2)).isoformat()})
    assert moved.status_code == 302
    assert (
        _remote_reservation(portal_on_sandbox, sub)["applyDate"] == (today + dt.timedelta(days=2)).isoformat()
    )

    key = manager.get(url).context["delete_form"].initial["idempotency_key"]
    manager.post(
        reverse("subscriptions:reservation_delete", args=[sub.subscription_id]), {"idempotency_key": key}
    )
    assert _remote_reservation(portal_on_sandbox, sub) is None
    assert not Reservation.objects.filter(subscription_id=sub.subscription_id).exists()


def test_scheduled_cancel_states_that_options_go_too(today, manager, portal_on_sandbox):
    sub = _pick(plan="MONTHLY")
    review, done = _submit(
        manager,
        reverse("subscriptions:reservation", args=[sub.subscription_id]),
        {"type": "CANCEL", "apply_date": (today + dt.timedelta(days=1)).isoformat()},
    )
    assert "all of its options are cancelled" in review.content.decode()
    assert done.status_code == 302
    assert _remote_reservation(portal_on_sandbox, sub)["type"] == "CANCEL"


# --- Renewal -----------------------------------------------------------------------------------------------


def test_renewal_changed_to_cancel_and_back(today, manager, portal_on_sandbox):
    sub = _pick(plan="ANNUAL_LICENSE", renewal_type="STAY")
    url = reverse("subscriptions:renewal", args=[sub.subscription_id])
    _r, done = _submit(manager, url, {"type": "CANCEL"})
    assert done.status_code == 302
    remote = _api(portal_on_sandbox).get(
        f"/partners/customers/{sub.customer_id}/subscriptions/{sub.subscription_id}/renewal"
    )
    assert remote.json()["type"] == "CANCEL"
    assert Subscription.objects.get(pk=sub.pk).renewal_type == "CANCEL"
    _r, done = _submit(manager, url, {"type": "CHANGE", "license_count": "3"})
    sub.refresh_from_db()
    assert (sub.renewal_type, sub.renewal_license_count) == ("CHANGE", 3)


def test_an_unconfirmed_renewal_replaced_by_a_later_one_is_superseded_not_reported_unapplied(
    today, manager, portal_on_sandbox
):
    """A renewal whose answer was lost, then a later renewal of the same subscription sent and applied: the
    read-back finds the later value, and cannot tell "never applied" from "applied, then replaced". Either way
    the later one is in effect, so the first is settled SUPERSEDED, never "not applied, send it again" (which
    `make soak` found told of changes that had been applied). A lost change to another subscription is not."""
    sub, other = Subscription.objects.filter(
        customer__removed_at=None, plan="ANNUAL_LICENSE", reservation__isnull=True
    ).order_by("subscription_id")[:2]
    args = {"domain_id": sub.customer_id, "subscription_id": sub.subscription_id, "type": "CHANGE"}
    portal_on_sandbox.set_fault("updateSubscriptionRenewal", dropRate=1, remaining=1)
    with pytest.raises(changes.ChangeOutcomeUnknown) as unknown:
        changes.change_now(
            "updateSubscriptionRenewal",
            user=None,
            idempotency_key="s" * 32,
            domain_id=sub.customer_id,
            args={**args, "license_count": 7},
        )
    first = unknown.value.operation
    assert first.status == Operation.Status.UNKNOWN
    later, _reply = changes.change_now(
        "updateSubscriptionRenewal",
        user=None,
        idempotency_key="t" * 32,
        domain_id=sub.customer_id,
        args={**args, "license_count": 9},
    )
    assert later.status == Operation.Status.SUCCEEDED

    portal_on_sandbox.set_fault("updateSubscriptionRenewal", dropRate=1, remaining=1)
    with pytest.raises(changes.ChangeOutcomeUnknown) as unknown:
        changes.change_now(
            "updateSubscriptionRenewal",
            user=None,
            idempotency_key="u" * 32,
            domain_id=other.customer_id,
            args={"domain_id": other.customer_id, "subscription_id": other.subscription_id, "type": "CANCEL"},
        )
    lost = unknown.value.operation
    last = len(changes.timing().read_backs) - 1
    changes.change_reconcile(operation_pk=str(first.pk), attempt=last)
    changes.change_reconcile(operation_pk=str(lost.pk), attempt=last)
    first.refresh_from_db()
    assert first.status == Operation.Status.SUPERSEDED and first.result["superseded_by"] == str(later.pk)
    assert Operation.objects.get(pk=lost.pk).status == Operation.Status.FAILED  # nothing replaced it

    page = manager.get(reverse("core:operation", args=[first.pk])).content.decode()
    assert "Replaced by a later change" in page and "Do not send this one again" in page
    assert (
        reverse("core:operation", args=[later.pk]) in page and 'hx-trigger="every' not in page
    )  # settled: no polling


# --- Immediate changes -------------------------------------------------------------------------------------


def test_convert_trial_to_paid_deletes_its_scheduled_paid_start(today, manager, portal_on_sandbox):
    sub = _pick(plan="TRIAL", status="ACTIVE")
    url = reverse("subscriptions:reservation", args=[sub.subscription_id])
    _submit(
        manager,
        url,
        {"type": "START_PAID_SERVICE", "apply_date": sub.plan_end_date.isoformat(), "plan": "MONTHLY"},
    )
    assert Reservation.objects.filter(subscription_id=sub.subscription_id).exists()
    review, done = _submit(
        manager, reverse("subscriptions:convert", args=[sub.subscription_id]), {"plan": "MONTHLY"}
    )
    assert "A change scheduled for this subscription is deleted." in review.content.decode()
    assert done.status_code == 302
    sub.refresh_from_db()
    assert (sub.product_id, sub.plan) in (("STD", "MONTHLY"), ("ADV", "MONTHLY"))
    assert not Reservation.objects.filter(subscription_id=sub.subscription_id).exists()
    assert _remote_reservation(portal_on_sandbox, sub) is None


def test_api_refusal_is_shown_on_the_field_and_nothing_is_lost(today, manager, portal_on_sandbox):
    """The cache says 1 member; LINE WORKS knows 500 (members joined since the last sync)."""
    sub = _pick(plan="TRIAL", status="ACTIVE")
    sub.customer.member_count = 1
    sub.customer.save(update_fields=["member_count"])
    portal_on_sandbox.customer_facts(sub.customer_id, memberCount=500)
    url = reverse("subscriptions:convert", args=[sub.subscription_id])
    _review, answer = _submit(manager, url, {"plan": "ANNUAL_LICENSE", "license_count": "10"})
    assert answer.status_code == 200
    form = answer.context["form"]
    assert "LINE WORKS refused the change" in form.errors["license_count"][0]
    assert "500" in form.errors["license_count"][0]
    assert answer.context["confirming"] is False and form["license_count"].value() == "10"
    assert Subscription.objects.get(pk=sub.pk).plan == "TRIAL"
    entry = AuditEntry.objects.get(operation_id="convertSubscriptionToPaid", domain_id=sub.customer_id)
    assert entry.outcome == "refused"
    # Corrected and sent again with the same submission key: accepted.
    data = {
        "idempotency_key": form["idempotency_key"].value(),
        "plan": "ANNUAL_LICENSE",
        "license_count": "500",
        "confirmed": "1",
    }
    assert manager.post(url, data).status_code == 302
    assert Subscription.objects.get(pk=sub.pk).license_count == 500


def test_add_licences_and_cancel_now(today, manager, portal_on_sandbox):
    sub = _pick(plan="ANNUAL_LICENSE")
    before = sub.license_count
    _r, done = _submit(
        manager, reverse("subscriptions:add_licences", args=[sub.subscription_id]), {"license_count": "4"}
    )
    assert done.status_code == 302
    assert Subscription.objects.get(pk=sub.pk).license_count == before + 4
    review, done = _submit(
        manager, reverse("subscriptions:cancel", args=[sub.subscription_id]), {"reason": "T-1"}
    )
    assert "cancellation fee" in review.content.decode()
    assert done.status_code == 302
    assert not Subscription.objects.filter(pk=sub.pk).exists()
    remote = _api(portal_on_sandbox).get(f"/partners/customers/{sub.customer_id}/subscriptions").json()
    assert sub.subscription_id not in [s["subscriptionId"] for s in remote["subscriptions"]]
    assert (
        AuditEntry.objects.get(operation_id="cancelSubscription", domain_id=sub.customer_id).reason == "T-1"
    )


def test_after_cancel_now_the_customer_has_no_product_as_the_api_says(today, manager, portal_on_sandbox):
    """The API answers productId: null for a customer whose only subscription was cancelled: once the refresh
    the change queues has read it, the lists and the customer page say "No subscription", not the old product."""
    from customers.models import Customer
    from portal.core.sync import resync_customer

    sub = next(
        s
        for s in Subscription.objects.filter(
            customer__removed_at=None, reservation__isnull=True, plan__in=("MONTHLY", "ANNUAL_LICENSE")
        ).select_related("customer")
        if s.customer.subscriptions.count() == 1
    )
    assert sub.customer.product_id
    _review, done = _submit(manager, reverse("subscriptions:cancel", args=[sub.subscription_id]), {})
    assert done.status_code == 302
    remote = _api(portal_on_sandbox).get(f"/partners/customers/{sub.customer_id}").json()
    assert remote["productId"] is None
    assert resync_customer(domain_id=sub.customer_id).status == "succeeded"  # the refresh queued after it

    assert Customer.objects.get(pk=sub.customer_id).product_id == ""
    listed = manager.get(
        reverse("customers:list"), {"q": sub.customer.domain, "owner": "all"}
    ).content.decode()
    row = listed[listed.index(f'data-domain-id="{sub.customer_id}"') :].split("</tr>")[0]
    assert "No subscription" in row and sub.get_product_display() not in row
    page = manager.get(reverse("customers:detail", args=[sub.customer_id])).content.decode()
    assert 'data-testid="no-subscription"' in page


def test_upgrade_standard_to_advanced_now(today, manager, portal_on_sandbox):
    sub = _pick(product_id="STD", plan__in=("MONTHLY", "ANNUAL_LICENSE"), customer__domain_type="DOMAIN")
    review, done = _submit(manager, reverse("subscriptions:upgrade", args=[sub.subscription_id]), {})
    assert "Standard" in review.content.decode() and "Advanced" in review.content.decode()
    assert done.status_code == 302
    assert Subscription.objects.get(pk=sub.pk).product_id == "ADV"


# --- Safe submits: no answer ------------------------------------------------------------------------------


def test_dropped_answer_is_read_back_not_sent_again(today, manager, portal_on_sandbox):
    """LINE WORKS applied the pre-order but the answer was lost: the portal finds it instead of resending."""
    sub = _pick(plan__in=("FREE", "TRIAL"), customer__subscription_pre_orders__isnull=True)
    portal_on_sandbox.set_fault("createSubscriptionPreOrder", dropRate=1, afterHandler=True, remaining=1)
    url = reverse("subscriptions:pre_order_add", args=[sub.customer_id])
    _r, done = _submit(
        manager,
        url,
        {"apply_date": (today + dt.timedelta(days=4)).isoformat(), "product_id": "STD", "plan": "MONTHLY"},
    )
    assert done.status_code == 302
    operation = Operation.objects.get(kind="createSubscriptionPreOrder", domain_id=sub.customer_id)
    assert operation.status == Operation.Status.SUCCEEDED
    assert len(_remote_pre_orders(portal_on_sandbox, sub.customer_id)) == 1
    assert AuditEntry.objects.get(operation_id="createSubscriptionPreOrder").outcome == "unknown"


def test_lost_request_stays_unknown_until_the_read_back_decides(today, manager, portal_on_sandbox):
    """The request never arrived: the operation says "unknown", then the later read-back settles it."""
    sub = _pick(plan__in=("FREE", "TRIAL"), customer__subscription_pre_orders__isnull=True)
    portal_on_sandbox.set_fault("createSubscriptionPreOrder", dropRate=1, remaining=1)
    url = reverse("subscriptions:pre_order_add", args=[sub.customer_id])
    _r, done = _submit(
        manager,
        url,
        {"apply_date": (today + dt.timedelta(days=4)).isoformat(), "product_id": "STD", "plan": "MONTHLY"},
    )
    operation = Operation.objects.get(kind="createSubscriptionPreOrder", domain_id=sub.customer_id)
    assert done["Location"] == reverse("core:operation", args=[operation.pk])
    assert operation.status == Operation.Status.UNKNOWN
    page = manager.get(done["Location"]).content.decode()
    assert "Do not send the change again" in page and 'hx-trigger="every' in page
    changes.change_reconcile(operation_pk=str(operation.pk), attempt=0)
    assert Operation.objects.get(pk=operation.pk).status == Operation.Status.UNKNOWN  # not yet
    changes.change_reconcile(operation_pk=str(operation.pk), attempt=len(changes.timing().read_backs) - 1)
    operation.refresh_from_db()
    assert operation.status == Operation.Status.FAILED and "did not apply" in operation.error
    assert _remote_pre_orders(portal_on_sandbox, sub.customer_id) == []


# --- Access ------------------------------------------------------------------------------------------------


def test_support_reads_but_cannot_change(today, client_as):
    sub = _pick(plan="ANNUAL_LICENSE")
    support = client_as(Role.SUPPORT)
    detail = support.get(reverse("subscriptions:detail", args=[sub.subscription_id]))
    assert detail.status_code == 200 and 'data-testid="subscription-actions"' not in detail.content.decode()
    assert support.get(reverse("subscriptions:reservation", args=[sub.subscription_id])).status_code == 403
    customer_page = support.get(reverse("customers:detail", args=[sub.customer_id])).content.decode()
    assert 'data-testid="pre-order-add"' not in customer_page


# --- The change pipeline's promises (portal.core.changes) ----------------------------------------------------


def test_a_server_error_after_the_change_was_applied_is_read_back_and_never_sent_again(
    today, manager, portal_on_sandbox
):
    """LINE WORKS applies the pre-order, then answers 500: the outcome is open, so the portal reads it back
    (and finds it) instead of calling it refused; sending the same form again sends nothing."""
    sub = _pick(plan__in=("FREE", "TRIAL"), customer__subscription_pre_orders__isnull=True)
    portal_on_sandbox.set_fault(
        "createSubscriptionPreOrder", errorRate=1, errorStatus=500, afterHandler=True, remaining=1
    )
    url = reverse("subscriptions:pre_order_add", args=[sub.customer_id])
    data = {"apply_date": (today + dt.timedelta(days=5)).isoformat(), "product_id": "STD", "plan": "MONTHLY"}
    _review, done = submit_change(manager, url, data)
    assert done.status_code == 302
    operation = Operation.objects.get(kind="createSubscriptionPreOrder", domain_id=sub.customer_id)
    assert operation.status == Operation.Status.SUCCEEDED and operation.result["read_back"]
    entry = AuditEntry.objects.get(operation_id="createSubscriptionPreOrder", domain_id=sub.customer_id)
    assert entry.outcome == "unknown" and entry.response_status == 500
    assert PreOrder.objects.filter(customer_id=sub.customer_id).count() == 1
    # The same submission once more (reload, back button): its operation, not a second pre-order.
    again = manager.post(
        url, {**data, "idempotency_key": operation.idempotency_key.rsplit(":", 1)[-1], "confirmed": "1"}
    )
    assert again["Location"] == reverse("core:operation", args=[operation.pk])
    assert len(_remote_pre_orders(portal_on_sandbox, sub.customer_id)) == 1


def test_a_change_whose_worker_died_is_read_back_not_sent_again(today, manager, portal_on_sandbox):
    """The worker sent the change and was killed before recording it: the operation stays "running". The
    reaper (and a redelivered task alike) reads it back and settles it; nothing is sent twice."""
    sub = _pick(plan__in=("FREE", "TRIAL"), customer__subscription_pre_orders__isnull=True)
    day = (today + dt.timedelta(days=6)).isoformat()
    args = {"domain_id": sub.customer_id, "apply_date": day, "product_id": "STD", "plan": "MONTHLY"}
    operation = changes.change_later(
        "createSubscriptionPreOrder",
        user=None,
        idempotency_key="k" * 32,
        domain_id=sub.customer_id,
        args=args,
    )
    # What the killed worker did: it claimed the operation and sent the change, then died.
    Operation.objects.filter(pk=operation.pk).update(
        status=Operation.Status.RUNNING, updated_at=timezone.now() - dt.timedelta(minutes=10)
    )
    sent = _api(portal_on_sandbox).post(
        f"/partners/customers/{sub.customer_id}/subscriptions/pre-orders",
        json={"applyDate": day, "productId": "STD", "plan": "MONTHLY"},
    )
    assert sent.status_code == 201
    changes.change_run(operation_pk=str(operation.pk))  # the task delivered again: it must not skip it
    operation.refresh_from_db()
    assert operation.status == Operation.Status.SUCCEEDED and operation.result["read_back"]
    assert len(_remote_pre_orders(portal_on_sandbox, sub.customer_id)) == 1
    assert not AuditEntry.objects.filter(operation_id="createSubscriptionPreOrder").exists()  # never re-sent

    # The same, found by the periodic reaper, for a change that was never sent: unknown until the last try.
    lost = changes.change_later(
        "createSubscriptionPreOrder",
        user=None,
        idempotency_key="m" * 32,
        domain_id=sub.customer_id,
        args={**args, "apply_date": (today + dt.timedelta(days=8)).isoformat()},
    )
    Operation.objects.filter(pk=lost.pk).update(
        status=Operation.Status.RUNNING, updated_at=timezone.now() - dt.timedelta(minutes=10)
    )
    assert changes.changes_reap_stale() == 1
    assert Operation.objects.get(pk=lost.pk).status == Operation.Status.UNKNOWN
    changes.change_reconcile(operation_pk=str(lost.pk), attempt=len(changes.timing().read_backs) - 1)
    assert Operation.objects.get(pk=lost.pk).status == Operation.Status.FAILED
    assert len(_remote_pre_orders(portal_on_sandbox, sub.customer_id)) == 1


def test_an_unknown_change_whose_read_back_task_was_lost_is_read_back_by_the_reaper(
    today, manager, portal_on_sandbox
):
    """A killed worker takes its delayed read-back tasks with it (Redis gives them back only after its
    visibility timeout, an hour): the read-back's schedule is kept on the operation, and the periodic reaper
    makes an overdue one itself. A task for a try already superseded reads nothing. (Found by `make soak`.)"""
    sub = _pick(plan__in=("FREE", "TRIAL"), customer__subscription_pre_orders__isnull=True)
    day = (today + dt.timedelta(days=7)).isoformat()
    operation = changes.change_later(
        "createSubscriptionPreOrder",
        user=None,
        idempotency_key="n" * 32,
        domain_id=sub.customer_id,
        args={"domain_id": sub.customer_id, "apply_date": day, "product_id": "STD", "plan": "MONTHLY"},
    )
    # Sent and applied, the answer lost; the read-back's delayed task (due a minute ago) died with its worker.
    assert (
        _api(portal_on_sandbox)
        .post(
            f"/partners/customers/{sub.customer_id}/subscriptions/pre-orders",
            json={"applyDate": day, "productId": "STD", "plan": "MONTHLY"},
        )
        .status_code
        == 201
    )
    overdue = timezone.now() - dt.timedelta(minutes=1)
    Operation.objects.filter(pk=operation.pk).update(
        status=Operation.Status.UNKNOWN, check_attempt=1, check_after=overdue
    )

    # The lost task of the first try, delivered late, does nothing: the second try is the one scheduled.
    assert changes.change_reconcile(operation_pk=str(operation.pk), attempt=0) is None
    operation.refresh_from_db()
    assert operation.status == Operation.Status.UNKNOWN and operation.check_after == overdue

    assert changes.changes_reap_stale() == 1
    operation.refresh_from_db()
    assert operation.status == Operation.Status.SUCCEEDED and operation.result["read_back"]
    assert len(_remote_pre_orders(portal_on_sandbox, sub.customer_id)) == 1  # read, never sent again
    assert not AuditEntry.objects.filter(operation_id="createSubscriptionPreOrder").exists()

    # A read-back not yet due is left to its task.
    later = changes.change_later(
        "createSubscriptionPreOrder",
        user=None,
        idempotency_key="p" * 32,
        domain_id=sub.customer_id,
        args={"domain_id": sub.customer_id, "apply_date": day, "product_id": "STD", "plan": "MONTHLY"},
    )
    Operation.objects.filter(pk=later.pk).update(
        status=Operation.Status.UNKNOWN, check_after=timezone.now() + dt.timedelta(seconds=30)
    )
    assert changes.changes_reap_stale() == 0
    assert Operation.objects.get(pk=later.pk).status == Operation.Status.UNKNOWN

    # The module's sandbox is shared: give the seed's Free/Trial subscription back to the tests after this one.
    for pre_order in _remote_pre_orders(portal_on_sandbox, sub.customer_id):
        path = f"/partners/customers/{sub.customer_id}/subscriptions/pre-orders/{pre_order['preOrderId']}"
        assert _api(portal_on_sandbox).delete(path).status_code in (200, 204)


def test_a_queued_change_whose_task_was_lost_is_queued_again_and_sent_once(
    today, manager, portal_on_sandbox, monkeypatch
):
    """The worker that held a queued change's task was killed before starting it: the reaper queues it again
    and it is sent once. A second copy of the task arriving while a live worker sends it leaves it alone."""
    from portal.core import tasks

    sub = _pick(plan__in=("FREE", "TRIAL"), customer__subscription_pre_orders__isnull=True)
    day = (today + dt.timedelta(days=9)).isoformat()
    args = {"domain_id": sub.customer_id, "apply_date": day, "product_id": "STD", "plan": "MONTHLY"}
    operation = changes.change_later(
        "createSubscriptionPreOrder",
        user=None,
        idempotency_key="q" * 32,
        domain_id=sub.customer_id,
        args=args,
    )
    queued: list[str] = []
    monkeypatch.setattr(tasks.change_run, "delay", lambda operation_id: queued.append(operation_id))
    Operation.objects.filter(pk=operation.pk).update(updated_at=timezone.now() - dt.timedelta(minutes=5))

    assert changes.changes_reap_stale() == 1
    assert queued == [str(operation.pk)]
    assert changes.changes_reap_stale() == 0  # queued again once, not every minute

    # A copy of the task meets the operation while a live worker sends it: nothing happens to it.
    Operation.objects.filter(pk=operation.pk).update(status=Operation.Status.RUNNING)
    changes.change_run(operation_pk=str(operation.pk))
    assert Operation.objects.get(pk=operation.pk).status == Operation.Status.RUNNING
    Operation.objects.filter(pk=operation.pk).update(status=Operation.Status.QUEUED)

    changes.change_run(operation_pk=queued[0])  # the worker takes the task queued again
    operation.refresh_from_db()
    assert operation.status == Operation.Status.SUCCEEDED
    remote = _remote_pre_orders(portal_on_sandbox, sub.customer_id)
    assert len(remote) == 1
    assert AuditEntry.objects.filter(operation_id="createSubscriptionPreOrder").count() == 1  # sent once

    path = f"/partners/customers/{sub.customer_id}/subscriptions/pre-orders/{remote[0]['preOrderId']}"
    assert _api(portal_on_sandbox).delete(path).status_code in (200, 204)  # the next tests use the seed too


def test_a_delete_of_what_is_already_gone_is_done_and_the_cache_forgets_it(today, manager, portal_on_sandbox):
    """The pre-order was deleted (an earlier attempt whose answer was lost, or elsewhere): deleting it answers
    404, which for a delete means done, not "refused"; the portal's list no longer shows it."""
    sub = _pick(plan__in=("FREE", "TRIAL"), customer__subscription_pre_orders__isnull=True)
    url = reverse("subscriptions:pre_order_add", args=[sub.customer_id])
    data = {"apply_date": (today + dt.timedelta(days=9)).isoformat(), "product_id": "STD", "plan": "MONTHLY"}
    submit_change(manager, url, data)
    pre_order = PreOrder.objects.get(customer_id=sub.customer_id)
    _api(portal_on_sandbox).delete(
        f"/partners/customers/{sub.customer_id}/subscriptions/pre-orders/{pre_order.pre_order_id}"
    )
    response = manager.post(
        reverse("subscriptions:pre_order_delete", args=[sub.customer_id, pre_order.pre_order_id]),
        {"idempotency_key": "d" * 32},
        follow=True,
    )
    assert "The pre-order was deleted." in response.content.decode()
    assert not PreOrder.objects.filter(pre_order_id=pre_order.pre_order_id).exists()
    assert Operation.objects.get(kind="deleteSubscriptionPreOrder").status == Operation.Status.SUCCEEDED


def test_adding_licences_now_says_it_deletes_the_scheduled_increase_and_the_page_forgets_it(
    today, manager, portal_on_sandbox
):
    sub = _pick(plan="ANNUAL_LICENSE")
    day = sub.plan_end_date
    submit_change(
        manager,
        reverse("subscriptions:reservation", args=[sub.subscription_id]),
        {"type": "ADD_LICENSE", "apply_date": day.isoformat(), "license_count": "3"},
    )
    assert Reservation.objects.filter(subscription_id=sub.subscription_id).exists()
    page = manager.get(reverse("subscriptions:detail", args=[sub.subscription_id])).content.decode()
    assert 'data-testid="reservation"' in page
    review, done = submit_change(
        manager, reverse("subscriptions:add_licences", args=[sub.subscription_id]), {"license_count": "2"}
    )
    assert f"The scheduled licence increase of {day.isoformat()} is deleted" in review.content.decode()
    assert done.status_code == 302
    assert _remote_reservation(portal_on_sandbox, sub) is None
    assert not Reservation.objects.filter(subscription_id=sub.subscription_id).exists()
    page = manager.get(reverse("subscriptions:detail", args=[sub.subscription_id])).content.decode()
    assert 'data-testid="reservation"' not in page  # the subscription's page no longer shows it


# --- Four eyes on single changes (issue 55, deliverable 3) ---------------------------------------------------
# With an Admin's rule, cancelling a subscription from its own page asks for approval and sends nothing; the
# one who asked cannot approve; a second Account manager approves on the operation page, and the change is
# queued and sent once by the worker's task (run here), as the sandbox then shows; a rejection sends nothing.


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
    today, manager, client, portal_on_sandbox
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
    assert "cancellation fee" in page  # what the confirmation told the asker, told the approver
    assert 'class="btn btn-danger" type="submit" data-testid="approve"' in page  # it removes something
    answer = client.post(reverse("core:operation_approve", args=[operation.pk]), {"note": "Agreed with CS"})
    assert answer.status_code == 302  # queued for the worker (the tests' broker keeps its task)
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
    refused = client.post(reverse("core:operation_reject", args=[operation.pk]), {"note": ""})
    assert refused.status_code == 400
    assert "Why it is rejected:" in refused.content.decode()  # the refusal names its field, as a batch's does
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


def _remote_renewal(sandbox, sub) -> dict:
    return (
        _api(sandbox)
        .get(f"/partners/customers/{sub.customer_id}/subscriptions/{sub.subscription_id}/renewal")
        .json()
    )


def test_a_renewal_taking_away_more_licences_than_the_rule_waits_for_a_second_person(
    today, manager, client, portal_on_sandbox
):
    """An Admin's rule: a renewal that takes away more than 5 licences needs approval. Taking away 5 is sent at
    once; taking away 6 says so on the check, waits, and is sent once when a second person approves."""
    ApprovalRule.objects.create(action="change:reduction", over_rows=5)
    sub = _pick(plan="ANNUAL_LICENSE", renewal_type="STAY", license_count__gte=10)
    url = reverse("subscriptions:renewal", args=[sub.subscription_id])
    review, done = _submit(manager, url, {"type": "CHANGE", "license_count": str(sub.license_count - 5)})
    assert 'data-testid="held-note"' not in review.content.decode()
    assert done.status_code == 302 and done["Location"] == reverse("subscriptions:detail", args=[sub.pk])
    assert _remote_renewal(portal_on_sandbox, sub)["licenseCount"] == sub.license_count - 5
    fewer = sub.license_count - 6
    review, done = _submit(manager, url, {"type": "CHANGE", "license_count": str(fewer)})
    assert 'data-testid="held-note"' in review.content.decode()  # said before it is asked
    operation = Operation.objects.get(kind="updateSubscriptionRenewal", status=Operation.Status.HELD)
    assert done["Location"] == reverse("core:operation", args=[operation.pk])
    assert _remote_renewal(portal_on_sandbox, sub)["licenseCount"] == sub.license_count - 5  # nothing sent
    second = make_persona(Role.ACCOUNT_MANAGER, username="second-for-licences")
    assert [o.pk for o in approvals.held_waiting(user=second)] == [operation.pk]
    client.force_login(second)
    assert (
        client.post(reverse("core:operation_approve", args=[operation.pk]), {"note": "OK"}).status_code == 302
    )
    change_run(operation_pk=str(operation.pk))  # what the worker does
    operation.refresh_from_db()
    assert operation.status == Operation.Status.SUCCEEDED
    assert _remote_renewal(portal_on_sandbox, sub)["licenseCount"] == fewer
    assert Subscription.objects.get(pk=sub.pk).renewal_license_count == fewer
