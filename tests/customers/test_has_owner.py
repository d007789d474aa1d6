"""Whether an Account manager looks after a customer, and which (`Customer.has_owner`, `Customer.managed_by`), is
kept by the database (customers 0015, 0016): every way an owner row changes sets both, a whole-row save of a copy
read before the change does not undo them, and the Owner filter's "Unassigned" and an Account manager's "Mine"
read them (a range of an index) instead of every owned customer."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers import services
from customers.models import Customer, CustomerOwner
from customers.selectors import Owner, owned_by
from portal.core.access import Role
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
    }


def _set(people, customer, manager=None, contact=None) -> None:
    services.customer_owner_set(
        actor=people["admin"],
        domain_id=customer.domain_id,
        account_manager_id=manager.pk if manager else None,
        support_contact_id=contact.pk if contact else None,
    )


def _owned(customer) -> bool:
    return Customer.objects.values_list("has_owner", flat=True).get(pk=customer.pk)


def _manager(customer) -> int | None:
    return Customer.objects.values_list("managed_by", flat=True).get(pk=customer.pk)


def test_every_change_of_an_owner_row_sets_whether_the_customer_has_an_owner(people):
    alpha, beta = make_customer(company_name="Alpha"), make_customer(company_name="Beta")
    aiko, ben = people["aiko"].pk, people["ben"].pk
    assert not _owned(alpha) and not _owned(beta) and _manager(alpha) is None
    _set(people, alpha, people["aiko"])
    assert _owned(alpha) and not _owned(beta) and _manager(alpha) == aiko and _manager(beta) is None
    _set(people, alpha, None, people["sam"])  # a support contact alone is no owner
    assert not _owned(alpha) and _manager(alpha) is None
    _set(people, alpha, people["aiko"], people["sam"])
    _set(people, beta, people["aiko"])
    handed = services.customer_owners_hand_over(
        actor=people["admin"], user=people["aiko"], to=people["ben"].pk
    )
    assert handed == 2 and _owned(alpha) and _owned(beta)
    assert _manager(alpha) == ben and _manager(beta) == ben
    CustomerOwner.objects.filter(customer_id=beta.domain_id).update(account_manager=None)  # many rows at once
    assert not _owned(beta) and _owned(alpha) and _manager(beta) is None and _manager(alpha) == ben
    CustomerOwner.objects.filter(customer_id=alpha.domain_id).delete()
    assert not _owned(alpha) and _manager(alpha) is None


def test_a_whole_row_save_of_an_older_copy_keeps_what_the_owners_say(people):
    customer = make_customer(company_name="Gamma")
    copy = Customer.objects.get(pk=customer.pk)  # read before the owner is set
    _set(people, customer, people["aiko"])
    copy.company_name = "Gamma Holdings"
    copy.save()  # writes every column, has_owner=False from the old copy included
    assert _owned(customer) and Customer.objects.get(pk=customer.pk).company_name == "Gamma Holdings"
    assert _manager(customer) == people["aiko"].pk
    Customer.objects.filter(pk=customer.pk).update(has_owner=False)  # nor does a direct write
    Customer.objects.filter(pk=customer.pk).update(managed_by=people["ben"].pk)
    assert _owned(customer) and _manager(customer) == people["aiko"].pk


def test_unassigned_reads_the_kept_flag_and_finds_the_same_customers(people):
    owned, unowned, contact_only = (make_customer(company_name=n) for n in ("Delta", "Epsilon", "Zeta"))
    _set(people, owned, people["aiko"])
    _set(people, contact_only, None, people["sam"])
    with CaptureQueriesContext(connection) as ctx:
        found = set(
            owned_by(Customer.objects.all(), owner=Owner.UNASSIGNED, user=people["admin"], key="domain_id")
        )
    assert {c.company_name for c in found} == {"Epsilon", "Zeta"}
    (sql,) = [q["sql"] for q in ctx.captured_queries]
    assert "has_owner" in sql and "customers_customerowner" not in sql


def test_mine_reads_the_kept_manager_and_finds_the_same_customers(people):
    theirs, others, contact_only = (make_customer(company_name=n) for n in ("Eta", "Theta", "Iota"))
    _set(people, theirs, people["aiko"])
    _set(people, others, people["ben"])
    _set(people, contact_only, None, people["sam"])  # a support contact, no Account manager
    with CaptureQueriesContext(connection) as ctx:
        found = set(owned_by(Customer.objects.all(), owner=Owner.MINE, user=people["aiko"], key="domain_id"))
    assert {c.company_name for c in found} == {"Eta"}
    (sql,) = [q["sql"] for q in ctx.captured_queries if "customers_customer" in q["sql"]]
    assert "managed_by" in sql and "customers_customerowner" not in sql
    chosen = owned_by(
        Customer.objects.all(), owner=str(people["ben"].pk), user=people["admin"], key="domain_id"
    )
    assert {c.company_name for c in chosen} == {"Theta"}


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_fills_in_the_manager_of_the_customers_already_owned(people):
    """customers 0016 on a database with owners already set: each customer gets its Account manager, and the
    rewritten triggers keep both kept columns after it (a hand-over then moves them)."""
    from tests.fixtures.migrations import migrate, migrate_to_latest

    owned, unowned = make_customer(company_name="Kappa"), make_customer(company_name="Lambda")
    old = migrate([("customers", "0015_customer_has_owner")])
    try:
        old.get_model("customers", "CustomerOwner").objects.create(
            customer_id=owned.domain_id, account_manager_id=people["aiko"].pk
        )
        migrate([("customers", "0016_customer_managed_by")])
        assert (_manager(owned), _manager(unowned)) == (people["aiko"].pk, None)
        assert _owned(owned) and not _owned(unowned)
        services.customer_owners_hand_over(actor=people["admin"], user=people["aiko"], to=people["ben"].pk)
        assert _manager(owned) == people["ben"].pk
    finally:
        migrate_to_latest()
