"""Writes of the billing domain: the resync's stores, the variance check, explanations and the price book.

The stores receive what the engine read (see billing/resync.py): a whole year of invoices, a whole month of
invoice details (only once the walk completed; the engine runs the store in one transaction, so the month's
rows are replaced as a whole or not at all), or one customer's usage snapshots of a month.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing import rules
from billing.models import (
    ITEM_TYPE_ORDER,
    DetailMonth,
    Finding,
    Invoice,
    InvoiceItem,
    PriceEntry,
    UsageSnapshot,
)
from customers.models import Customer, sort_name_for
from options.models import Option, OptionUsage
from partner_api.models import wire_text
from portal.core.models import AuditEntry
from portal.core.services import audit_record
from subscriptions.models import Subscription

#: Usage snapshots older than this many days are dropped when a customer's usage is stored.
USAGE_KEEP_DAYS = 120


class FindingNotFound(Exception):
    """The finding to explain does not exist (any more)."""


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
    the month's variance check. Runs inside the engine's transaction: all or nothing."""
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
    """Upsert a customer's daily usage snapshots (listCustomerUsages) and drop those past USAGE_KEEP_DAYS."""
    usages = list(getattr(remote, "usages", None) or [])
    days = [u.used_date for u in usages]
    if days:
        UsageSnapshot.objects.filter(
            domain_id=domain_id, used_date__gte=min(days), used_date__lte=max(days)
        ).delete()
    UsageSnapshot.objects.bulk_create(
        [
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
        ],
        ignore_conflicts=True,
    )
    cutoff = _business_date(synced_at) - dt.timedelta(days=USAGE_KEEP_DAYS)
    UsageSnapshot.objects.filter(domain_id=domain_id, used_date__lt=cutoff).delete()
    return len(usages)


def usage_clear(*, domain_id: int) -> None:
    UsageSnapshot.objects.filter(domain_id=domain_id).delete()


def _business_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(ZoneInfo(settings.BUSINESS_TIME_ZONE)).date()


# --- price book ------------------------------------------------------------------------------------------


class PriceBook:
    """The price book as of any day: `entry(item_id, plan, domain_id, day)` is the entry in force that day, a
    customer's override before the general price, a plan's price before the item's price for every plan.
    Read once, then looked up in memory."""

    def __init__(self, entries: Iterable[PriceEntry]) -> None:
        self._entries: dict[tuple[str, str, int | None], list[PriceEntry]] = defaultdict(list)
        for entry in entries:
            self._entries[(entry.item_id, entry.plan, entry.domain_id)].append(entry)
        for found in self._entries.values():
            found.sort(key=lambda e: (e.effective_from, e.pk or 0), reverse=True)

    @classmethod
    def load(cls) -> PriceBook:
        return cls(PriceEntry.objects.all())

    def entry(self, item_id: str, plan: str, domain_id: int | None, day: dt.date) -> PriceEntry | None:
        keys = (
            (item_id, plan, domain_id),
            (item_id, "", domain_id),
            (item_id, plan, None),
            (item_id, "", None),
        )
        for key in keys:
            for entry in self._entries.get(key, ()):
                if entry.effective_from <= day:
                    return entry
        return None

    def __bool__(self) -> bool:
        return bool(self._entries)


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
    """Add a price from a date (never rewrites an earlier price: past months keep the price they had)."""
    return PriceEntry.objects.create(
        item_id=item_id.strip(),
        plan=plan,
        domain_id=domain_id,
        cost=cost,
        price=price,
        effective_from=effective_from,
        created_by=user,
    )


# --- variance check --------------------------------------------------------------------------------------

ITEM_FIELDS = (
    "id",
    "domain_id",
    "customer_name",
    "subscription_id",
    "item_type",
    "item_id",
    "plan",
    "start_date",
    "end_date",
    "license_count",
    "member_count",
    "quantity",
    "amount",
)


