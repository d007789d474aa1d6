"""A customer's removal and Account manager are carried on its rows of other apps (subscriptions, reservations,
pre-orders, options, option orders: `customers.models.CarriesCustomer`), kept by the database's triggers
(customers/carried.py): whatever writes the customer, its owner or the row, the row says what the customers table
says, and the lists, worklists and the Scheduled changes page read them: a removed customer's rows leave them,
a handed-over customer's rows move to the new Account manager's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from customers import services
from customers.models import Customer, carries_customer
from customers.selectors import Owner, owned_by, still_in_api
from options.models import Option, OptionOrder
from portal.core.access import Role
from portal.core.models import Operation
from subscriptions.models import PreOrder, Reservation, Subscription
from tests.customers.factories import make_customer
from tests.fixtures.personas import make_persona
from tests.options.factories import make_option, make_order
from tests.subscriptions.factories import make_pre_order, make_reservation, make_subscription

pytestmark = pytest.mark.django_db

CARRYING = (Subscription, Reservation, PreOrder, Option, OptionOrder)


@pytest.fixture
def people(admin_user):
    return {
        "admin": admin_user,
        "aiko": make_persona(Role.ACCOUNT_MANAGER, username="aiko"),
        "ben": make_persona(Role.ACCOUNT_MANAGER, username="ben"),
    }


def _set(people, customer, manager) -> None:
    services.customer_owner_set(
        actor=people["admin"],
        domain_id=customer.domain_id,
        account_manager_id=manager.pk if manager else None,
        support_contact_id=None,
    )


def _rows_of(customer):
    subscription = make_subscription(customer)
    make_reservation(subscription, apply_date=dt.date(2026, 12, 1))
    make_pre_order(customer, apply_date=dt.date(2026, 12, 2))
    make_option(customer, trial=True)
    make_order(customer)


def _carried(customer) -> set[tuple]:
    """What every carrying table says of the customer's rows: {(removed, manager)}."""
    return {
        row
        for model in CARRYING
        for row in model.objects.filter(customer_id=customer.pk).values_list(
            "customer_removed", "customer_manager"
        )
    }


def test_every_row_of_a_customer_carries_its_removal_and_account_manager(people):
    assert all(carries_customer(model) for model in CARRYING) and not carries_customer(Customer)
    alpha = make_customer(company_name="Alpha")
    _rows_of(alpha)
    assert _carried(alpha) == {(False, None)}
    _set(people, alpha, people["aiko"])
    assert _carried(alpha) == {(False, people["aiko"].pk)}
    services.customer_owners_hand_over(actor=people["admin"], user=people["aiko"], to=people["ben"].pk)
    assert _carried(alpha) == {(False, people["ben"].pk)}
    Customer.objects.filter(pk=alpha.pk).update(removed_at=timezone.now())  # as the resync marks it
    assert _carried(alpha) == {(True, people["ben"].pk)}
    Customer.objects.filter(pk=alpha.pk).update(removed_at=None)  # back in the API
    _set(people, alpha, None)
    assert _carried(alpha) == {(False, None)}


def test_a_row_written_with_other_values_still_says_what_its_customer_says(people):
    """A whole-row save of a copy read before the customer changed, or a write of the columns themselves, keeps
    the customer's values: the portal never sets them."""
    alpha = make_customer(company_name="Alpha")
    subscription = make_subscription(alpha)
    _set(people, alpha, people["aiko"])
    Subscription.objects.filter(pk=subscription.pk).update(
        customer_removed=True, customer_manager=people["ben"].pk
    )
    subscription.save()  # the copy read before the owner was set
    assert _carried(alpha) == {(False, people["aiko"].pk)}
    beta = make_customer(company_name="Beta")
    Subscription.objects.filter(pk=subscription.pk).update(customer=beta)
    assert Subscription.objects.values_list("customer_removed", "customer_manager").get() == (False, None)


