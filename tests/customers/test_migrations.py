"""Upgrading a portal that already holds customers: the worklist's new summary columns are filled from the cached
subscriptions at once, not only after the next full resync."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.fixtures.migrations import migrate, migrate_to_latest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("customers", "0004_customer_removed_index"), ("subscriptions", "0001_initial")]
AFTER = [("customers", "0005_worklist_derived_columns")]


def test_the_upgrade_fills_unused_licences_and_seats_left_from_the_cache():
    old = migrate(BEFORE)
    try:
        Customer, Subscription = (
            old.get_model("customers", "Customer"),
            old.get_model("subscriptions", "Subscription"),
        )
        now = timezone.now()
        for domain_id, members, maximum in ((1, 40, 100), (2, 48, 50)):
            Customer.objects.create(
                domain_id=domain_id,
                domain=f"c{domain_id}.example.jp",
                company_name=f"Firm {domain_id}",
                member_count=members,
                max_member_count=maximum,
                synced_at=now,
            )
        for sub_id, domain_id, status, plan, licences in (
            (11, 1, "CANCELLED", "ANNUAL_LICENSE", 500),
            (12, 1, "ACTIVE", "ANNUAL_LICENSE", 60),
            (21, 2, "ACTIVE", "MONTHLY", None),
        ):
            Subscription.objects.create(
                subscription_id=sub_id,
                customer_id=domain_id,
                product_id="STD",
                plan=plan,
                plan_start_date=dt.date(2026, 4, 1),
                license_count=licences,
                status=status,
                synced_at=now,
            )
        new = migrate(AFTER)
        rows = {
            c.domain_id: (
                c.main_subscription_id,
                c.license_count,
                c.unused_licences,
                c.max_users_left,
                c.near_max_users,
            )
            for c in new.get_model("customers", "Customer").objects.all()
        }
        assert rows == {1: (12, 60, 20, 60, False), 2: (21, None, None, 2, True)}
    finally:
        migrate_to_latest()


CARRIED_BEFORE = [("subscriptions", "0002_indexes_by_day"), ("options", "0005_option_usage_by_month")]
CARRIED_AFTER = [("subscriptions", "0003_carried_customer"), ("options", "0006_carried_customer")]


def test_the_upgrade_fills_the_customer_s_removal_and_account_manager_on_the_rows_already_cached(
    django_user_model,
):
    """Subscriptions, reservations, pre-orders, options and option orders already cached carry their customer's
    removal and Account manager from the upgrade on (subscriptions 0003, options 0006), and the triggers keep them
    after it."""
    manager = django_user_model.objects.create(username="aiko")
    old = migrate(CARRIED_BEFORE)
    try:
        Customer, Owner = old.get_model("customers", "Customer"), old.get_model("customers", "CustomerOwner")
        Subscription = old.get_model("subscriptions", "Subscription")
        now = timezone.now()
        for domain_id, removed in ((1, None), (2, now), (3, None)):
            Customer.objects.create(
                domain_id=domain_id,
                domain=f"c{domain_id}.example.jp",
                company_name=f"Firm {domain_id}",
                synced_at=now,
                removed_at=removed,
            )
            Subscription.objects.create(
                subscription_id=domain_id * 10,
                customer_id=domain_id,
                product_id="STD",
                plan="MONTHLY",
                plan_start_date=dt.date(2026, 4, 1),
                status="ACTIVE",
                synced_at=now,
            )
        Owner.objects.create(customer_id=1, account_manager_id=manager.pk)
        old.get_model("subscriptions", "PreOrder").objects.create(
            pre_order_id=5, customer_id=1, apply_date=dt.date(2026, 12, 1), synced_at=now
        )
        old.get_model("options", "OptionOrder").objects.create(
            customer_id=2,
            option_product_id="SSTG2",
            sub_option_id="SSTG203",
            type="CHANGE_QUANTITY",
            apply_date=dt.date(2026, 12, 1),
            synced_at=now,
        )
        new = migrate(CARRIED_AFTER)
        carried = ("customer_removed", "customer_manager")
        rows = dict(
            (row[0], row[1:])
            for row in new.get_model("subscriptions", "Subscription").objects.values_list("pk", *carried)
        )
        assert rows == {10: (False, manager.pk), 20: (True, None), 30: (False, None)}
        assert list(new.get_model("subscriptions", "PreOrder").objects.values_list(*carried)) == [
            (False, manager.pk)
        ]
        assert list(new.get_model("options", "OptionOrder").objects.values_list(*carried)) == [(True, None)]
        new.get_model("customers", "Customer").objects.filter(domain_id=3).update(removed_at=now)
        assert new.get_model("subscriptions", "Subscription").objects.get(pk=30).customer_removed
    finally:
        migrate_to_latest()