def finding_month_check(*, year: int, month: int) -> dict[str, int]:
    """Compare the month's billed items with what the portal knew was sold that month; store the findings.

    Kinds: billed but not active (the customer was removed or cancelled before the month), active but not
    billed (a paid subscription of the month without a plan item), licence count differs (from the usage
    snapshot of the month's last day, or, for the last closed month, the subscription as cached), quantity
    differs (an option billed by quantity: from the option's usage on the month's last day, or, for the last
    closed month, the option as cached), a period
    that does not start or end at a known change (subscription start, a change recorded in the audit trail,
    a change seen in the usage snapshots), cost differs from the price book by more than ¥1, and an invoice
    that does not add up. A finding keeps its explanation when the check runs again; a finding that is not
    found any more is kept, marked as no longer found, only if it was explained.

    Returns the count of findings by kind.
    """
    first, last = rules.month_bounds(year, month)
    now = timezone.now()
    items = list(InvoiceItem.objects.filter(year=year, month=month).values(*ITEM_FIELDS))
    by_customer: dict[int, list[dict]] = defaultdict(list)
    for item in items:
        by_customer[item["domain_id"]].append(item)
    customers = {
        c["domain_id"]: c
        for c in Customer.objects.values("domain_id", "company_name", "removed_at", "withdrawal_date")
    }
    subs_by_customer: dict[int, list[dict]] = defaultdict(list)
    for sub in Subscription.objects.filter(plan__in=rules.PAID_PLANS).values(
        "subscription_id",
        "customer_id",
        "product_id",
        "plan",
        "license_count",
        "plan_start_date",
        "plan_end_date",
    ):
        subs_by_customer[sub["customer_id"]].append(sub)
    # What the usage snapshots of the month say (licences on the last day, days on which terms changed).
    snapshot_licences: dict[int, int | None] = {}
    snapshot_changes: dict[int, set[dt.date]] = defaultdict(set)
    previous: dict[int, tuple] = {}
    for snap in (
        UsageSnapshot.objects.filter(used_date__gte=first - dt.timedelta(days=1), used_date__lte=last)
        .values_list("domain_id", "used_date", "plan", "license_count", "member_count", "product_id")
        .order_by("domain_id", "used_date")
    ):
        domain_id, day, *terms = snap
        if domain_id in previous and previous[domain_id] != tuple(terms):
            snapshot_changes[domain_id].add(day)
        previous[domain_id] = tuple(terms)
        if day == last:
            snapshot_licences[domain_id] = terms[1]
    tz = ZoneInfo(settings.BUSINESS_TIME_ZONE)
    audit_days: dict[int, set[dt.date]] = defaultdict(set)
    for domain_id, created in AuditEntry.objects.filter(
        domain_id__isnull=False,
        created_at__gte=dt.datetime.combine(first - dt.timedelta(days=40), dt.time(), tzinfo=tz),
        created_at__lte=dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=tz),
    ).values_list("domain_id", "created_at"):
        audit_days[domain_id].add(created.astimezone(tz).date())
    last_closed = rules.last_closed_month(_business_date(now)) == (year, month)
    # Quantities of the options billed by quantity: the option's usage on the month's last day, else (for
    # the last closed month only) the option as cached.
    option_quantities: dict[tuple[int, str], int] = {}
    if last_closed:
        option_quantities.update(
            ((d, o), q)
            for d, o, q in Option.objects.filter(quantity__isnull=False).values_list(
                "customer_id", "option_product_id", "quantity"
            )
        )
    option_quantities.update(
        ((d, o), q)
        for d, o, q in OptionUsage.objects.filter(used_date=last, quantity__isnull=False).values_list(
            "customer_id", "option_product_id", "quantity"
        )
    )
    book = PriceBook.load()

    found: dict[tuple[int, str, str], dict[str, Any]] = {}
    flagged_items: set[int] = set()

    def add(domain_id: int, name: str, kind: str, subject: str, expected: str, billed: str, ids=()) -> None:
        found[(domain_id, kind, subject)] = {"customer_name": name, "expected": expected, "billed": billed}
        flagged_items.update(ids)

    invoice = Invoice.objects.filter(year=year, month=month).first()
    if invoice is not None and invoice.total_difference:
        add(
            0,
            "",
            Finding.Kind.ARITHMETIC,
            "total",
            str(invoice.computed_total),
            str(invoice.total_amount),
        )

    for domain_id, billed in by_customer.items():
        name = billed[0]["customer_name"]
        customer = customers.get(domain_id)
        products = [i for i in billed if i["item_type"] == "PRODUCT"]
        charged = [i for i in billed if i["item_type"] != "SUMMARY" and (i["amount"] or 0) > 0]
        gone_on = None
        if customer is None:
            gone_on = "unknown"
        elif customer["withdrawal_date"] and customer["withdrawal_date"] < first:
            gone_on = customer["withdrawal_date"].isoformat()
        elif customer["removed_at"] and _business_date(customer["removed_at"]) < first:
            gone_on = _business_date(customer["removed_at"]).isoformat()
        if gone_on and charged:
            add(
                domain_id,
                name,
                Finding.Kind.BILLED_NOT_ACTIVE,
                "customer",
                "" if gone_on == "unknown" else gone_on,
                str(sum(i["amount"] or 0 for i in charged)),
                [i["id"] for i in charged],
            )
        known_days = {s["plan_start_date"] for s in subs_by_customer.get(domain_id, ())}
        known_days |= snapshot_changes.get(domain_id, set()) | audit_days.get(domain_id, set())
        for item in products:
            # Licences at the end of the month.
            if item["plan"] in rules.LICENSE_PLANS and item["end_date"] == last:
                expected = None
                if domain_id in snapshot_licences:
                    expected = snapshot_licences[domain_id]
                elif last_closed:
                    sub = next(
                        (
                            s
                            for s in subs_by_customer.get(domain_id, ())
                            if s["subscription_id"] == item["subscription_id"]
                        ),
                        None,
                    )
                    expected = sub["license_count"] if sub else None
                if expected is not None and item["license_count"] != expected:
                    add(
                        domain_id,
                        name,
                        Finding.Kind.LICENCES,
                        f"{item['subscription_id']}",
                        f"{expected}",
                        f"{item['license_count']}",
                        [item["id"]],
                    )
            # A split period must start (or end) at a change the portal knows of.
            for boundary in _boundaries(item, first, last):
                if not any(abs((boundary - day).days) <= 1 for day in known_days):
                    add(
                        domain_id,
                        name,
                        Finding.Kind.PERIOD,
                        f"{item['subscription_id']}:{boundary.isoformat()}",
                        boundary.isoformat(),
                        f"{item['start_date']}..{item['end_date']}",
                        [item["id"]],
                    )
        # Quantities of options billed by quantity, at the end of the month.
        for item in billed:
            if item["item_type"] != "OPTION_PRODUCT" or item["quantity"] is None or item["end_date"] != last:
                continue
            expected = option_quantities.get((domain_id, item["item_id"]))
            if expected is not None and item["quantity"] != expected:
                add(
                    domain_id,
                    name,
                    Finding.Kind.QUANTITY,
                    f"{item['item_id']}",
                    f"{expected}",
                    f"{item['quantity']}",
                    [item["id"]],
                )
        # Cost against the price book.
        if book:
            for item in billed:
                if item["item_type"] not in ("PRODUCT", "OPTION_PRODUCT") or item["amount"] is None:
                    continue
                entry = book.entry(item["item_id"], item["plan"], domain_id, item["start_date"] or first)
                if entry is None:
                    continue
                expected_cost = rules.prorated(
                    entry.cost * rules.units(**_unit_args(item)),
                    item["start_date"] or first,
                    item["end_date"] or last,
                    year,
                    month,
                )
                if abs(expected_cost - item["amount"]) > rules.COST_TOLERANCE_YEN:
                    add(
                        domain_id,
                        name,
                        Finding.Kind.COST,
                        f"{item['item_id']}:{item['start_date']}",
                        str(expected_cost),
                        str(item["amount"]),
                        [item["id"]],
                    )

    for domain_id, subs in subs_by_customer.items():
        customer = customers.get(domain_id)
        if customer is None or customer["removed_at"] is not None:
            continue
        billed_products = {
            (i["subscription_id"], i["item_id"])
            for i in by_customer.get(domain_id, ())
            if i["item_type"] == "PRODUCT"
        }
        billed_ids = {s for s, _p in billed_products}
        billed_items = {p for _s, p in billed_products}
        for sub in subs:
            active = sub["plan_start_date"] <= last and (
                sub["plan_end_date"] is None or sub["plan_end_date"] >= first
            )
            if active and sub["subscription_id"] not in billed_ids and sub["product_id"] not in billed_items:
                add(
                    domain_id,
                    customer["company_name"],
                    Finding.Kind.ACTIVE_NOT_BILLED,
                    str(sub["subscription_id"]),
                    f"{sub['product_id']} {sub['plan']}",
                    "",
                )

    _findings_replace(year=year, month=month, found=found, now=now)
    InvoiceItem.objects.filter(year=year, month=month, flagged=True).exclude(pk__in=flagged_items).update(
        flagged=False
    )
    if flagged_items:
        InvoiceItem.objects.filter(pk__in=flagged_items).update(flagged=True)
    counts: dict[str, int] = defaultdict(int)
    for _domain, kind, _subject in found:
        counts[kind] += 1
    return dict(counts)


def _unit_args(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "plan": item["plan"],
        "license_count": item["license_count"],
        "member_count": item["member_count"],
        "quantity": item["quantity"],
    }


def _boundaries(item: Mapping[str, Any], first: dt.date, last: dt.date) -> list[dt.date]:
    """The days a split item's terms changed: its start (if after the 1st) and the day after its end (if
    before the month's last day)."""
    out = []
    if item["start_date"] and item["start_date"] > first:
        out.append(item["start_date"])
    if item["end_date"] and item["end_date"] < last:
        out.append(item["end_date"] + dt.timedelta(days=1))
    return out


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
    runs.append(
        resync_partner_wide_request(name=INVOICE_DETAILS, params={"year": year, "month": month}, user=user)
    )
    return runs
