"""Issued invoices and billing details made directly for the bank matching tests (what issuing stores: the open
invoices follow by the database's triggers)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from invoicing.models import CustomerBilling, IssuedInvoice, TransferName


def customer(domain_id: int, name: str, *, transfer_name: str = "") -> CustomerBilling:
    billing = CustomerBilling.objects.create(domain_id=domain_id, bill_to_name=name, bill_to_address="東京都")
    if transfer_name:
        TransferName.objects.create(customer=billing, name=transfer_name, learned_at=timezone.now())
    return billing


def invoice(
    number: int, domain_id: int, total: int, *, month: int = 10, name: str = "", stored: bool = True
) -> IssuedInvoice:
    """The month's invoice, issued on the first of the next month (not stored: for a bulk insert)."""
    issued = (dt.date(2026, month, 1) + dt.timedelta(days=31)).replace(day=1)
    row = IssuedInvoice(
        number=number,
        year=2026 if month <= 12 else 2027,
        month=month,
        domain_id=domain_id,
        customer_name=name or f"Customer {domain_id}",
        language="ja",
        issue_date=issued,
        due_date=issued + dt.timedelta(days=30),
        subtotal=total,
        tax=0,
        total=total,
        issued_at=timezone.now(),
        kind="invoice",
    )
    if stored:
        row.save()
    return row
