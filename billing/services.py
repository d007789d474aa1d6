"""Writes of the billing domain: the resync's stores, the variance check's run and storage, explanations and the
price book.

The stores receive what the engine read (see billing/resync.py): a whole year of invoices, a whole month of
invoice details (only once the walk completed; the engine runs the store in one transaction, so the month's
rows are replaced as a whole or not at all), or one customer's usage snapshots of a month.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing import findings, rules
from billing.models import (
    ITEM_TYPE_ORDER,
    DetailMonth,
    Finding,
    Invoice,
    InvoiceItem,
    MonthClosing,
    PriceEntry,
    UsageSnapshot,
)
from billing.usage import usage_before, usage_marks, usage_premark
from customers.models import sort_name_for
from partner_api.models import wire_text
from portal.core.collector import collector_paused
from portal.core.copies import holds_already
from portal.core.models import AuditEntry
from portal.core.services import audit_record

#: Usage snapshots older than this many days are thinned when a customer's usage is stored: only those the
#: check of a past month reads stay (see `usage_thin`).
USAGE_KEEP_DAYS = 120


class FindingNotFound(Exception):
    """The finding to explain does not exist (any more)."""


class MonthClosed(Exception):
    """A write would change a month Finance closed (its findings, explanations or prices); an Admin reopens it
    first."""

    def __init__(self, year: int, month: int) -> None:
        super().__init__(f"{year}-{month:02d} is closed")
        self.year, self.month = year, month


class MonthNotClosable(Exception):
    """The month cannot be closed (it is still running) or reopened (it is not closed)."""


def _refuse_if_closed(year: int, month: int) -> None:
    if MonthClosing.objects.filter(year=year, month=month, reopened_at__isnull=True).exists():
        raise MonthClosed(year, month)


# --- stores (resync) -------------------------------------------------------------------------------------


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
    finding_month_check(year=year, month=month)
    return len(rows)


def usage_store(*, domain_id: int, remote: Any, synced_at: dt.datetime) -> int:
    """Upsert a customer's daily usage snapshots (listCustomerUsages), work out their marks
    (`billing.usage.usage_marks`) and thin those past USAGE_KEEP_DAYS (which keeps the marks true). Days the
    copy already holds as read are only stamped read again."""
    usages = list(getattr(remote, "usages", None) or [])
    days = [u.used_date for u in usages]
    snapshots = [
        UsageSnapshot(
            domain_id=domain_id,
            used_date=u.used_date,
            product_group_id=wire_text(u.product_group_id) or "WORKS",
            product_id=wire_text(u.product_id),
            plan=wire_text(u.plan),
            license_count=u.license_count,
            member_count=u.member_count,
            max_member_count=u.max_member_count,
            status=wire_text(u.status),
            synced_at=synced_at,
        )
        for u in usages
    ]
    if days:
        held = UsageSnapshot.objects.filter(
            domain_id=domain_id, used_date__gte=min(days), used_date__lte=max(days)
        )
        if holds_already(held, snapshots, _SNAPSHOT_FIELDS, key=2):
            # The days read hold what the copy holds: only when they were read is new (their marks stay true).
            held.update(synced_at=synced_at)
            usage_thin(
                domain_id=domain_id, before=_business_date(synced_at) - dt.timedelta(days=USAGE_KEEP_DAYS)
            )
            return len(usages)
        held.delete()
        # Written marked (an update after would leave every row's old version in the partial indexes).
        groups = {s.product_group_id for s in snapshots}
        usage_premark(snapshots, before=usage_before(domain_id=domain_id, day=min(days), groups=groups))
    UsageSnapshot.objects.bulk_create(snapshots, ignore_conflicts=True)
    if days:
        usage_marks(domain_id=domain_id, since=min(days))  # the rows around them
    usage_thin(domain_id=domain_id, before=_business_date(synced_at) - dt.timedelta(days=USAGE_KEEP_DAYS))
    return len(usages)


#: A customer's usage snapshots, each known by its day and product group (`holds_already`'s key: the first two).
_SNAPSHOT_FIELDS = (
    "used_date",
    "product_group_id",
    "product_id",
    "plan",
    "license_count",
    "member_count",
    "max_member_count",
    "status",
)


def usage_thin(*, domain_id: int, before: dt.date) -> int:
    """Drop the customer's snapshots before `before` that a past month's check can do without: a day whose
    terms are those of the day before and the day after, neither the first nor the last of its month. What
    stays tells each month's check what held on every day (the terms run unchanged between kept days), so a
    month checked again years later finds what it found on its last day."""
    rows = list(
        UsageSnapshot.objects.filter(domain_id=domain_id, used_date__lte=before)
        .order_by("product_group_id", "used_date")
        .values_list(
            "pk", "product_group_id", "used_date", "product_id", "plan", "license_count", "member_count"
        )
    )
    drop = []
    for index, (pk, group, day, *terms) in enumerate(rows):
        if day >= before or day.day == 1 or (day + dt.timedelta(days=1)).day == 1:
            continue
        neighbours = [rows[i] for i in (index - 1, index + 1) if 0 <= i < len(rows)]
        if len(neighbours) == 2 and all(
            n[1] == group and abs((n[2] - day).days) == 1 and list(n[3:]) == terms for n in neighbours
        ):
            drop.append(pk)
    UsageSnapshot.objects.filter(pk__in=drop).delete()
    return len(drop)


def usage_clear(*, domain_id: int) -> None:
    UsageSnapshot.objects.filter(domain_id=domain_id).delete()


def _business_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(ZoneInfo(settings.BUSINESS_TIME_ZONE)).date()


# --- price book (the book itself and pricing: billing/prices.py) ---------------------------------------


def price_entry_create(
    *,
    user,
    item_id: str,
    plan: str,
    domain_id: int | None,
    cost: int,
    price: int,
    effective_from: dt.date,
) -> PriceEntry:
    """Add a price from a date (never rewrites an earlier price: past months keep the price they had). Refused
    (`MonthClosed`) when the price would be in force in a closed month (the form says so first)."""
    item_id = item_id.strip()
    later = (
        PriceEntry.objects.filter(
            item_id=item_id, plan=plan, domain_id=domain_id, effective_from__gt=effective_from
        )
        .order_by("effective_from")
        .values_list("effective_from", flat=True)
        .first()
    )
    closed = set(MonthClosing.objects.filter(reopened_at__isnull=True).values_list("year", "month"))
    touched = rules.closed_month_touched(effective_from, later, closed)
    if touched is not None:
        raise MonthClosed(*touched)
    return PriceEntry.objects.create(
        item_id=item_id,
        plan=plan,
        domain_id=domain_id,
        cost=cost,
        price=price,
        effective_from=effective_from,
        created_by=user,
    )


# --- variance check (the facts and the kinds of finding: billing/findings.py) ------------------------------


def finding_month_check(*, year: int, month: int) -> dict[str, int]:
    """Run every declared kind of finding (`billing.findings.KINDS`) on the month's facts, loaded once, and
    store what they found. A finding keeps its explanation when the check runs again; a finding that is not
    found any more is kept, marked as no longer found, only if it was explained. The items a finding is about
    are flagged. Returns the count of findings by kind. A closed month is not checked again (`MonthClosed`)."""
    _refuse_if_closed(year, month)
    now = timezone.now()
    found: dict[tuple[int, str, str], dict[str, Any]] = {}
    flagged_items: set[int] = set()
    with collector_paused():
        found_now = findings.findings_of(findings.month_facts(year=year, month=month))
    for finding in found_now:
        found[(finding.domain_id, finding.kind, finding.subject)] = {
            "customer_name": finding.customer_name,
            "expected": finding.expected,
            "billed": finding.billed,
        }
        flagged_items.update(finding.items)
    _findings_replace(year=year, month=month, found=found, now=now)
    DetailMonth.objects.filter(year=year, month=month).update(
        unchecked=findings.customers_without_usage(year=year, month=month)
    )
    # Only the items whose flag changes are written (most checks flag the same few items again).
    was = set(InvoiceItem.objects.filter(year=year, month=month, flagged=True).values_list("pk", flat=True))
    for pks, flagged in ((sorted(was - flagged_items), False), (sorted(flagged_items - was), True)):
        for index in range(0, len(pks), 500):
            InvoiceItem.objects.filter(pk__in=pks[index : index + 500]).update(flagged=flagged)
    counts: dict[str, int] = defaultdict(int)
    for _domain, kind, _subject in found:
        counts[kind] += 1
    return dict(counts)


def _findings_replace(*, year: int, month: int, found: dict, now: dt.datetime) -> None:
    existing = {(f.domain_id, f.kind, f.subject): f for f in Finding.objects.filter(year=year, month=month)}
    create, update, gone = [], [], []
    for key, values in found.items():
        finding = existing.pop(key, None)
        if finding is None:
            create.append(
                Finding(
                    year=year,
                    month=month,
                    domain_id=key[0],
                    kind=key[1],
                    subject=key[2],
                    checked_at=now,
                    still_found=True,
                    **values,
                )
            )
        else:
            for name, value in values.items():
                setattr(finding, name, value)
            finding.still_found, finding.checked_at = True, now
            update.append(finding)
    for finding in existing.values():
        if finding.explained:
            finding.still_found, finding.checked_at = False, now
            update.append(finding)
        else:
            gone.append(finding.pk)
    Finding.objects.filter(pk__in=gone).delete()
    Finding.objects.bulk_create(create, batch_size=2000)
    Finding.objects.bulk_update(
        update, ["customer_name", "expected", "billed", "still_found", "checked_at"], batch_size=2000
    )


def finding_explain(*, user, finding_id: int, note: str) -> Finding:
    """Mark a finding explained with a note; recorded in the audit trail (who, when, which customer)."""
    with transaction.atomic():
        finding = Finding.objects.select_for_update().filter(pk=finding_id).first()
        if finding is None:
            raise FindingNotFound("This finding no longer exists; run the check again.")
        _refuse_if_closed(finding.year, finding.month)
        finding.explained, finding.note = True, note
        finding.explained_by, finding.explained_at = user, timezone.now()
        finding.save(update_fields=["explained", "note", "explained_by", "explained_at"])
        audit_record(
            actor=user,
            domain_id=finding.domain_id or None,
            operation_id="billing.explainFinding",
            sent={
                "month": f"{finding.year}-{finding.month:02d}",
                "kind": finding.kind,
                "subject": finding.subject,
                "note": note,
            },
            outcome=AuditEntry.Outcome.SUCCEEDED,
            reason=note,
        )
    return finding


# --- fetch requests --------------------------------------------------------------------------------------


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


# --- closing a month ---------------------------------------------------------------------------------------


def month_close(*, user, year: int, month: int, today: dt.date) -> MonthClosing:
    """Close a usage month that has ended: its findings, explanations and the prices in force in it become
    read-only. Audited. `MonthNotClosable` for the running month, `MonthClosed` when it is closed already."""
    if not rules.closable(year, month, today):
        raise MonthNotClosable("The month is still running.")
    with transaction.atomic():
        _refuse_if_closed(year, month)
        closing = MonthClosing.objects.create(
            year=year, month=month, closed_at=timezone.now(), closed_by=user
        )
        audit_record(
            actor=user,
            operation_id="portal.closeBillingMonth",
            sent={"month": f"{year}-{month:02d}"},
            outcome=AuditEntry.Outcome.SUCCEEDED,
        )
    return closing


def month_reopen(*, user, year: int, month: int, reason: str) -> MonthClosing:
    """Reopen a closed month (an Admin, with a reason): its closing is stamped, never deleted, so the month's
    page shows who closed and who reopened it. Audited with the reason. `MonthNotClosable` when it is not
    closed."""
    with transaction.atomic():
        closing = (
            MonthClosing.objects.select_for_update()
            .filter(year=year, month=month, reopened_at__isnull=True)
            .first()
        )
        if closing is None:
            raise MonthNotClosable("The month is not closed.")
        closing.reopened_at, closing.reopened_by, closing.reopen_reason = timezone.now(), user, reason
        closing.save(update_fields=["reopened_at", "reopened_by", "reopen_reason"])
        audit_record(
            actor=user,
            operation_id="portal.reopenBillingMonth",
            sent={
                "month": f"{year}-{month:02d}",
                "closed_by": closing.closed_by.username if closing.closed_by else "",
                "closed_at": closing.closed_at.isoformat(),
            },
            outcome=AuditEntry.Outcome.SUCCEEDED,
            reason=reason,
        )
    return closing
