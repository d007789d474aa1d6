"""Add-customer wizard, DNS and activation, group name to domain, transfer lookup: against the sandbox."""

from __future__ import annotations

import re
import uuid

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from customers.models import Customer, CustomerOwner
from portal.core import changes
from portal.core.access import Role
from portal.core.changes.forms import new_key
from portal.core.models import AuditEntry, Operation
from tests.customers.test_lifecycle import cached_customer  # noqa: F401
from tests.fixtures.changes import submit_change

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


def _details(domain: str, key: str) -> dict:
    return {
        "domain": domain,
        "idempotency_key": key,
        "company_name": "ウィザード商事株式会社",
        "phone_number": "03-5555-0000",
        "time_zone": "Asia/Tokyo",
        "locale": "ja_JP",
        "admin_last_name": "佐藤",
        "admin_first_name": "一郎",
        "admin_id": "admin",
        "admin_password": "Secret123x",
        "admin_email": "ichiro@example.net",
        "enable_partner_profile_display": "on",
        "reason": "TICKET-9",
    }


def _add(client, domain: str, django_capture_on_commit_callbacks) -> Operation:
    step1 = client.post(reverse("customers:add"), {"domain": domain})
    assert step1.status_code == 302, step1.context["form"].errors
    details_url = step1["Location"]
    assert client.get(details_url).status_code == 200
    key = uuid.uuid4().hex
    # "Check before sending", as for every change: what the customer will be and what else happens, with the
    # password carried on sealed, never in the page.
    review = client.post(details_url, _details(domain, key))
    page = review.content.decode()
    assert review.status_code == 200 and 'data-testid="confirm"' in page
    assert "ウィザード商事株式会社" in page and "creates the customer&#x27;s tenant" in page
    assert "Secret123x" not in page
    carried = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page))
    assert carried["admin_password__sealed"] and "admin_password" not in carried
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = client.post(details_url, {**carried, "confirmed": "1"})
        again = client.post(details_url, {**carried, "confirmed": "1"})  # double click
    assert first.status_code == 302 and first["Location"] == again["Location"]
    assert len(callbacks) == 1
    operation = Operation.objects.get(kind="createCustomer")
    assert "sealed" in operation.params["args"]["admin_password"]  # kept encrypted until sent
    assert "Secret123x" not in str(operation.params)
    changes.change_run(operation_pk=str(operation.pk))
    changes.change_run(operation_pk=str(operation.pk))  # retried task: nothing sent twice
    operation.refresh_from_db()
    return operation


def test_wizard_adds_a_group_name_customer(client_as, portal_sandbox, django_capture_on_commit_callbacks):
    client = client_as(Role.ACCOUNT_MANAGER)
    operation = _add(client, f"wz{uuid.uuid4().hex[:8]}", django_capture_on_commit_callbacks)
    assert operation.status == "succeeded", operation.error
    assert "admin_password" not in operation.params["args"]  # not even encrypted, once sent
    customer = Customer.objects.get(pk=operation.result["domain_id"])
    assert customer.company_name == "ウィザード商事株式会社" and customer.admin_last_name == "佐藤"
    entry = AuditEntry.objects.get(operation_id="createCustomer")
    assert entry.reason == "TICKET-9" and "Secret123x" not in str(entry.request_summary)
    assert AuditEntry.objects.filter(operation_id="createCustomer").count() == 1
    page = client.get(reverse("core:operation", args=[operation.pk])).content.decode()
    assert reverse("customers:detail", args=[customer.domain_id]) in page
    # The Activity row of the new customer names it (it had no domainId when it was sent).
    activity = client.get(reverse("core:activity"), {"owner": "all"}).content.decode()  # not only Mine
    detail = reverse("customers:detail", args=[customer.domain_id])
    assert f'<a href="{detail}">ウィザード商事株式会社</a>' in activity


def test_the_account_manager_who_adds_a_customer_owns_it(
    client_as, portal_sandbox, django_capture_on_commit_callbacks
):
    """The one who adds a customer owns it: it is among their "Mine" at once, never left unassigned, and the
    assignment is recorded as every owner change is (portal.assignCustomerOwner, by them)."""
    client = client_as(Role.ACCOUNT_MANAGER)
    manager = User.objects.get(username="account_manager-persona")
    operation = _add(client, f"wz{uuid.uuid4().hex[:8]}", django_capture_on_commit_callbacks)
    assert operation.status == "succeeded", operation.error
    domain_id = operation.result["domain_id"]
    assert any("You become its Account manager" in e for e in operation.params["side_effects"])  # said first
    assert CustomerOwner.objects.get(customer_id=domain_id).account_manager == manager
    entry = AuditEntry.objects.get(operation_id="portal.assignCustomerOwner", domain_id=domain_id)
    assert entry.actor == manager and entry.request_summary["accountManager"]["userId"] == manager.pk
    mine = client.get(reverse("customers:list"), {"owner": "mine"}).content.decode()
    assert reverse("customers:detail", args=[domain_id]) in mine
    owner_section = client.get(reverse("customers:detail", args=[domain_id])).content.decode()
    assert "Account manager Persona" in owner_section


def test_a_customer_an_admin_adds_is_left_for_an_admin_to_assign(
    client_as, portal_sandbox, django_capture_on_commit_callbacks
):
    client = client_as(Role.ADMIN)
    operation = _add(client, f"wz{uuid.uuid4().hex[:8]}", django_capture_on_commit_callbacks)
    assert operation.status == "succeeded", operation.error
    assert not CustomerOwner.objects.filter(customer_id=operation.result["domain_id"]).exists()
    assert not any("Account manager" in e for e in operation.params["side_effects"])
    assert not AuditEntry.objects.filter(operation_id="portal.assignCustomerOwner").exists()


