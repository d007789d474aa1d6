"""Renewing a subscription through the API, against the sandbox over real HTTP: a dry run, then for real, then
the operation polled; the same key asked again gets the first answer and sends nothing; another body under it
is refused; a change an Admin's rule holds waits for approval. The done-when of issue 56's API: the script
(`scripts/api_renewal.py`) does it with a read-write token, against the portal served for real."""

from __future__ import annotations

import importlib.util

import pytest
import requests
from django.urls import reverse

from portal.core.access import Role
from portal.core.models import ApiCall, ApprovalRule, AuditEntry, Operation
from subscriptions.models import Subscription
from tests.fixtures.portal_api import pin_business_today, quick_retries
from tests.fixtures.sandbox import sandbox_of_its_own

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

own_sandbox = sandbox_of_its_own(seed_customers=40, seed=21)


@pytest.fixture
def portal_on_sandbox(own_sandbox, portal_api, monkeypatch):
    quick_retries(monkeypatch)
    return portal_api(own_sandbox)


@pytest.fixture
def today(portal_on_sandbox, cache_from_own_sandbox, monkeypatch):
    day = portal_on_sandbox.today()
    pin_business_today(monkeypatch, day)
    portal_on_sandbox.clear_faults()
    portal_on_sandbox.configure(resetRateLimits=True)
    cache_from_own_sandbox.fill()
    return day


def _pick(**filters) -> Subscription:
    sub = (
        Subscription.objects.filter(customer__removed_at=None, reservation__isnull=True, **filters)
        .order_by("subscription_id")
        .first()
    )
    assert sub is not None, f"the seed has no subscription with {filters}"
    return sub


def _remote_renewal(sandbox, sub) -> dict:
    return (
        sandbox.client("partner", validate=False)
        .get(f"/partners/customers/{sub.customer_id}/subscriptions/{sub.subscription_id}/renewal")
        .json()
    )


def test_a_renewal_checked_then_sent_then_polled(today, portal_on_sandbox, api_as):
    sub = _pick(plan="ANNUAL_LICENSE", renewal_type="STAY")
    api = api_as(Role.ACCOUNT_MANAGER)
    url = reverse("api:subscription_renewal", args=[sub.subscription_id])
    body = {"type": "CANCEL", "reason": "Ticket 56"}
    checked = api.post(url, {**body, "dry_run": True})
    assert checked.status_code == 200 and checked.json()["result"] == "would_send"
    assert _remote_renewal(portal_on_sandbox, sub)["type"] == "STAY"  # nothing sent
    assert not Operation.objects.exists()

    sent = api.post(url, body, **{"Idempotency-Key": "renew-56"})
    assert sent.status_code == 200, sent.content
    data = sent.json()
    assert data["result"] == "applied" and data["operation"]["status"] == "succeeded"
    assert _remote_renewal(portal_on_sandbox, sub)["type"] == "CANCEL"
    assert Subscription.objects.get(pk=sub.pk).renewal_type == "CANCEL"
    entry = AuditEntry.objects.get(operation_id="updateSubscriptionRenewal")
    assert (entry.api_token, entry.actor, entry.reason) == (api.token, api.user, "Ticket 56")

    polled = api.get(data["operation"]["url"])
    assert polled.status_code == 200 and polled.json()["finished"] is True
    assert polled.json()["status"] == "succeeded"

    again = api.post(url, body, **{"Idempotency-Key": "renew-56"})
    assert (again.status_code, again.json()) == (200, data)
    other = api.post(url, {"type": "STAY"}, **{"Idempotency-Key": "renew-56"})
    assert other.status_code == 422 and other.json()["error"]["code"] == "idempotency_key_reused"
    assert AuditEntry.objects.filter(operation_id="updateSubscriptionRenewal").count() == 1  # sent once
    assert _remote_renewal(portal_on_sandbox, sub)["type"] == "CANCEL"
    routes = list(ApiCall.objects.filter(token=api.token).order_by("id").values_list("method", "status"))
    assert routes == [("POST", 200), ("POST", 200), ("GET", 200), ("POST", 200), ("POST", 422)]


def test_a_renewal_an_admins_rule_holds_waits_for_approval(today, portal_on_sandbox, api_as):
    ApprovalRule.objects.create(action="change:reduction", over_rows=5)
    sub = _pick(plan="ANNUAL_LICENSE", renewal_type="STAY", license_count__gte=10)
    api = api_as(Role.ACCOUNT_MANAGER)
    url = reverse("api:subscription_renewal", args=[sub.subscription_id])
    body = {"type": "CHANGE", "license_count": sub.license_count - 6}
    checked = api.post(url, {**body, "dry_run": True}).json()
    assert checked["needs_approval"] is True
    held = api.post(url, body, **{"Idempotency-Key": "held-1"})
    assert held.status_code == 202 and held.json()["result"] == "held"
    assert api.get(held.json()["operation"]["url"]).json()["status"] == "held"
    assert _remote_renewal(portal_on_sandbox, sub)["type"] == "STAY"  # nothing sent


