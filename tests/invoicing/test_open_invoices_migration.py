"""Upgrading a portal that already holds issued invoices: what each still asks is filled in from its payments and
credit notes (migration 0013), so the home page's overdue invoices are the same after the upgrade; each open
invoice is given its customer (migration 0032) and its customer's name as issued (0033), and the triggers keep the
rows after each (and after going back)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.fixtures.migrations import migrate, migrate_to_latest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("invoicing", "0012_run_liveness")]
AFTER = [("invoicing", "0013_open_invoices")]
BEFORE_CUSTOMER = [("invoicing", "0031_payment_reminders")]
AFTER_CUSTOMER = [("invoicing", "0032_open_invoices_by_customer")]
AFTER_NAME = [("invoicing", "0033_open_invoices_named")]


def _issuer(apps):
    """A maker of issued documents in the models of `apps` (an invoice's customer is its number, 1000 apart)."""
    Issued = apps.get_model("invoicing", "IssuedInvoice")
    now = timezone.now()

    def issued(number: int, total: int, *, kind: str = "invoice", original=None, month: int = 10):
        return Issued.objects.create(
            number=number,
            year=2026,
            month=month,
            domain_id=number + 1000 if kind == "invoice" else original.domain_id,
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

    return issued


def test_the_upgrade_keeps_what_each_issued_invoice_still_asks():
    old = migrate(BEFORE)
    try:
        Payment = old.get_model("invoicing", "InvoicePayment")
        now = timezone.now()
        issued = _issuer(old)

        unpaid, partly, paid, credited = (issued(n, 1_000) for n in (1, 2, 3, 4))
        Payment.objects.create(invoice=partly, amount=300, paid_on=dt.date(2026, 11, 5), recorded_at=now)
        Payment.objects.create(invoice=paid, amount=1_000, paid_on=dt.date(2026, 11, 5), recorded_at=now)
        issued(5, -200, kind="credit_note", original=partly)
        issued(6, -1_000, kind="credit_note", original=credited)
        Open = migrate(AFTER).get_model("invoicing", "OpenInvoice")
        assert sorted(Open.objects.values_list("number", "owed", "paid")) == [(1, 1_000, 0), (2, 500, 300)]
    finally:
        migrate_to_latest()


def test_the_upgrade_gives_each_open_invoice_its_customer_and_the_triggers_keep_it():
    old = migrate(BEFORE_CUSTOMER)
    try:
        issued = _issuer(old)
        Payment = old.get_model("invoicing", "InvoicePayment")
        now = timezone.now()
        unpaid, partly, paid = (issued(n, 1_000) for n in (1, 2, 3))
        Payment.objects.create(invoice=partly, amount=300, paid_on=dt.date(2026, 11, 5), recorded_at=now)
        Payment.objects.create(invoice=paid, amount=1_000, paid_on=dt.date(2026, 11, 5), recorded_at=now)
        issued(4, -200, kind="credit_note", original=unpaid)
        new = migrate(AFTER_CUSTOMER)
        Open = new.get_model("invoicing", "OpenInvoice")
        Due = new.get_model("invoicing", "OpenInvoiceDue")

        def rows() -> list[tuple[int, int, int]]:
            return sorted(Open.objects.values_list("number", "domain_id", "owed"))

        assert rows() == [(1, 1001, 800), (2, 1002, 700)]
        # The triggers after the upgrade (SQLite remade the table): an invoice issued adds its row with its
        # customer and counts in on its due date, a payment and a credit note take off it.
        issued = _issuer(new)
        fifth = issued(5, 2_000, month=11)
        assert rows() == [(1, 1001, 800), (2, 1002, 700), (5, 1005, 2_000)]
        assert Due.objects.get(due_date=fifth.due_date).n == 3
        new.get_model("invoicing", "InvoicePayment").objects.create(
            invoice_id=fifth.pk, amount=500, paid_on=dt.date(2026, 11, 5), recorded_at=now
        )
        issued(
            6,
            -800,
            kind="credit_note",
            original=new.get_model("invoicing", "IssuedInvoice").objects.get(number=1),
        )
        assert rows() == [(2, 1002, 700), (5, 1005, 1_500)]
        assert Due.objects.get(due_date=fifth.due_date).n == 2
        # And back: the triggers as they were keep the rows (without a customer).
        back = migrate(BEFORE_CUSTOMER)
        _issuer(back)(7, 3_000, month=12)
        assert sorted(back.get_model("invoicing", "OpenInvoice").objects.values_list("number", "owed")) == [
            (2, 700),
            (5, 1_500),
            (7, 3_000),
        ]
        assert back.get_model("invoicing", "OpenInvoiceDue").objects.get(due_date=fifth.due_date).n == 3
    finally:
        migrate_to_latest()


def test_the_upgrade_names_each_open_invoice_s_customer_as_issued_and_the_triggers_keep_naming_them():
    old = migrate(AFTER_CUSTOMER)
    try:
        issued = _issuer(old)
        issued(1, 1_000)
        issued(3, -200, kind="credit_note", original=issued(2, 1_000))
        new = migrate(AFTER_NAME)
        Open = new.get_model("invoicing", "OpenInvoice")
        Due = new.get_model("invoicing", "OpenInvoiceDue")

        def rows() -> list[tuple[int, int, str, int]]:
            return sorted(Open.objects.values_list("number", "domain_id", "customer_name", "owed"))

        assert rows() == [(1, 1001, "Firm 1", 1_000), (2, 1002, "Firm 2", 800)]
        # After the upgrade (SQLite remade the table): an invoice issued adds its row named as issued and counts in
        # on its due date; a credit note still takes off its original.
        issued = _issuer(new)
        fourth = issued(4, 2_000, month=11)
        issued(
            5,
            -1_000,
            kind="credit_note",
            original=new.get_model("invoicing", "IssuedInvoice").objects.get(number=1),
        )
        assert rows() == [(2, 1002, "Firm 2", 800), (4, 1004, "Firm 4", 2_000)]
        assert Due.objects.get(due_date=fourth.due_date).n == 2
        # And back: the triggers as they were keep the rows (without a name).
        back = migrate(AFTER_CUSTOMER)
        _issuer(back)(6, 3_000, month=12)
        assert sorted(
            back.get_model("invoicing", "OpenInvoice").objects.values_list("number", "domain_id")
        ) == [
            (2, 1002),
            (4, 1004),
            (6, 1006),
        ]
        assert back.get_model("invoicing", "OpenInvoiceDue").objects.get(due_date=fourth.due_date).n == 3
    finally:
        migrate_to_latest()
