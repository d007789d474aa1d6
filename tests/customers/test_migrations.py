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