def _script():
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "scripts" / "api_renewal.py"
    spec = importlib.util.spec_from_file_location("api_renewal", path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    return module


def test_the_script_renews_with_a_read_write_token_dry_run_then_for_real(
    today, portal_on_sandbox, api_as, live_server, capsys, settings
):
    """Done when: a script with a read-write token renews a customer's subscription through the API with a dry
    run, then for real, and polls the operation; and the partner's endpoint receives the signed event."""
    from portal.core.events import endpoints
    from portal.core.events.delivery import deliver_due
    from tests.core.test_events import Receiver

    settings.EVENTS_ALLOW_PRIVATE_ADDRESSES = True  # the receiver listens on the loopback
    receiver = Receiver()
    _endpoint, secret = endpoints.endpoint_add(
        user=api_as(Role.ADMIN).user, url=receiver.url, description="Tickets", types=["change.applied"]
    )
    sub = _pick(plan="ANNUAL_LICENSE", renewal_type="STAY")
    api = api_as(Role.ACCOUNT_MANAGER)
    args = ["--url", live_server.url, "--token", api.secret, "--subscription", str(sub.subscription_id)]
    args += ["--type", "CHANGE", "--licences", str(sub.license_count + 5), "--reason", "Renewal by script"]
    assert _script().renew(args, session=requests.Session()) == 0
    said = capsys.readouterr().out
    assert "--- dry run: HTTP 200" in said and "--- sent (Idempotency-Key" in said
    assert "--- operation: HTTP 200" in said and "Settled: Succeeded." in said
    remote = _remote_renewal(portal_on_sandbox, sub)
    assert (remote["type"], remote["licenseCount"]) == ("CHANGE", sub.license_count + 5)
    assert AuditEntry.objects.get(operation_id="updateSubscriptionRenewal").api_token == api.token
    deliver_due()  # the worker's minute (the delivery was queued as the change committed)
    (event,) = receiver.verified(secret)  # signed with the endpoint's secret, as Standard Webhooks checks it
    operation = Operation.objects.get(kind="updateSubscriptionRenewal")
    assert event["type"] == "change.applied"
    assert event["data"]["operation"] == str(operation.pk) and event["data"]["customer"] == sub.customer_id
    receiver.server.shutdown()


def _remote_reservation(sandbox, sub) -> dict | None:
    answer = sandbox.client("partner", validate=False).get(
        f"/partners/customers/{sub.customer_id}/subscriptions/{sub.subscription_id}/reservation"
    )
    return answer.json() if answer.status_code == 200 else None


def test_the_other_changes_of_a_subscription_as_its_pages_make_them(today, portal_on_sandbox, api_as):
    """A change scheduled, moved and deleted; licences added now; a cancellation now: each through the page's own
    form and the change pipeline, each its own key."""
    import datetime as dt

    sub = _pick(plan="ANNUAL_LICENSE")
    api = api_as(Role.ACCOUNT_MANAGER)
    base = f"/api/v1/subscriptions/{sub.subscription_id}"
    last = sub.plan_end_date.isoformat()
    scheduled = api.post(
        f"{base}/reservation",
        {"type": "ADD_LICENSE", "apply_date": last, "license_count": 7},
        **{"Idempotency-Key": "r-1"},
    )
    assert scheduled.status_code == 200, scheduled.content
    assert _remote_reservation(portal_on_sandbox, sub)["licenseCount"] == 7
    again = api.post(
        f"{base}/reservation", {"type": "CANCEL", "apply_date": last}, **{"Idempotency-Key": "r-2"}
    )
    assert (
        again.status_code == 409 and again.json()["error"]["code"] == "refused"
    )  # one at a time, as the page
    moved_to = (today + dt.timedelta(days=2)).isoformat()
    moved = api.post(f"{base}/reservation/date", {"apply_date": moved_to}, **{"Idempotency-Key": "r-3"})
    assert moved.status_code == 200 and _remote_reservation(portal_on_sandbox, sub)["applyDate"] == moved_to
    deleted = api.post(f"{base}/reservation/delete", {"reason": "no longer"}, **{"Idempotency-Key": "r-4"})
    assert deleted.status_code == 200 and _remote_reservation(portal_on_sandbox, sub) is None
    added = api.post(f"{base}/licences", {"license_count": 4}, **{"Idempotency-Key": "l-1"})
    assert added.status_code == 200
    assert Subscription.objects.get(pk=sub.pk).license_count == sub.license_count + 4
    cancelled = api.post(f"{base}/cancel", {"reason": "T-1"}, **{"Idempotency-Key": "c-1"})
    assert cancelled.status_code == 200 and not Subscription.objects.filter(pk=sub.pk).exists()
    kinds = set(AuditEntry.objects.filter(api_token=api.token).values_list("operation_id", flat=True))
    assert kinds == {
        "createSubscriptionReservation",
        "updateSubscriptionReservation",
        "deleteSubscriptionReservation",
        "addSubscriptionLicenseCount",
        "cancelSubscription",
    }
