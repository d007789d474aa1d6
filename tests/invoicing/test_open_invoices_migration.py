"""Upgrading a portal that already holds issued invoices: what each still asks is filled in from its payments and
credit notes (migration 0013), so the home page's overdue invoices are the same after the upgrade."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.fixtures.migrations import migrate, migrate_to_latest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("invoicing", "0012_run_liveness")]
AFTER = [("invoicing", "0013_open_invoices")]


def test_the_upgrade_keeps_what_each_issued_invoice_still_asks():
    old = migrate(BEFORE)
    try:
        Issued = old.get_model("invoicing", "IssuedInvoice")
        Payment = old.get_model("invoicing", "InvoicePayment")
        now = timezone.now()

        def issued(number: int, total: int, *, kind: str = "invoice", original=None):
            return Issued.objects.create(
                number=number,
                year=2026,
                month=10,
                domain_id=number if kind == "invoice" else original.domain_id,
                customer_name=f"Firm {number}",
                language="ja",
                issue_date=dt.date(2026, 11, 2),
                due_date=dt.date(2026, 12, 31),
                subtotal=total,
                tax=0,
                total=total,
                issued_at=now,
                kind=kind,
                original=original,
            )

        unpaid, partly, paid, credited = (issued(n, 1_000) for n in (1, 2, 3, 4))
        Payment.objects.create(invoice=partly, amount=300, paid_on=dt.date(2026, 11, 5), recorded_at=now)
        Payment.objects.create(invoice=paid, amount=1_000, paid_on=dt.date(2026, 11, 5), recorded_at=now)
        issued(5, -200, kind="credit_note", original=partly)
        issued(6, -1_000, kind="credit_note", original=credited)
        Open = migrate(AFTER).get_model("invoicing", "OpenInvoice")
        assert sorted(Open.objects.values_list("number", "owed", "paid")) == [(1, 1_000, 0), (2, 500, 300)]
    finally:
        migrate_to_latest()