def test_wizard_adds_a_domain_customer_then_dns_and_activation(
    client_as, portal_sandbox, django_capture_on_commit_callbacks
):
    client = client_as(Role.ADMIN)
    domain = f"wz{uuid.uuid4().hex[:6]}.example.jp"
    operation = _add(client, domain, django_capture_on_commit_callbacks)
    assert operation.status == "succeeded", operation.error
    domain_id = operation.result["domain_id"]
    assert operation.result["needs_dns"] and operation.result["next_url"].endswith(f"/{domain_id}/domain/")
    dns = client.get(reverse("customers:domain", args=[domain_id])).content.decode()
    assert "TXT" in dns and 'data-testid="activate"' in dns

    portal_sandbox.customer_facts(domain_id, adminAcceptedTerms=True, dnsRecordsFound=True)
    form = client.get(reverse("customers:domain", args=[domain_id])).context["activate_form"]
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            reverse("customers:activate", args=[domain_id]),
            {"idempotency_key": form.initial["idempotency_key"]},
        )
    activation = Operation.objects.get(kind="activateCustomer")
    assert response["Location"] == reverse("core:operation", args=[activation.pk])
    changes.change_run(operation_pk=str(activation.pk))
    activation.refresh_from_db()
    assert activation.status == "succeeded", activation.error
    assert Customer.objects.get(pk=domain_id).enable_active_domain


def test_a_taken_domain_is_refused_on_the_field(client_as, portal_sandbox, cached_customer):  # noqa: F811
    response = client_as(Role.ACCOUNT_MANAGER).post(
        reverse("customers:add"), {"domain": cached_customer.domain}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["domain"]


def test_domain_rule_is_checked_before_the_api(client_as, portal_sandbox):
    for bad in ("-bad", "a--b", "UPPER", "x"):
        response = client_as(Role.ACCOUNT_MANAGER).post(reverse("customers:add"), {"domain": bad})
        assert "domain" in response.context["form"].errors, bad


def test_group_name_moves_to_a_domain(client_as, portal_sandbox, cached_customer):  # noqa: F811
    client = client_as(Role.ACCOUNT_MANAGER)
    domain_id = cached_customer.domain_id
    target = f"moved{uuid.uuid4().hex[:6]}.example.com"
    submit_change(client, reverse("customers:domain_upgrade", args=[domain_id]), {"domain": target})
    page = client.get(reverse("customers:domain", args=[domain_id])).content.decode()
    assert target in page and "TXT" in page
    response = client.post(
        reverse("customers:domain_change", args=[domain_id]), {"domain": target, "idempotency_key": new_key()}
    )
    assert response.status_code == 302
    outcome = AuditEntry.objects.get(operation_id="changeCustomerDomain").outcome
    if outcome == "succeeded":
        assert Customer.objects.get(pk=domain_id).domain == target
    else:  # the sandbox may demand verified DNS first: the refusal is recorded and shown
        assert outcome == "refused"


def test_transfer_lookup_of_an_unknown_domain_is_a_field_error(client_as, portal_sandbox):
    response = client_as(Role.ACCOUNT_MANAGER).get(
        reverse("customers:transfer"), {"domain": "nobody.example.org", "partner_code": "XXXX"}
    )
    assert response.status_code == 200
    form = response.context["lookup"]
    assert form.errors and not response.context["potential"]


@pytest.fixture
def transfer_sandbox(portal_api):
    """A sandbox of this test's own (a transfer uses up one of its few Online Direct customers)."""
    from sandbox.testing import start_sandbox

    server = start_sandbox(seed_customers=10, seed=30)
    portal_api(server)
    yield server
    server.stop()


def test_a_transferred_customer_is_named_on_its_activity_row(
    client_as, transfer_sandbox, django_capture_on_commit_callbacks
):
    """transferPotentialCustomer is sent before the portal knows the customer: its Activity row names the
    customer once the answer is in, as an added customer's does."""
    import sqlite3

    with sqlite3.connect(transfer_sandbox.env["SANDBOX_DB"], timeout=30) as db:
        domain, code = db.execute(
            "select domain, partner_code from sandbox_potentialcustomer where transferred_on is null"
            " order by id limit 1"
        ).fetchone()
    client = client_as(Role.ACCOUNT_MANAGER)
    lookup = client.get(reverse("customers:transfer"), {"domain": domain, "partner_code": code})
    confirm = lookup.context["confirm"]
    assert confirm is not None, lookup.context["lookup"].errors
    with django_capture_on_commit_callbacks(execute=False):
        answer = client.post(
            reverse("customers:transfer"),
            {**confirm.initial, "reason": "TRANSFER-1"},
        )
    assert answer.status_code == 302
    operation = Operation.objects.get(kind="transferPotentialCustomer")
    changes.change_run(operation_pk=str(operation.pk))
    operation.refresh_from_db()
    assert operation.status == "succeeded", operation.error
    customer = Customer.objects.get(pk=operation.result["domain_id"])
    entry = AuditEntry.objects.get(operation_id="transferPotentialCustomer", reason="TRANSFER-1")
    assert entry.domain_id == customer.domain_id
    activity = client.get(reverse("core:activity"), {"owner": "all"}).content.decode()  # not only Mine
    detail = reverse("customers:detail", args=[customer.domain_id])
    assert f'<a href="{detail}">{customer.company_name}</a>' in activity
    # The Account manager who brought it over owns it.
    owner = CustomerOwner.objects.get(customer_id=customer.domain_id)
    assert owner.account_manager.username == "account_manager-persona"
