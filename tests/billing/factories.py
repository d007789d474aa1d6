"""Billing rows for tests that need no sandbox."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from billing.models import ITEM_TYPE_ORDER, Invoice, InvoiceItem


def make_invoice(year: int = 2026, month: int = 10, **fields) -> Invoice:
    defaults = {
        "invoice_no": year * 100 + month,
        "partner_name": "Sandbox Partner K.K.",
        "used_amount": 62_400,
        "option_plus_amount": 10_000,
        "tax_rate": 10,
        "used_tax_amount": 6_240,
        "option_plus_tax_amount": 1_000,
        "penalty_amount": 0,
        "total_amount": 79_640,
        "payment_status": "PAID",
        "paid_time": dt.datetime(year + (month == 12), month % 12 + 1, 21, 0, tzinfo=dt.UTC),
        "issued_time": dt.datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=dt.UTC)
        - dt.timedelta(hours=9),
        "synced_at": timezone.now(),
    }
    defaults.update(fields)
    return Invoice.objects.create(year=year, month=month, **defaults)


_order = itertools.count()


def make_item(customer=None, year: int = 2026, month: int = 10, **fields) -> InvoiceItem:
    first = dt.date(year, month, 1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    defaults = {
        "domain_id": customer.domain_id if customer else 10_000_001,
        "domain": customer.domain if customer else "example.com",
        "customer_name": customer.company_name if customer else "Example K.K.",
        "customer_code": customer.customer_code if customer else "",
        "item_type": "PRODUCT",
        "item_id": "STD",
        "plan": "ANNUAL_LICENSE",
        "start_date": first,
        "end_date": last,
        "license_count": 10,
        "member_count": 8,
        "amount": 4_500,
        "synced_at": timezone.now(),
    }
    defaults.update(fields)
    defaults["type_order"] = ITEM_TYPE_ORDER.get(defaults["item_type"], 99)
    defaults.setdefault("row_order", next(_order))  # made in the order a stored month lists them
    return InvoiceItem.objects.create(year=year, month=month, **defaults)
