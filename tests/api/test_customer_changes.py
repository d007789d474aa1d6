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
from tests.customers.test_add_and_domains import transfer_sandbox  # noqa: F401
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


def test_a_customer_deleted_after_typing_its_domain_again(
    api_as,
    portal_sandbox,
    cached_customer,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    api = api_as(Role.ACCOUNT_MANAGER)
    c = cached_customer
    url = _url("customer_delete", c)
    wrong = api.post(url, {"confirm_domain": "someone-else.example.com", "dry_run": True})
    assert wrong.status_code == 422
    assert wrong.json()["error"]["fields"]["confirm_domain"] == [
        "This is not the customer's domain; nothing was deleted."
    ]
    checked = api.post(url, {"confirm_domain": c.domain, "dry_run": True})
    assert checked.status_code == 200 and checked.json()["change"] == "deleteCustomer"
    assert not Operation.objects.exists()
    with django_capture_on_commit_callbacks(execute=False):
        queued = api.post(url, {"confirm_domain": c.domain, "reason": "T-56"}, **{"Idempotency-Key": "del-1"})
    assert queued.status_code == 202 and queued.json()["result"] == "queued", queued.content
    operation = Operation.objects.get(kind="deleteCustomer")
    changes.change_run(operation_pk=str(operation.pk))  # the worker's turn
    assert api.get(queued.json()["operation"]["url"]).json()["status"] == "succeeded"
    c.refresh_from_db()
    operation.refresh_from_db()
    assert c.removed_at is not None or operation.result["pending_withdrawal"]
    assert AuditEntry.objects.get(operation_id="deleteCustomer").api_token == api.token


def test_a_group_name_moved_to_its_registered_domain(
    api_as,
    portal_sandbox,
    cached_customer,  # noqa: F811
):
    api = api_as(Role.ADMIN)
    c = cached_customer
    url = _url("customer_domain_change", c)
    wrong = api.post(url, {"domain": "not a domain", "dry_run": True})
    assert wrong.status_code == 422
    assert wrong.json()["error"]["fields"]["domain"] == ["Enter a domain name such as example.com."]
    target = f"moved{uuid.uuid4().hex[:6]}.example.com"
    registered = api.post(
        _url("customer_domain_upgrade", c), {"domain": target}, **{"Idempotency-Key": "u-1"}
    )
    assert registered.status_code == 200, registered.content
    checked = api.post(url, {"domain": target.upper(), "dry_run": True})  # read in lower case, as the page
    assert checked.status_code == 200 and checked.json()["arguments"]["domain"] == target
    sent = api.post(url, {"domain": target}, **{"Idempotency-Key": "c-1"})
    outcome = AuditEntry.objects.get(operation_id="changeCustomerDomain").outcome
    if outcome == "succeeded":
        assert sent.status_code == 200 and Customer.objects.get(pk=c.domain_id).domain == target
    else:  # the sandbox may demand verified DNS first: refused in words, as the page shows it
        assert sent.status_code == 409 and sent.json()["error"]["message"], sent.content


def test_a_new_domain_customer_activated_once_its_dns_is_found(
    api_as, portal_sandbox, django_capture_on_commit_callbacks
):
    api = api_as(Role.ADMIN)
    body = {**NEW_CUSTOMER, "domain": f"act{uuid.uuid4().hex[:6]}.example.jp"}
    with django_capture_on_commit_callbacks(execute=False):
        queued = api.post(reverse("api:customer_create"), body, **{"Idempotency-Key": "a-1"})
    created = Operation.objects.get(kind="createCustomer")
    changes.change_run(operation_pk=str(created.pk))
    created.refresh_from_db()
    assert queued.status_code == 202 and created.status == "succeeded", created.error
    domain_id = created.result["domain_id"]
    url = reverse("api:customer_activate", args=[domain_id])
    checked = api.post(url, {"dry_run": True})
    assert checked.status_code == 200 and checked.json()["arguments"] == {"domain_id": domain_id}
    portal_sandbox.customer_facts(domain_id, adminAcceptedTerms=True, dnsRecordsFound=True)
    with django_capture_on_commit_callbacks(execute=False):
        sent = api.post(url, {}, **{"Idempotency-Key": "a-2"})
    assert sent.status_code == 202 and sent.json()["result"] == "queued", sent.content
    activation = Operation.objects.get(kind="activateCustomer")
    changes.change_run(operation_pk=str(activation.pk))
    activation.refresh_from_db()
    assert activation.status == "succeeded", activation.error
    assert Customer.objects.get(pk=domain_id).enable_active_domain


def test_an_online_direct_customer_transferred(api_as, transfer_sandbox, django_capture_on_commit_callbacks):  # noqa: F811
    import sqlite3

    api = api_as(Role.ACCOUNT_MANAGER)
    url = reverse("api:customer_transfer")
    with sqlite3.connect(transfer_sandbox.env["SANDBOX_DB"], timeout=30) as db:
        domain, code = db.execute(
            "select domain, partner_code from sandbox_potentialcustomer where transferred_on is null"
        ).fetchone()
    empty = api.post(url, {"domain": "", "partner_code": code, "dry_run": True})
    assert empty.status_code == 422 and "domain" in empty.json()["error"]["fields"]
    checked = api.post(url, {"domain": domain, "partner_code": code, "dry_run": True})
    assert checked.status_code == 200 and checked.json()["arguments"]["domain"] == domain
    with django_capture_on_commit_callbacks(execute=False):
        queued = api.post(url, {"domain": domain, "partner_code": code}, **{"Idempotency-Key": "t-1"})
    assert queued.status_code == 202, queued.content
    operation = Operation.objects.get(kind="transferPotentialCustomer")
    changes.change_run(operation_pk=str(operation.pk))
    operation.refresh_from_db()
    assert operation.status == "succeeded", operation.error
    assert Customer.objects.filter(domain=domain).exists()
    assert AuditEntry.objects.get(operation_id="transferPotentialCustomer").api_token == api.token