def test_the_reads_keep_to_live_customers_and_an_account_manager_s_own_by_the_rows_columns(people):
    alpha, beta, gone = (make_customer(company_name=name) for name in ("Alpha", "Beta", "Gone"))
    for customer in (alpha, beta, gone):
        _rows_of(customer)
    _set(people, alpha, people["aiko"])
    _set(people, gone, people["aiko"])
    Customer.objects.filter(pk=gone.pk).update(removed_at=timezone.now())
    for model in CARRYING:
        live = still_in_api(model.objects.all())
        assert {row.customer_id for row in live} == {alpha.pk, beta.pk}, model
        mine = owned_by(live, owner=Owner.MINE, user=people["aiko"])
        assert {row.customer_id for row in mine} == {alpha.pk}, model
        nobody = owned_by(live, owner=Owner.UNASSIGNED, user=people["aiko"])
        assert {row.customer_id for row in nobody} == {beta.pk}, model
        assert "customers_customerowner" not in str(mine.query) and "customer_manager" in str(mine.query)
    services.customer_owners_hand_over(actor=people["admin"], user=people["aiko"], to=people["ben"].pk)
    theirs = owned_by(still_in_api(Subscription.objects.all()), owner=Owner.MINE, user=people["ben"])
    assert {row.customer_id for row in theirs} == {alpha.pk}
    assert not owned_by(Subscription.objects.all(), owner=Owner.MINE, user=people["aiko"]).exists()


def test_core_s_operations_carry_their_customer_by_domain_id_and_an_account_manager_s_are_read_by_it(people):
    """Operations are core's rows, keyed by a plain `domain_id` (core names no app): the customers app's triggers
    keep the same two columns on them, so "Changes unknown or failed" reads an Account manager's by their index."""
    assert carries_customer(Operation, "domain_id") and not carries_customer(Operation)
    alpha, beta = make_customer(company_name="Alpha"), make_customer(company_name="Beta")
    made = {
        customer.pk: Operation.objects.create(
            idempotency_key=f"carried-{customer.pk}",
            kind="customer.update",
            domain_id=customer.pk,
            status=Operation.Status.UNKNOWN,
        )
        for customer in (alpha, beta)
    }
    orphan = Operation.objects.create(
        idempotency_key="carried-none", kind="sync", status=Operation.Status.FAILED
    )
    _set(people, alpha, people["aiko"])

    def carried(operation):
        return Operation.objects.values_list("customer_removed", "customer_manager").get(pk=operation.pk)

    assert carried(made[alpha.pk]) == (False, people["aiko"].pk) and carried(made[beta.pk]) == (False, None)
    assert carried(orphan) == (False, None)
    mine = owned_by(
        Operation.objects.all(), owner=Owner.MINE, user=people["aiko"], key="domain_id", apart=True
    )
    assert set(mine) == {made[alpha.pk]}
    assert "customers_customerowner" not in str(mine.query) and "customer_manager" in str(mine.query)
    nobody = owned_by(Operation.objects.all(), owner=Owner.UNASSIGNED, user=people["aiko"], key="domain_id")
    assert set(nobody) == {made[beta.pk], orphan}
    services.customer_owners_hand_over(actor=people["admin"], user=people["aiko"], to=people["ben"].pk)
    assert carried(made[alpha.pk]) == (False, people["ben"].pk)


def test_every_carrying_table_has_its_triggers_after_every_migration():
    """A later migration that makes SQLite rebuild a carrying table (a new column with a default, most column
    changes) drops its triggers silently, and its rows would stop following their customer (docs/house-rules.md).
    Core's operations carry them too, though core's own migrations never install them."""
    from django.apps import apps
    from django.db import connection

    from portal.core.models import CarriesCustomer

    carrying = [m for m in apps.get_models() if issubclass(m, CarriesCustomer)]
    assert Operation in carrying and Subscription in carrying
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        triggers = {row[0] for row in cursor.fetchall()}
    for model in carrying:
        table = model._meta.db_table
        expected = {f"{table}_carried_kept", f"{table}_customer_added", f"{table}_customer_changed"}
        assert expected <= triggers, (table, expected - triggers)
