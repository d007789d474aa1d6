"""Deactivating a user who looks after customers (issue 31, item 1): the confirmation says how many they hold as
Account manager and as support contact and asks who takes them over (another active user of that role, or
nobody); the handover and the deactivation are one transaction, each owner change its own audit entry
(portal.assignCustomerOwner). The Users page names no domain app: the customers app contributes a Holding."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts import services as account_services
from customers import services
from customers.models import CustomerOwner
from portal.core.access import Role
from portal.core.models import AuditEntry
from tests.customers.factories import make_customer
from tests.fixtures.personas import make_persona

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(admin_user):
    return {
        "admin": admin_user,
        "aiko": make_persona(Role.ACCOUNT_MANAGER, username="aiko"),
        "ben": make_persona(Role.ACCOUNT_MANAGER, username="ben"),
        "sam": make_persona(Role.SUPPORT, username="sam"),
        "sue": make_persona(Role.SUPPORT, username="sue"),
    }


@pytest.fixture
def held(people):
    customers = [make_customer(company_name=f"Held {i}") for i in range(3)]
    for customer in customers:
        services.customer_owner_set(
            actor=people["admin"],
            domain_id=customer.domain_id,
            account_manager_id=people["aiko"].pk,
            support_contact_id=people["sam"].pk,
        )
    return customers


def _assignments() -> int:
    return AuditEntry.objects.filter(operation_id="portal.assignCustomerOwner").count()


def test_the_confirmation_says_how_many_and_offers_the_other_account_managers(people, held, client):
    client.force_login(people["admin"])
    page = client.get(reverse("accounts:user_deactivate", args=[people["aiko"].pk])).content.decode()
    assert "Their 3 customers as Account manager go to" in page
    assert f'<option value="{people["ben"].pk}">' in page and "Leave unassigned" in page
    assert f'<option value="{people["aiko"].pk}">' not in page  # not to themselves
    assert f'<option value="{people["sam"].pk}">' not in page  # Support is not an Account manager
    assert 'data-testid="handover"' in page
    contact = client.get(reverse("accounts:user_deactivate", args=[people["sam"].pk])).content.decode()
    assert "Their 3 customers as support contact go to" in contact
    assert f'<option value="{people["sue"].pk}">' in contact


def test_someone_who_holds_nothing_is_asked_nothing(people, held, client):
    client.force_login(people["admin"])
    page = client.get(reverse("accounts:user_deactivate", args=[people["ben"].pk])).content.decode()
    assert "go to" not in page and 'data-testid="handover"' not in page
    response = client.post(reverse("accounts:user_deactivate", args=[people["ben"].pk]), {"confirmed": "1"})
    assert response.status_code == 302
    people["ben"].refresh_from_db()
    assert not people["ben"].is_active


def test_deactivating_hands_the_customers_over_each_change_audited(people, held, client):
    client.force_login(people["admin"])
    before = _assignments()
    response = client.post(
        reverse("accounts:user_deactivate", args=[people["aiko"].pk]),
        {"confirmed": "1", "hand_customers_managed": str(people["ben"].pk)},
    )
    assert response.status_code == 302
    people["aiko"].refresh_from_db()
    assert not people["aiko"].is_active
    owners = CustomerOwner.objects.filter(customer__in=held)
    assert {(o.account_manager_id, o.support_contact_id) for o in owners} == {
        (people["ben"].pk, people["sam"].pk)
    }
    entries = AuditEntry.objects.filter(operation_id="portal.assignCustomerOwner").order_by("id")[before:]
    assert sorted(e.domain_id for e in entries) == sorted(c.domain_id for c in held)
    for entry in entries:
        assert entry.actor_id == people["admin"].pk
        assert entry.request_summary["accountManager"]["userId"] == people["ben"].pk
        assert entry.request_summary["before"]["accountManager"]["userId"] == people["aiko"].pk
    assert AuditEntry.objects.filter(operation_id="portal.deactivateUser").count() == 1


def test_leave_unassigned_clears_the_support_contact(people, held, client):
    client.force_login(people["admin"])
    client.post(
        reverse("accounts:user_deactivate", args=[people["sam"].pk]),
        {"confirmed": "1", "hand_customers_supported": "none"},
    )
    owners = CustomerOwner.objects.filter(customer__in=held)
    assert {(o.account_manager_id, o.support_contact_id) for o in owners} == {(people["aiko"].pk, None)}


def test_without_a_choice_nothing_happens(people, held, client):
    client.force_login(people["admin"])
    before = _assignments()
    response = client.post(reverse("accounts:user_deactivate", args=[people["aiko"].pk]), {"confirmed": "1"})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    people["aiko"].refresh_from_db()
    assert people["aiko"].is_active and _assignments() == before
    with pytest.raises(account_services.UserChangeRefused):
        account_services.user_deactivate(actor=people["admin"], user_id=people["aiko"].pk)
    people["aiko"].refresh_from_db()
    assert people["aiko"].is_active


def test_a_refused_handover_deactivates_no_one(people, held, client):
    """One transaction: a taker who is no longer an active Account manager refuses the handover, and the user
    stays active with every customer they had."""
    client.force_login(people["admin"])
    page = client.get(reverse("accounts:user_deactivate", args=[people["aiko"].pk]))
    assert page.status_code == 200
    before = _assignments()
    with pytest.raises(account_services.UserChangeRefused):
        account_services.user_deactivate(
            actor=people["admin"],
            user_id=people["aiko"].pk,
            handovers={"customers_managed": people["sam"].pk},
        )
    people["aiko"].refresh_from_db()
    assert people["aiko"].is_active and _assignments() == before
    assert set(CustomerOwner.objects.values_list("account_manager_id", flat=True)) == {people["aiko"].pk}
