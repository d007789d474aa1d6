"""The test databases' flush (tests/fixtures/databases.py): on PostgreSQL, what migrate's receivers made (content
types, permissions, role groups) stays across the flush after a transactional test when the test left it as it
was, and is made again, as Django's flush does, when the test changed it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection

from customers.models import Customer
from tests.customers.factories import make_customer

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the DELETE flush is PostgreSQL's"),
]


def _flush() -> None:
    """The flush after a transactional test, as Django's TransactionTestCase calls it."""
    call_command("flush", verbosity=0, interactive=False, reset_sequences=False)


def test_a_flush_deletes_the_tests_rows_and_keeps_what_migrate_made_untouched():
    make_customer(company_name="Flushed K.K.")
    groups = dict(Group.objects.values_list("name", "pk"))
    types = sorted(ContentType.objects.values_list("pk", flat=True))
    assert groups and types
    _flush()
    assert not Customer.objects.exists()
    # The same rows, not rows made again: their ids are those they had.
    assert dict(Group.objects.values_list("name", "pk")) == groups
    assert sorted(ContentType.objects.values_list("pk", flat=True)) == types


def test_a_flush_after_a_test_changed_a_role_group_makes_the_groups_again():
    group = Group.objects.order_by("name").first()
    held = set(group.permissions.values_list("codename", flat=True))
    assert held
    group.permissions.clear()
    Group.objects.create(name="Planted by a test")
    Permission.objects.filter(codename="view_customer").delete()
    _flush()
    assert not Group.objects.filter(name="Planted by a test").exists()
    assert set(Group.objects.get(name=group.name).permissions.values_list("codename", flat=True)) == held
    assert Permission.objects.filter(codename="view_customer").exists()
    # And the flush after that keeps what was made again.
    groups = dict(Group.objects.values_list("name", "pk"))
    _flush()
    assert dict(Group.objects.values_list("name", "pk")) == groups
