"""A customer's options and subscriptions changed through the API, against a sandbox of its own over real HTTP
(the business date pinned to the sandbox's): each change a dry run (nothing sent), then for real with its
Idempotency-Key, its effect read back from LINE WORKS (the sandbox) and the cache, and a refusal in words, the
page's own."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from options import rules
from options.models import Option, OptionOrder
from portal.core.access import Role
from portal.core.models import AuditEntry
from subscriptions.models import PreOrder, Subscription
from tests.fixtures.portal_api import pin_business_today, quick_retries
from tests.fixtures.sandbox import sandbox_of_its_own
from tests.options.test_changes import _paid_customer_without, _remote_options, _remote_orders

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


def _kinds(api) -> list[str]:
    return list(
        AuditEntry.objects.filter(api_token=api.token)
        .order_by("created_at")
        .values_list("operation_id", flat=True)
    )


def test_an_option_added_upgraded_grown_renewed_scheduled_and_cancelled(today, portal_on_sandbox, api_as):
    sub = _paid_customer_without("SSTG2", today=today)
    domain_id = sub.customer_id
    api = api_as(Role.ACCOUNT_MANAGER)
    base = f"/api/v1/options/customers/{domain_id}"

    # Add: only what the subscription allows; a dry run sends nothing.
    refused = api.post(
        f"{base}/new", {"sub_option_id": "DRV_PA" if sub.product_id == "STD" else "DRV01", "dry_run": True}
    )
    assert refused.status_code == 422 and "sub_option_id" in refused.json()["error"]["fields"]
    checked = api.post(f"{base}/new", {"sub_option_id": "SSTG202", "quantity": 2, "dry_run": True})
    assert checked.status_code == 200 and checked.json()["change"] == "createOptionProduct"
    assert "SSTG2" not in _remote_options(portal_on_sandbox, domain_id)
    added = api.post(f"{base}/new", {"sub_option_id": "SSTG202", "quantity": 2}, **{"Idempotency-Key": "o-1"})
    assert added.status_code == 200, added.content
    assert _remote_options(portal_on_sandbox, domain_id)["SSTG2"]["subOptionId"] == "SSTG202"

    # Upgrade now: a lower tier is refused on the field; a higher one sent.
    lower = api.post(f"{base}/SSTG2/upgrade", {"sub_option_id": "SSTG201", "dry_run": True})
    assert lower.status_code == 422 and "sub_option_id" in lower.json()["error"]["fields"]
    upgraded = api.post(f"{base}/SSTG2/upgrade", {"sub_option_id": "SSTG204"}, **{"Idempotency-Key": "o-2"})
    assert upgraded.status_code == 200, upgraded.content
    assert _remote_options(portal_on_sandbox, domain_id)["SSTG2"]["subOptionId"] == "SSTG204"

    # Add quantity now.
    none = api.post(f"{base}/SSTG2/quantity", {"quantity": 0, "dry_run": True})
    assert none.status_code == 422 and "quantity" in none.json()["error"]["fields"]
    grown = api.post(f"{base}/SSTG2/quantity", {"quantity": 1}, **{"Idempotency-Key": "o-3"})
    assert grown.status_code == 200, grown.content
    assert _remote_options(portal_on_sandbox, domain_id)["SSTG2"]["quantity"] == 3
    assert Option.objects.get(customer_id=domain_id, option_product_id="SSTG2").quantity == 3

    # At renewal: a smaller tier is allowed then.
    renewed = api.post(
        f"{base}/SSTG2/renewal",
        {"type": "CHANGE", "sub_option_id": "SSTG201", "quantity": 1},
        **{"Idempotency-Key": "o-4"},
    )
    assert renewed.status_code == 200, renewed.content
    remote = (
        portal_on_sandbox.client("partner", validate=False)
        .get(f"/partners/customers/{domain_id}/option-products/SSTG2/renewal")
        .json()
    )
    assert (remote["type"], remote["subOptionId"]) == ("CHANGE", "SSTG201")

    # A scheduled quantity change: only on the 1st of next month; then moved (refused: the same window) and
    # deleted.
    first = rules.first_of_next_month(today)
    order = {"type": "CHANGE_QUANTITY", "sub_option_id": "SSTG204", "quantity": 5}
    late = api.post(
        f"{base}/orders/new",
        {**order, "apply_date": (first + dt.timedelta(days=1)).isoformat(), "dry_run": True},
    )
    assert late.status_code == 422 and "apply_date" in late.json()["error"]["fields"]
    scheduled = api.post(
        f"{base}/orders/new", {**order, "apply_date": first.isoformat()}, **{"Idempotency-Key": "o-5"}
    )
    assert scheduled.status_code == 200, scheduled.content
    assert _remote_orders(portal_on_sandbox, domain_id)["SSTG2"]["applyDate"] == first.isoformat()
    late = api.post(
        f"{base}/orders/SSTG2/date",
        {"apply_date": (first + dt.timedelta(days=1)).isoformat(), "dry_run": True},
    )
    assert late.status_code == 422 and "apply_date" in late.json()["error"]["fields"]
    kept = api.post(
        f"{base}/orders/SSTG2/date", {"apply_date": first.isoformat()}, **{"Idempotency-Key": "o-8"}
    )
    assert kept.status_code == 200, kept.content  # the only day this kind may take
    assert _remote_orders(portal_on_sandbox, domain_id)["SSTG2"]["applyDate"] == first.isoformat()
    deleted = api.post(f"{base}/orders/SSTG2/delete", {}, **{"Idempotency-Key": "o-6"})
    assert deleted.status_code == 200, deleted.content
    assert "SSTG2" not in _remote_orders(portal_on_sandbox, domain_id)
    assert not OptionOrder.objects.filter(customer_id=domain_id).exists()

    # Cancel now; then its page's refusals: nothing left to change.
    cancelled = api.post(f"{base}/SSTG2/cancel", {"reason": "T-56"}, **{"Idempotency-Key": "o-7"})
    assert cancelled.status_code == 200, cancelled.content
    assert "SSTG2" not in _remote_options(portal_on_sandbox, domain_id)
    assert api.post(f"{base}/SSTG2/cancel", {"dry_run": True}).status_code == 404
    assert _kinds(api) == [
        "createOptionProduct",
        "upgradeOptionProduct",
        "addOptionProductQuantity",
        "updateOptionProductRenewal",
        "createOptionProductOrder",
        "updateOptionProductOrder",
        "deleteOptionProductOrder",
        "cancelOptionProduct",
    ]


def test_an_options_pages_own_refusals_in_words(today, portal_on_sandbox, api_as):
    api = api_as(Role.ADMIN)
    trial = Option.objects.filter(trial=True, customer__removed_at=None).first()
    assert trial is not None, "the seed has a Trial option"
    base = f"/api/v1/options/customers/{trial.customer_id}"
    answer = api.post(f"{base}/{trial.option_product_id}/renewal", {"type": "STAY", "dry_run": True})
    assert answer.status_code == 409
    assert answer.json()["error"]["message"] == "A Trial option has no renewal settings."
    top = Option.objects.filter(
        customer__removed_at=None, sub_option_id__in=("SSTG207", "BCT04", "ACV201")
    ).first()
    if top is not None:
        answer = api.post(
            f"/api/v1/options/customers/{top.customer_id}/{top.option_product_id}/upgrade",
            {"sub_option_id": top.sub_option_id, "dry_run": True},
        )
        assert answer.status_code == 409
        assert answer.json()["error"]["message"] == "This option has no larger sub option to upgrade to."


def _remote_pre_orders(sandbox, domain_id: int) -> list[dict]:
    answer = sandbox.client("partner", validate=False).get(
        f"/partners/customers/{domain_id}/subscriptions/pre-orders"
    )
    return answer.json()["subscriptionPreOrders"]


def test_a_customers_pre_order_made_moved_and_deleted_and_a_subscription_added(
    today, portal_on_sandbox, api_as
):
    sub = (
        Subscription.objects.filter(
            customer__removed_at=None,
            reservation__isnull=True,
            plan__in=("FREE", "TRIAL"),
            customer__subscription_pre_orders__isnull=True,
        )
        .order_by("subscription_id")
        .first()
    )
    assert sub is not None
    domain_id = sub.customer_id
    api = api_as(Role.ACCOUNT_MANAGER)
    base = f"/api/v1/subscriptions/customers/{domain_id}"

    # A paid subscription now is refused while a Free or Trial one is in use: convert it instead.
    paid = api.post(f"{base}/new", {"product_id": "STD", "plan": "MONTHLY", "dry_run": True})
    assert paid.status_code == 409
    assert paid.json()["error"]["message"] == (
        "This customer uses a Free or Trial subscription: convert it to paid instead."
    )

    day = today + dt.timedelta(days=31)
    body = {"apply_date": day.isoformat(), "product_id": "STD", "plan": "ANNUAL_LICENSE", "license_count": 25}
    missing = api.post(f"{base}/pre-orders/new", {**body, "license_count": None, "dry_run": True})
    assert missing.status_code == 422 and "license_count" in missing.json()["error"]["fields"]
    checked = api.post(f"{base}/pre-orders/new", {**body, "dry_run": True})
    assert checked.status_code == 200 and _remote_pre_orders(portal_on_sandbox, domain_id) == []
    made = api.post(f"{base}/pre-orders/new", body, **{"Idempotency-Key": "p-1"})
    assert made.status_code == 200, made.content
    remote = _remote_pre_orders(portal_on_sandbox, domain_id)
    assert [(p["applyDate"], p["licenseCount"]) for p in remote] == [(day.isoformat(), 25)]
    pre = PreOrder.objects.get(customer_id=domain_id)

    one = f"{base}/pre-orders/{pre.pre_order_id}"
    same = api.post(f"{one}/date", {"apply_date": day.isoformat(), "dry_run": True})
    assert same.status_code == 422
    assert same.json()["error"]["fields"]["apply_date"] == ["This is already the pre-order's date."]
    new_day = today + dt.timedelta(days=1)
    moved = api.post(f"{one}/date", {"apply_date": new_day.isoformat()}, **{"Idempotency-Key": "p-2"})
    assert moved.status_code == 200, moved.content
    assert _remote_pre_orders(portal_on_sandbox, domain_id)[0]["applyDate"] == new_day.isoformat()
    gone = api.post(f"{one}/delete", {"reason": "no longer"}, **{"Idempotency-Key": "p-3"})
    assert gone.status_code == 200, gone.content
    assert _remote_pre_orders(portal_on_sandbox, domain_id) == []
    assert not PreOrder.objects.filter(customer_id=domain_id).exists()
    assert api.post(f"{one}/delete", {"dry_run": True}).status_code == 404

    # A customer without subscriptions takes a new one now.
    empty = _new_customer(portal_on_sandbox)
    assert not Subscription.objects.filter(customer_id=empty).exists()
    url = reverse("api:subscription_create", args=[empty])
    checked = api.post(url, {"product_id": "FR", "plan": "FREE", "dry_run": True})
    assert checked.status_code == 200 and checked.json()["result"] == "would_send"
    assert not Subscription.objects.filter(customer_id=empty).exists()
    added = api.post(url, {"product_id": "FR", "plan": "FREE"}, **{"Idempotency-Key": "s-1"})
    assert added.status_code == 200, added.content
    assert Subscription.objects.filter(customer_id=empty, plan="FREE").exists()
    assert reverse("api:subscription_create", args=[domain_id]) == f"{base}/new"


def _new_customer(sandbox) -> int:
    """A customer made in the sandbox and read into the cache."""
    import uuid

    from portal.core import sync

    answer = sandbox.client("partner", validate=False).post(
        "/partners/customers",
        json={
            "domain": f"api{uuid.uuid4().hex[:8]}",
            "companyName": "新規契約株式会社",
            "phoneNumber": "03-0000-1111",
            "timeZone": "Asia/Tokyo",
            "locale": "ja_JP",
            "administrator": {
                "lastName": "田中",
                "id": "admin",
                "password": "Passw0rd!x",
                "privateEmail": "tanaka@example.net",
            },
        },
    )
    assert answer.status_code in (200, 201), answer.text
    domain_id = answer.json()["domainId"]
    assert sync.resync_customer(domain_id=domain_id).status == "succeeded"
    return domain_id
