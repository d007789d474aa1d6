"""LINE WORKS' invoices to the partner, as the resync stores them (see billing/resync.py): a whole year of
invoices (listInvoices), a whole month of invoice details (listInvoiceDetails, only once the walk completed; the
engine runs the store in one transaction, so the month's rows are replaced as a whole or not at all, and the
month's variance check runs on them, and what it says each product or option costs is learned), and the fetch of a month the billing pages ask for."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from billing.models import ITEM_TYPE_ORDER, DetailMonth, Invoice, InvoiceItem, MonthClosing
from billing.services.costs import invoice_cost_learn
from billing.services.findings import finding_month_check
from customers.models import sort_name_for
from partner_api.models import wire_text


def invoice_year_store(*, year: int, remote: Iterable[Any], synced_at: dt.datetime) -> int:
    """Replace the cached invoices of `year` with the year's list (listInvoices)."""
    rows = []
    for invoice in remote:
        rows.append(
            Invoice(
                year=invoice.invoice_year or year,
                month=invoice.invoice_month,
                invoice_no=invoice.invoice_no,
                partner_name=invoice.partner_name or "",
                used_amount=invoice.used_amount or 0,
                option_plus_amount=invoice.option_plus_amount or 0,
                tax_rate=Decimal(str(invoice.tax_rate if invoice.tax_rate is not None else 0)),
                used_tax_amount=invoice.used_tax_amount or 0,
                option_plus_tax_amount=invoice.option_plus_tax_amount or 0,
                penalty_amount=invoice.penalty_amount or 0,
                total_amount=invoice.total_amount or 0,
                payment_status=wire_text(invoice.payment_status),
                paid_time=invoice.paid_time,
                issued_time=invoice.issued_time,
                synced_at=synced_at,
            )
        )
    Invoice.objects.filter(year=year).delete()
    Invoice.objects.bulk_create(rows)
    return len(rows)


def invoice_month_store(*, year: int, month: int, remote: Iterable[Any], synced_at: dt.datetime) -> int:
    """Replace the month's invoice items with every item of a completed walk of listInvoiceDetails, then run
    the month's variance check. Runs inside the engine's transaction: all or nothing. A month Finance closed
    keeps the items it was checked with (nothing is stored; an Admin reopens it to fetch it again)."""
    if MonthClosing.objects.filter(year=year, month=month, reopened_at__isnull=True).exists():
        return 0
    rows = []
    for detail in remote:
        for position, item in enumerate(detail.settlement_items):
            kind = wire_text(item.item_type)
            rows.append(
                InvoiceItem(
                    year=year,
                    month=month,
                    domain_id=detail.domain_id,
                    domain=detail.domain or "",
                    customer_name=detail.customer_name or "",
                    customer_code=detail.customer_code or "",
                    position=position,
                    subscription_id=item.subscription_id,
                    item_type=kind,
                    type_order=ITEM_TYPE_ORDER.get(kind, 99),
                    item_id=item.item_id or "",
                    sub_item_id=item.sub_item_id or "",
                    plan=wire_text(item.plan),
                    start_date=item.start_date,
                    end_date=item.end_date,
                    license_count=item.license_count,
                    member_count=item.member_count,
                    quantity=item.quantity,
                    status=item.status or "",
                    amount=item.amount,
                    synced_at=synced_at,
                )
            )
    # Customers in the order every list's names take: without their legal form (合同会社さくら under さ).
    rows.sort(
        key=lambda r: (sort_name_for(r.customer_name), r.customer_name, r.domain_id, r.type_order, r.position)
    )
    totals: dict[str, int] = defaultdict(int)
    for order, row in enumerate(rows):
        row.row_order = order
        totals[row.item_type] += row.amount or 0
    InvoiceItem.objects.filter(year=year, month=month).delete()
    InvoiceItem.objects.bulk_create(rows, batch_size=2000)
    DetailMonth.objects.update_or_create(
        year=year,
        month=month,
        defaults={
            "customers": len({r.domain_id for r in rows}),
            "items": len(rows),
            "totals": dict(totals),
            "item_ids": sorted({r.item_id for r in rows if r.item_id}),
            "synced_at": synced_at,
        },
    )
    # What the month's invoice says each product or option costs, for Finance to accept (`billing.costs`).
    invoice_cost_learn(year=year, month=month, items=rows, synced_at=synced_at)
    finding_month_check(year=year, month=month)
    return len(rows)


def month_fetch_request(*, year: int, month: int, user=None) -> list:
    """Queue the fetch of a usage month: the invoices of its year (and of the year before, for the 12-month
    chart) and the month's invoice details (recorded partner-wide runs, enqueued when the transaction commits;
    the page polls their progress)."""
    from billing.rules import INVOICE_DETAILS, INVOICES
    from portal.core.sync import resync_partner_wide_request

    runs = [resync_partner_wide_request(name=INVOICES, params={"year": year}, user=user)]
    if month < 12:
        # The invoices page charts 12 months: the previous year's too (listInvoices answers one year).
        runs.append(resync_partner_wide_request(name=INVOICES, params={"year": year - 1}, user=user))
    if not MonthClosing.objects.filter(year=year, month=month, reopened_at__isnull=True).exists():
        # A closed month keeps the details it was checked with; its invoice (payment) is still read.
        runs.append(
            resync_partner_wide_request(
                name=INVOICE_DETAILS, params={"year": year, "month": month}, user=user
            )
        )
    return runs
