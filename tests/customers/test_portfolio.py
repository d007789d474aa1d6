"""PORTFOLIO_ONLY (issue 31, item 1): off by default; on, an Account manager reads only the customers they own,
in every list of customers or their rows (the Owner filter is then not offered to them, and no value widens
it), while Support, Finance and Admins read everyone's as before. The pages of one customer and the change
forms answer 404 for another's customer: the role x URL matrices (tests/*/test_access.py, PORTFOLIO)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers import selectors, services
from customers.selectors import Owner
from portal.core import services as core_services
from portal.core.access import Role
from portal.core.models import Operation
from portal.core.selectors import operation_get
from tests.customers.factories import make_customer
from tests.fixtures.personas import make_persona
from tests.options.factories import make_option, make_order
from tests.subscriptions.factories import make_pre_order, make_subscription

pytestmark = pytest.mark.django_db

D = dt.date
LISTS = ["customers:list", "subscriptions:list", "options:list", "schedule:agenda", "core:activity"]


def test_it_is_off_by_default():
    assert django_settings.PORTFOLIO_ONLY is False


@pytest.fixture
def owned(frozen, admin_user):
    aiko = make_persona(Role.ACCOUNT_MANAGER, username="aiko")
    ben = make_persona(Role.ACCOUNT_MANAGER, username="ben")
    customers = {
        "aiko": make_customer(company_name="Aiko Shoji"),
        "ben": make_customer(company_name="Ben Kogyo"),
        "nobody": make_customer(company_name="Nobody Sangyo"),
    }
    for who, manager in (("aiko", aiko), ("ben", ben)):
        services.customer_owner_set(
            actor=admin_user,
            domain_id=customers[who].domain_id,
            account_manager_id=manager.pk,
            support_contact_id=None,
        )
    for customer in customers.values():
        make_subscription(customer, product_id="STD", plan="ANNUAL_LICENSE")
        make_option(customer)
        make_order(customer, apply_date=D(2026, 12, 5))
        make_pre_order(customer, apply_date=D(2026, 12, 3))
        core_services.audit_record(
            actor=admin_user, operation_id="patchCustomer", outcome="succeeded", domain_id=customer.domain_id
        )
    return {"aiko": aiko, "ben": ben, "customers": customers}


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _companies(body: str) -> set[str]:
    return {name for name in ("Aiko Shoji", "Ben Kogyo", "Nobody Sangyo") if name in body}


@pytest.mark.parametrize("name", LISTS)
def test_on_an_account_managers_lists_hold_only_theirs_whatever_the_owner_asked(owned, settings, name):
    settings.PORTFOLIO_ONLY = True
    client = _client(owned["aiko"])
    for owner in ("", Owner.EVERYONE, Owner.UNASSIGNED, str(owned["ben"].pk)):
        body = client.get(reverse(name), {"owner": owner} if owner else {}).content.decode()
        assert _companies(body) == {"Aiko Shoji"}, (name, owner)
    assert 'name="owner"' not in body  # the Owner filter is not offered: there is nothing to choose


@pytest.mark.parametrize("name", ["customers:export", "subscriptions:export", "schedule:export"])
def test_on_the_downloads_hold_only_theirs(owned, settings, name):
    settings.PORTFOLIO_ONLY = True
    response = _client(owned["aiko"]).get(reverse(name), {"owner": Owner.EVERYONE})
    assert _companies(b"".join(response.streaming_content).decode("utf-8-sig")) == {"Aiko Shoji"}


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.ADMIN])
@pytest.mark.parametrize("name", LISTS)
def test_on_other_roles_read_everyones(owned, settings, client_as, role, name):
    settings.PORTFOLIO_ONLY = True
    body = client_as(role).get(reverse(name)).content.decode()
    assert _companies(body) == {"Aiko Shoji", "Ben Kogyo", "Nobody Sangyo"}
    assert 'name="owner"' in body


def test_on_finance_reads_every_customer(owned, settings, client_as):
    settings.PORTFOLIO_ONLY = True
    body = client_as(Role.FINANCE).get(reverse("customers:list")).content.decode()
    assert _companies(body) == {"Aiko Shoji", "Ben Kogyo", "Nobody Sangyo"}


def test_off_an_account_manager_may_look_at_everyones(owned):
    body = _client(owned["aiko"]).get(reverse("customers:list"), {"owner": Owner.EVERYONE}).content.decode()
    assert _companies(body) == {"Aiko Shoji", "Ben Kogyo", "Nobody Sangyo"}


def test_the_rule_is_one_selector(owned, settings):
    """`readable` is what every read of one customer goes through; `owned_by` is the lists' filter: both keep an
    Account manager to their own customers when the setting is on, and to nothing narrower when it is off."""
    from customers.models import Customer

    aiko, ben = owned["aiko"], owned["ben"]
    ids = {c.domain_id for c in owned["customers"].values()}
    every = Customer.objects.all()
    assert {c.domain_id for c in selectors.readable(every, user=aiko, key="domain_id")} == ids
    settings.PORTFOLIO_ONLY = True
    assert [c.company_name for c in selectors.readable(every, user=aiko, key="domain_id")] == ["Aiko Shoji"]
    assert [c.company_name for c in selectors.readable(every, user=ben, key="domain_id")] == ["Ben Kogyo"]
    widened = selectors.owned_by(every, owner=Owner.UNASSIGNED, user=aiko, key="domain_id")
    assert [c.company_name for c in widened] == ["Aiko Shoji"]


def test_on_an_account_manager_follows_only_their_own_customers_changes(owned, settings):
    """The operation page (it polls while a change is sent) finds another's customer's change as not there,
    a change of no customer yet (one being added) as there; with the setting off it reads the change in one
    query."""

    def change(key: str, customer=None) -> Operation:
        return Operation.objects.create(
            idempotency_key=key, kind="patchCustomer", params={}, domain_id=customer and customer.domain_id
        )

    theirs, others, adding = (
        change("mine", owned["customers"]["aiko"]),
        change("ben's", owned["customers"]["ben"]),
        change("adding"),
    )
    settings.PORTFOLIO_ONLY = True
    found = {
        op.pk for op in (theirs, others, adding) if operation_get(operation_id=op.pk, user=owned["aiko"])
    }
    assert found == {theirs.pk, adding.pk}
    settings.PORTFOLIO_ONLY = False
    with CaptureQueriesContext(connection) as read:
        assert operation_get(operation_id=others.pk, user=owned["aiko"]) == others
    assert len(read.captured_queries) == 1
