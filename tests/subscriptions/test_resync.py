"""The resync engine fills the subscriptions cache from the sandbox (real HTTP through partner_api)."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.core import sync
from portal.core.models import SyncRun
from sandbox.testing import iter_pages
from subscriptions.models import PreOrder, Reservation, Subscription

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]


def _remote_state(sandbox) -> dict:
    """What the sandbox holds, read over raw HTTP (not through partner_api)."""
    client = sandbox.client("partner.read", validate=False)
    subs, pre_orders, reservations, customers = {}, {}, {}, []
    for c in iter_pages(client, "/partners/customers", "customers", count=30):
        domain_id = c["domainId"]
        customers.append(domain_id)
        base = f"/partners/customers/{domain_id}"
        for s in client.get(f"{base}/subscriptions").json().get("subscriptions", []):
            renewal = s.get("renewal") or {}
            subs[s["subscriptionId"]] = (
                domain_id,
                s["productId"],
                s["plan"],
                s.get("licenseCount"),
                s.get("planEndDate"),
                renewal.get("type", ""),
            )
            answer = client.get(f"{base}/subscriptions/{s['subscriptionId']}/reservation")
            if answer.status_code == 200:
                r = answer.json()
                reservations[s["subscriptionId"]] = (domain_id, r["type"], r["applyDate"])
        for p in client.get(f"{base}/subscriptions/pre-orders").json().get("subscriptionPreOrders", []):
            pre_orders[p["preOrderId"]] = (domain_id, p.get("productId"), p["applyDate"])
    return {"customers": customers, "subs": subs, "pre_orders": pre_orders, "reservations": reservations}


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day else None


def _cache_state() -> dict:
    return {
        "subs": {
            s.subscription_id: (
                s.customer_id,
                s.product_id,
                s.plan,
                s.license_count,
                _iso(s.plan_end_date),
                s.renewal_type,
            )
            for s in Subscription.objects.all()
        },
        "pre_orders": {
            p.pre_order_id: (p.customer_id, p.product_id, _iso(p.apply_date)) for p in PreOrder.objects.all()
        },
        "reservations": {
            r.subscription_id: (r.customer_id, r.type, _iso(r.apply_date)) for r in Reservation.objects.all()
        },
    }


def test_full_resync_fills_the_tables_with_one_call_per_customer_and_subscription(portal_on_sandbox):
    remote = _remote_state(portal_on_sandbox)
    assert remote["subs"] and remote["pre_orders"] and remote["reservations"], "seed has all three kinds"

    run = sync.resync_full()

    assert run.status == SyncRun.Status.SUCCEEDED, run.errors
    cached = _cache_state()
    assert cached["subs"] == remote["subs"]
    assert cached["pre_orders"] == remote["pre_orders"]
    assert cached["reservations"] == remote["reservations"]
    customers = len(remote["customers"])
    assert run.calls["listSubscriptions"] == customers  # one call for both stores (customers + subscriptions)
    assert run.calls["listSubscriptionPreOrders"] == customers
    assert run.calls["getSubscriptionReservation"] == len(remote["subs"])
    assert "getSubscriptionRenewal" not in run.calls  # the list carries the renewal settings

    # Idempotent: a second run leaves the same cache.
    again = sync.resync_full()
    assert again.status == SyncRun.Status.SUCCEEDED
    assert _cache_state() == cached


def test_one_customer_resync_removes_what_vanished(portal_on_sandbox):
    sync.resync_full()
    pre = PreOrder.objects.order_by("pre_order_id").first()
    res = Reservation.objects.order_by("subscription_id").first()
    api = portal_on_sandbox.client("partner")
    assert api.delete(f"/partners/customers/{pre.customer_id}/subscriptions/pre-orders/{pre.pre_order_id}").ok
    assert api.delete(
        f"/partners/customers/{res.customer_id}/subscriptions/{res.subscription_id}/reservation"
    ).ok

    for domain_id in {pre.customer_id, res.customer_id}:
        run = sync.resync_customer(domain_id=domain_id)
        assert run.status == SyncRun.Status.SUCCEEDED, run.errors

    assert not PreOrder.objects.filter(pk=pre.pk).exists()
    assert not Reservation.objects.filter(pk=res.pk).exists()
    assert Subscription.objects.filter(pk=res.subscription_id).exists()
    assert _cache_state() == {k: v for k, v in _remote_state(portal_on_sandbox).items() if k != "customers"}
