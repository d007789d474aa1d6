"""Rows the search box finds that no other factory makes: an issued customer invoice (or credit note), set down
directly (issuing itself is tested in tests/invoicing/)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from invoicing.models import DocumentKind, IssuedInvoice


def make_issued(
    number: int, *, domain_id: int, kind: str = DocumentKind.INVOICE, number_format: str = "", **fields
):
    """An issued invoice of October 2026 (`fields`: others, as issued: an invoice can't be changed later)."""
    return IssuedInvoice.objects.create(
        number=number,
        year=2026,
        month=10,
        domain_id=domain_id,
        customer_name="さくら商事株式会社",
        language="ja",
        issue_date=dt.date(2026, 11, 1),
        due_date=dt.date(2026, 11, 30),
        issuer={"number_format": number_format} if number_format else {},
        subtotal=1000,
        tax=100,
        total=1100 if kind != DocumentKind.CREDIT_NOTE else -1100,
        issued_at=timezone.now(),
        kind=kind,
        **fields,
    )
