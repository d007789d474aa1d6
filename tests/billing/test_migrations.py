"""Upgrading a portal that already holds invoice items: a stored month's subtotals move under what they sum."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from tests.fixtures.migrations import migrate, migrate_to_latest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("billing", "0010_finding_of_customer")]
AFTER = [("billing", "0011_subtotal_under_what_it_sums")]
#: ItemType's order before: Option Plus, adjustments and penalties above the subtotal.
OLD_ORDER = ("PRODUCT", "OPTION_PRODUCT", "OPTION_PLUS", "ADJUSTMENT", "PENALTY", "SUMMARY")


def test_the_upgrade_lists_each_stored_subtotal_under_the_items_it_sums():
    old = migrate(BEFORE)
    try:
        InvoiceItem = old.get_model("billing", "InvoiceItem")
        items = {
            1: [("PRODUCT", 1_620), ("OPTION_PLUS", 3_000), ("SUMMARY", 1_620)],
            2: [
                ("PRODUCT", 900),
                ("OPTION_PRODUCT", 100),
                ("PENALTY", 50),
                ("ADJUSTMENT", -10),
                ("SUMMARY", 990),
            ],
        }
        rows = []
        for domain_id, lines in items.items():
            ordered = sorted(enumerate(lines), key=lambda line: OLD_ORDER.index(line[1][0]))
            for position, (kind, amount) in ordered:
                rows.append(
                    InvoiceItem(
                        year=2026,
                        month=10,
                        domain_id=domain_id,
                        customer_name=f"Firm {domain_id}",
                        position=position,
                        item_type=kind,
                        type_order=OLD_ORDER.index(kind),
                        row_order=len(rows) + 100 * domain_id,
                        start_date=dt.date(2026, 10, 1),
                        end_date=dt.date(2026, 10, 31),
                        member_count=3,
                        amount=amount,
                        synced_at=timezone.now(),
                    )
                )
        InvoiceItem.objects.bulk_create(rows)
        new = migrate(AFTER).get_model("billing", "InvoiceItem")
        listed = [
            (item.domain_id, item.item_type)
            for item in new.objects.filter(year=2026, month=10).order_by("row_order")
        ]
        assert listed == [
            (1, "PRODUCT"),
            (1, "SUMMARY"),
            (1, "OPTION_PLUS"),
            (2, "PRODUCT"),
            (2, "OPTION_PRODUCT"),
            (2, "ADJUSTMENT"),
            (2, "SUMMARY"),
            (2, "PENALTY"),
        ]
    finally:
        migrate_to_latest()


def test_the_upgrade_reads_each_stored_month_once():
    """A year of details at 3,000 customers is 55,000 items: read month by month, not once per item (the
    model's ordering made every item a distinct "month", and the upgrade ran for days)."""
    from django.test.utils import CaptureQueriesContext

    old = migrate(BEFORE)
    try:
        InvoiceItem = old.get_model("billing", "InvoiceItem")
        InvoiceItem.objects.bulk_create(
            InvoiceItem(
                year=2026,
                month=month,
                domain_id=domain_id,
                customer_name=f"Firm {domain_id}",
                item_type="PRODUCT",
                row_order=domain_id,
                member_count=3,
                amount=100,
                synced_at=timezone.now(),
            )
            for month in (9, 10)
            for domain_id in range(1, 6)
        )
        with CaptureQueriesContext(connection) as ctx:
            migrate(AFTER)
        month_reads = [
            q["sql"]
            for q in ctx.captured_queries
            if q["sql"].startswith('SELECT "billing_invoiceitem"."id"') and '"month" =' in q["sql"]
        ]
        assert len(month_reads) == 2
    finally:
        migrate_to_latest()


def test_the_upgrade_keeps_each_stored_months_count_of_customers_its_check_could_not_check():
    """Billing 0014: each stored month keeps how many billed customers have no usage of it, as the findings page
    counted them on every request before (it reads the kept figure since)."""
    old = migrate([("billing", "0013_estimate_copies_by_cost")])
    try:
        synced = timezone.now()
        old.get_model("billing", "DetailMonth").objects.create(
            year=2026, month=10, customers=2, items=3, synced_at=synced
        )
        InvoiceItem = old.get_model("billing", "InvoiceItem")
        for row, domain_id in enumerate((1, 1, 2)):
            InvoiceItem.objects.create(
                year=2026,
                month=10,
                domain_id=domain_id,
                customer_name=f"Firm {domain_id}",
                position=row,
                item_type="PRODUCT",
                row_order=row,
                amount=100,
                synced_at=synced,
            )
        old.get_model("billing", "UsageSnapshot").objects.create(
            domain_id=1, used_date=dt.date(2026, 10, 31), synced_at=synced
        )
        old.get_model("billing", "UsageSnapshot").objects.create(
            domain_id=2, used_date=dt.date(2026, 11, 1), synced_at=synced
        )
        new = migrate([("billing", "0014_detail_month_unchecked")])
        assert new.get_model("billing", "DetailMonth").objects.get(year=2026, month=10).unchecked == 1
    finally:
        migrate_to_latest()
