"""A customer's changes through the API, against the session sandbox over real HTTP: each a dry run (nothing
sent), then for real with its Idempotency-Key, its effect read back from LINE WORKS (the sandbox) and the
portal's cache, and one refusal in words; a new customer is queued and its operation polled."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.urls import reverse

from customers.models import Customer
from customers.services import upgrade_domain_get
from portal.core import changes, clock
from portal.core.access import Role
from portal.core.models import AuditEntry, Operation
from tests.api.test_access import NEW_CUSTOMER
from tests.customers.test_lifecycle import cached_customer  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def _url(name: str, customer) -> str:
    return reverse(f"api:{name}", args=[customer.domain_id])


def _remote(sandbox, customer) -> dict:
    return sandbox.client("partner", validate=False).get(f"/partners/customers/{customer.domain_id}").json()


def _sent(kind: str) -> int:
    return AuditEntry.objects.filter(operation_id=kind).count()


def test_a_customer_edited_its_maximum_users_and_their_scheduled_change(
    api_as,
    portal_sandbox,
    cached_customer,  # noqa: F811
):
    api = api_as(Role.ACCOUNT_MANAGER)
    c = cached_customer

    # Edit: a dry run sends nothing; a field left out keeps its value; only what changed is sent.
    edit = _url("customer_edit", c)
    checked = api.post(edit, {"memo": "Called in May", "dry_run": True})
    assert checked.status_code == 200 and checked.json()["arguments"]["fields"] == {"memo": "Called in May"}
    assert _sent("patchCustomer") == 0
    same = api.post(edit, {"company_name": c.company_name, "dry_run": True})
    assert same.status_code == 409 and same.json()["error"]["message"] == "Nothing changed."
    sent = api.post(edit, {"memo": "Called in May", "reason": "T-56"}, **{"Idempotency-Key": "edit-1"})
    assert sent.status_code == 200 and sent.json()["result"] == "applied", sent.content
    c.refresh_from_db()
    assert c.memo == "Called in May" and c.company_name  # the rest as it was
    entry = AuditEntry.objects.get(operation_id="patchCustomer")
    assert entry.request_summary == {"partnership": {"memo": "Called in May"}}
    assert (entry.api_token, entry.reason) == (api.token, "T-56")

    # Maximum users: set, then no limit (null), the scheduled cancellation left as it is.
    usage = _url("customer_usage", c)
    refused = api.post(usage, {"withdrawal_date": clock.today().isoformat(), "dry_run": True})
    assert refused.status_code == 422 and "withdrawal_date" in refused.json()["error"]["fields"]
    assert api.post(usage, {"max_member_count": 120}, **{"Idempotency-Key": "u-1"}).status_code == 200
    c.refresh_from_db()
    assert c.max_member_count == 120 and not c.max_member_unlimited
    assert api.post(usage, {"max_member_count": None}, **{"Idempotency-Key": "u-2"}).status_code == 200
    c.refresh_from_db()
    assert c.max_member_unlimited

    # The scheduled max-users change: made, then only its date moves, then deleted.
    renewal = _url("customer_usage_renewal", c)
    delete = _url("customer_usage_renewal_delete", c)
    none = api.post(delete, {"dry_run": True})
    assert none.status_code == 409
    assert none.json()["error"]["message"] == "This customer has no scheduled max-users change."
    first = clock.today() + dt.timedelta(days=10)
    made = api.post(
        renewal, {"apply_date": first.isoformat(), "max_member_count": 300}, **{"Idempotency-Key": "r-1"}
    )
    assert made.status_code == 200 and made.json()["change"] == "createUsageStatusRenewal", made.content
    c.refresh_from_db()
    assert (c.renewal_apply_date, c.renewal_max_member_count) == (first, 300)
    other = api.post(renewal, {"max_member_count": 500, "dry_run": True})
    assert other.status_code == 422 and "max_member_count" in other.json()["error"]["fields"]
    moved_to = first + dt.timedelta(days=5)
    moved = api.post(renewal, {"apply_date": moved_to.isoformat()}, **{"Idempotency-Key": "r-2"})
    assert moved.status_code == 200 and moved.json()["change"] == "patchUsageStatusRenewal", moved.content
    c.refresh_from_db()
    assert (c.renewal_apply_date, c.renewal_max_member_count) == (moved_to, 300)
    assert api.post(delete, {}, **{"Idempotency-Key": "r-3"}).status_code == 200
    c.refresh_from_db()
    assert c.renewal_apply_date is None and not c.has_scheduled_changes
    assert "Called in May" in json.dumps(_remote(portal_sandbox, c), ensure_ascii=False)  # in LINE WORKS too


def test_a_group_names_domain_registered_then_removed(
    api_as,
    portal_sandbox,
    cached_customer,  # noqa: F811
):
    api = api_as(Role.ADMIN)
    c = cached_customer
    url = _url("customer_domain_upgrade", c)
    wrong = api.post(url, {"domain": "not a domain", "dry_run": True})
    assert wrong.status_code == 422
    assert wrong.json()["error"]["fields"]["domain"] == ["Enter a domain name such as example.com."]
    target = f"moved{uuid.uuid4().hex[:6]}.example.com"
    checked = api.post(url, {"domain": target, "dry_run": True})
    assert checked.status_code == 200 and upgrade_domain_get(domain_id=c.domain_id) is None
    sent = api.post(url, {"domain": target}, **{"Idempotency-Key": "d-1"})
    assert sent.status_code == 200, sent.content
    assert upgrade_domain_get(domain_id=c.domain_id).domain == target
    removed = api.post(_url("customer_domain_upgrade_delete", c), {}, **{"Idempotency-Key": "d-2"})
    assert removed.status_code == 200, removed.content
    assert upgrade_domain_get(domain_id=c.domain_id) is None


def test_a_customer_added_is_queued_then_made(api_as, portal_sandbox, django_capture_on_commit_callbacks):
    api = api_as(Role.ACCOUNT_MANAGER)
    url = reverse("api:customer_create")
    name = f"api{uuid.uuid4().hex[:8]}"
    body = {**NEW_CUSTOMER, "domain": name, "company_name": "API商事株式会社"}
    weak = api.post(url, {**body, "admin_password": "onlyletters", "dry_run": True})
    assert weak.status_code == 422
    assert weak.json()["error"]["fields"]["admin_password"] == [
        "The password must contain both letters and digits."
    ]
    checked = api.post(url, {**body, "dry_run": True})
    assert checked.status_code == 200 and "admin_password" in checked.json()["arguments"]
    assert not Operation.objects.exists()
    with django_capture_on_commit_callbacks(execute=False):
        queued = api.post(url, body, **{"Idempotency-Key": "new-1"})
    assert queued.status_code == 202 and queued.json()["result"] == "queued", queued.content
    operation = Operation.objects.get(kind="createCustomer")
    assert "secret123" not in str(operation.params)  # the password kept sealed until sent
    changes.change_run(operation_pk=str(operation.pk))  # the worker's turn
    polled = api.get(queued.json()["operation"]["url"]).json()
    assert polled["status"] == "succeeded" and polled["finished"], polled
    customer = Customer.objects.get(pk=Operation.objects.get(pk=operation.pk).result["domain_id"])
    assert customer.company_name == "API商事株式会社" and customer.domain.startswith(name)  # a group name
    assert AuditEntry.objects.get(operation_id="createCustomer").api_token == api.token
