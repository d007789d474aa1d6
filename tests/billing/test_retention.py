"""How long billing keeps LINE WORKS's invoices and the usage snapshots (billing/retention.py), by the nightly
housekeeping with the clock moved on: an invoice received leaves with its items once the legal minimum of the tax
period it was issued in is over (November 2026's usage, invoiced on 2026-12-01, on 2034-03-01; December's,
invoiced on 2027-01-01, a year later), with the costs learned from their items, and snapshots after two
years."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from billing.models import Invoice, InvoiceCost, InvoiceItem, UsageSnapshot
from portal.core.retention import housekeep
from tests.billing.factories import make_invoice, make_item

pytestmark = pytest.mark.django_db

TOKYO = ZoneInfo("Asia/Tokyo")


def _snapshot(day: dt.date) -> UsageSnapshot:
    return UsageSnapshot.objects.create(
        domain_id=10_000_001, used_date=day, plan="ANNUAL_LICENSE", license_count=10, synced_at=timezone.now()
    )


def test_line_works_invoices_leave_with_their_items_after_the_legal_minimum_and_snapshots_after_two_years():
    for month, year in ((11, 2026), (12, 2026)):
        make_invoice(year, month)
        make_item(year=year, month=month)
        make_item(year=year, month=month, item_type="OPTION_PRODUCT", item_id="SSTG2")
        InvoiceCost.objects.create(
            year=year,
            month=month,
            item_type="OPTION_PRODUCT",
            item_id="SSTG2",
            unit_cost=300,
            learned_at=timezone.now(),
        )
    old, kept = _snapshot(dt.date(2026, 11, 30)), _snapshot(dt.date(2026, 12, 31))

    with time_machine.travel(dt.datetime(2028, 12, 15, 3, tzinfo=TOKYO), tick=False):
        housekeep(batch_size=1)
    assert set(UsageSnapshot.objects.all()) == {kept}
    assert Invoice.objects.count() == 2 and InvoiceItem.objects.count() == 4

    with time_machine.travel(dt.datetime(2034, 2, 28, 3, tzinfo=TOKYO), tick=False):
        housekeep(batch_size=1)
    assert Invoice.objects.count() == 2 and InvoiceItem.objects.count() == 4
    assert not UsageSnapshot.objects.filter(pk__in=[old.pk, kept.pk]).exists()

    with time_machine.travel(dt.datetime(2034, 3, 1, 3, tzinfo=TOKYO), tick=False):
        housekeep(batch_size=1)
    assert list(Invoice.objects.values_list("year", "month")) == [(2026, 12)]
    assert set(InvoiceItem.objects.values_list("year", "month").distinct()) == {(2026, 12)}
    assert list(InvoiceCost.objects.values_list("year", "month")) == [(2026, 12)]

    with time_machine.travel(dt.datetime(2035, 3, 1, 3, tzinfo=TOKYO), tick=False):
        housekeep(batch_size=1)
    assert not Invoice.objects.exists() and not InvoiceItem.objects.exists()
    assert not InvoiceCost.objects.exists()
