"""Upgrading a portal that already holds documents not sent yet: each is worked out as a send of its month takes
it (an address, its recipient's or its billing details', and its PDF) or leaves it out (no address), by
migration 0025, so what is left to send reads the same after the upgrade; and the triggers keep it after."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.fixtures.migrations import migrate, migrate_to_latest

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("invoicing", "0024_runs")]
AFTER = [("invoicing", "0025_unsent_addressed")]


def test_the_upgrade_works_out_the_documents_not_sent_yet():
    old = migrate(BEFORE)
    try:
        Issued = old.get_model("invoicing", "IssuedInvoice")
        Billing = old.get_model("invoicing", "CustomerBilling")
        now = timezone.now()

        def issued(number: int, *, recipient: dict, pdf: bool):
            return Issued.objects.create(
                number=number,
                year=2026,
                month=10,
                domain_id=number,
                customer_name=f"Firm {number}",
                language="ja",
                issue_date=dt.date(2026, 11, 2),
                due_date=dt.date(2026, 12, 31),
                recipient=recipient,
                subtotal=1_000,
                tax=100,
                total=1_100,
                issued_at=now,
                pdf_sha256="ab" * 32 if pdf else "",
            )

        issued(1, recipient={"invoice_email": "ap@one.example"}, pdf=True)
        issued(2, recipient={}, pdf=True)
        Billing.objects.create(domain_id=2, invoice_email="ap@two.example")
        issued(3, recipient={"invoice_email": ""}, pdf=True)
        Billing.objects.create(domain_id=3)
        issued(4, recipient={"invoice_email": "ap@four.example"}, pdf=False)
        new = migrate(AFTER)
        Unsent = new.get_model("invoicing", "UnsentInvoice")
        assert sorted(Unsent.objects.values_list("number", "domain_id", "sendable", "unaddressed")) == [
            (1, 1, True, False),
            (2, 2, True, False),
            (3, 3, False, True),
            (4, 4, False, False),
        ]
        new.get_model("invoicing", "CustomerBilling").objects.filter(domain_id=3).update(
            invoice_email="ap@three.example"
        )
        assert Unsent.objects.values_list("sendable", "unaddressed").get(number=3) == (True, False)
    finally:
        migrate_to_latest()
