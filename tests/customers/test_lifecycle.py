"""Lifecycle forms and services against the session sandbox (no mocks above the client)."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid

import pytest
from django.urls import reverse

from customers.models import Customer
from portal.core import changes, clock, sync
from portal.core.access import Role
from portal.core.changes.forms import new_key
from portal.core.models import AuditEntry, Operation
from tests.fixtures.changes import submit_change

pytestmark = [pytest.mark.django_db, pytest.mark.integration]

_names = itertools.count(1)


@pytest.fixture
def cached_customer(portal_sandbox):
    """A fresh customer created in the sandbox, then read into the cache with a one-customer refresh."""
    client = portal_sandbox.client("partner", validate=False)
    name = f"lc{uuid.uuid4().hex[:8]}"
    response = client.post(
        "/partners/customers",
        json={
            "domain": name,
            "companyName": f"ライフサイクル{next(_names)}株式会社",
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
    assert response.status_code in (200, 201), response.text
    domain_id = response.json()["domainId"]
    run = sync.resync_customer(domain_id=domain_id)
    assert run.status == "succeeded", run.errors
    return Customer.objects.get(pk=domain_id)


def test_edit_sends_only_changes_updates_cache_and_audits(client_as, cached_customer):
    client = client_as(Role.ACCOUNT_MANAGER)
    url = reverse("customers:edit", args=[cached_customer.domain_id])
    form = client.get(url).context["form"]
    data = {
        **{k: v for k, v in form.initial.items() if v is not None},
        "memo": "Renewal call in May",
        "reason": "T-1",
    }
    data["enable_partner_profile_display"] = "on" if data.pop("enable_partner_profile_display") else ""
    review = client.post(url, {**data, "idempotency_key": new_key()})
    assert "Renewal call in May" in review.content.decode()  # now → after, before anything is sent
    assert not AuditEntry.objects.filter(domain_id=cached_customer.domain_id).exists()
    _review, response = submit_change(client, url, data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    cached_customer.refresh_from_db()
    assert cached_customer.memo == "Renewal call in May"
    entry = AuditEntry.objects.get(domain_id=cached_customer.domain_id, operation_id="patchCustomer")
    assert entry.outcome == "succeeded" and entry.reason == "T-1" and entry.response_status == 200
    # What was sent is the body the client built, as it went on the wire.
    assert entry.request_summary == {"partnership": {"memo": "Renewal call in May"}}


def test_edit_form_checks_contract_rules_before_calling_the_api(client_as, cached_customer):
    client = client_as(Role.ADMIN)
    url = reverse("customers:edit", args=[cached_customer.domain_id])
    response = client.post(
        url,
        {
            "company_name": "x" * 41,
            "phone_number": "03 1234",
            "time_zone": "Mars/Base",
            "locale": "ja_JP",
            "customer_code": "顧" * 67,
            "idempotency_key": new_key(),
        },
    )
    errors = response.context["form"].errors
    assert set(errors) == {"company_name", "phone_number", "time_zone", "customer_code"}
    assert not AuditEntry.objects.filter(domain_id=cached_customer.domain_id).exists()


def test_usage_status_max_users_and_no_limit(client_as, cached_customer):
    client = client_as(Role.ACCOUNT_MANAGER)
    url = reverse("customers:usage", args=[cached_customer.domain_id])
    assert submit_change(client, url, {"max_member_count": "120"})[1].status_code == 302
    cached_customer.refresh_from_db()
    assert cached_customer.max_member_count == 120 and not cached_customer.max_member_unlimited
    assert submit_change(client, url, {"max_member_count": ""})[1].status_code == 302
    cached_customer.refresh_from_db()
    assert cached_customer.max_member_unlimited


def test_scheduled_max_users_change_create_move_delete(client_as, cached_customer):
    client = client_as(Role.ACCOUNT_MANAGER)
    domain_id = cached_customer.domain_id
    first = clock.today() + dt.timedelta(days=10)
    _review, response = submit_change(
        client, reverse("customers:renewal", args=[domain_id]), {"apply_date": first, "max_member_count": 300}
    )
    assert response.status_code == 302
    cached_customer.refresh_from_db()
    assert (cached_customer.renewal_apply_date, cached_customer.renewal_max_member_count) == (first, 300)
    assert cached_customer.has_scheduled_changes

    moved = first + dt.timedelta(days=5)
    submit_change(
        client, reverse("customers:renewal", args=[domain_id]), {"apply_date": moved, "max_member_count": 300}
    )
    cached_customer.refresh_from_db()
    assert cached_customer.renewal_apply_date == moved
    assert AuditEntry.objects.filter(domain_id=domain_id, operation_id="patchUsageStatusRenewal").exists()

    client.post(reverse("customers:renewal_delete", args=[domain_id]), {"idempotency_key": new_key()})
    cached_customer.refresh_from_db()
    assert cached_customer.renewal_apply_date is None and not cached_customer.has_scheduled_changes


def test_a_new_maximum_for_a_scheduled_change_is_refused_before_anything_is_sent(client_as, cached_customer):
    """One scheduled max-users change per customer, and LINE WORKS can only move its date: the form says so
    (a second POST would be refused by the API)."""
    client = client_as(Role.ACCOUNT_MANAGER)
    domain_id = cached_customer.domain_id
    url = reverse("customers:renewal", args=[domain_id])
    day = clock.today() + dt.timedelta(days=10)
    assert submit_change(client, url, {"apply_date": day, "max_member_count": 300})[1].status_code == 302
    sent = AuditEntry.objects.filter(domain_id=domain_id).count()
    response = client.post(url, {"idempotency_key": new_key(), "apply_date": day, "max_member_count": 500})
    assert response.status_code == 200
    errors = response.context["form"].errors["max_member_count"]
    assert any("delete that change first" in e for e in errors)
    assert AuditEntry.objects.filter(domain_id=domain_id).count() == sent


def test_renewal_date_rule_is_checked_in_the_form(client_as, cached_customer):
    client = client_as(Role.ACCOUNT_MANAGER)
    today = clock.today()
    for bad in (today, today + dt.timedelta(days=400)):
        response = client.post(
            reverse("customers:renewal", args=[cached_customer.domain_id]), {"apply_date": bad}
        )
        assert "apply_date" in response.context["form"].errors


def test_api_refusal_is_shown_on_the_field_in_plain_words(client_as, cached_customer, portal_sandbox):
    portal_sandbox.customer_facts(cached_customer.domain_id, memberCount=50)
    client = client_as(Role.ACCOUNT_MANAGER)
    _review, response = submit_change(
        client, reverse("customers:usage", args=[cached_customer.domain_id]), {"max_member_count": 10}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["max_member_count"]
    assert any("LINE WORKS refused the change" in e and "50" in e for e in errors)
    entry = AuditEntry.objects.get(domain_id=cached_customer.domain_id, operation_id="patchUsageStatus")
    assert entry.outcome == "refused" and entry.response_status == 400


def test_delete_requires_typing_the_domain_and_runs_once(
    client_as, cached_customer, django_capture_on_commit_callbacks
):
    client = client_as(Role.ACCOUNT_MANAGER)
    url = reverse("customers:delete", args=[cached_customer.domain_id])
    key = uuid.uuid4().hex
    wrong = client.post(url, {"confirm_domain": "not-it", "idempotency_key": key})
    assert "confirm_domain" in wrong.context["form"].errors
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = client.post(url, {"confirm_domain": cached_customer.domain, "idempotency_key": key})
        second = client.post(url, {"confirm_domain": cached_customer.domain, "idempotency_key": key})
    assert first["Location"] == second["Location"]  # double click: one Operation, one task
    assert len(callbacks) == 1
    operation = Operation.objects.get()
    changes.change_run(operation_pk=str(operation.pk))
    changes.change_run(operation_pk=str(operation.pk))  # a retried task sends nothing
    operation.refresh_from_db()
    assert operation.status == "succeeded", operation.error
    assert AuditEntry.objects.filter(operation_id="deleteCustomer").count() == 1
    cached_customer.refresh_from_db()
    assert cached_customer.removed_at is not None or operation.result["pending_withdrawal"]
    page = client.get(reverse("core:operation", args=[operation.pk]))
    assert 'data-testid="operation-status"' in page.content.decode()


def test_refresh_from_api_reads_the_customer_again(client_as, cached_customer, portal_sandbox):
    portal_sandbox.client("partner", validate=False).patch(
        f"/partners/customers/{cached_customer.domain_id}", json={"companyName": "Refreshed Name"}
    )
    response = client_as(Role.SUPPORT).post(reverse("customers:refresh", args=[cached_customer.domain_id]))
    assert response.status_code == 302
    cached_customer.refresh_from_db()
    assert cached_customer.company_name == "Refreshed Name"


def test_a_double_submit_of_a_customer_change_sends_it_once(client_as, cached_customer):
    """The confirmed form sent twice (double click, reload): one request to LINE WORKS, then its operation."""
    client = client_as(Role.ACCOUNT_MANAGER)
    url = reverse("customers:usage", args=[cached_customer.domain_id])
    data = {"idempotency_key": new_key(), "max_member_count": "77", "confirmed": "1"}
    first = client.post(url, data)
    second = client.post(url, data)
    assert first.status_code == 302 and first["Location"] == reverse(
        "customers:detail", args=[cached_customer.domain_id]
    )
    operation = Operation.objects.get(kind="patchUsageStatus", domain_id=cached_customer.domain_id)
    assert second["Location"] == reverse("core:operation", args=[operation.pk])
    sent = AuditEntry.objects.filter(domain_id=cached_customer.domain_id, operation_id="patchUsageStatus")
    assert sent.count() == 1
