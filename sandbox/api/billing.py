"""Tag billing: customer usages, invoices and invoice details (3 operations) and invoice issuing.

Everything here is derived from ``UsagePeriod`` rows: daily usages are expanded from them, and each month that
closes (on the 1st of the next month, business clock) becomes one ``Invoice`` with one ``InvoiceDetail`` per
billed customer and its ``SettlementItem`` rows, prorated per day when terms changed within the month.
Prices are sandbox.catalogue's; the seed part (13 months of invoices) is sandbox/seeding/billing.py.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, fields

from django.db import connection
from django.db.models import Q

from sandbox import clock
from sandbox.api.common import api_path, keyset_page, live_customer, ok, operation, page_scope, with_meta
from sandbox.api.errors import ApiError
from sandbox.catalogue import (
    LICENSE_PLANS,
    OPTION_PLUS_PRICE,
    PER_UNIT_OPTION_PRICES,
    PER_USER_OPTION_PRICES,
    PRODUCT_PRICES,
)
from sandbox.dates import DAY, days_of, month_bounds, month_end
from sandbox.models import Customer, Invoice, InvoiceDetail, SettlementItem, Subscription, UsagePeriod
from sandbox.rules import rule

PARTNER_NAME = "Sandbox Partner K.K."
TAX_RATE = 10
HISTORY_MONTHS = 13
PAID_AFTER_DAYS = 20  # invoices are paid this many days after issue (sandbox behaviour)


# --- amounts --------------------------------------------------------------------------------------------------


def users_of(period: UsagePeriod) -> int:
    """Licence plans bill licences; monthly plans bill members."""
    if period.plan in LICENSE_PLANS and period.license_count is not None:
        return period.license_count
    return period.member_count or 0


def monthly_amount(period: UsagePeriod) -> int:
    """Full-month price of what a period describes (0 for Free and Trial)."""
    if period.product_group_id == "OPTION_PLUS":
        return OPTION_PLUS_PRICE
    if not period.option_product_id:
        return PRODUCT_PRICES.get((period.product_id, period.plan), 0) * users_of(period)
    if period.plan == "TRIAL":
        return 0
    if period.sub_option_id in PER_UNIT_OPTION_PRICES:
        return PER_UNIT_OPTION_PRICES[period.sub_option_id] * (period.quantity or 1)
    return PER_USER_OPTION_PRICES.get(period.sub_option_id, 0) * users_of(period)


def item_type(period: UsagePeriod) -> str:
    if period.status == "PENALTY":
        return "PENALTY"
    if period.product_group_id == "OPTION_PLUS":
        return "OPTION_PLUS"
    return "OPTION_PRODUCT" if period.option_product_id else "PRODUCT"


def tax(amount: int) -> int:
    # x-unverified (listInvoices rule 5): the rounding rule is not documented; amounts are rounded down.
    return amount * TAX_RATE // 100


@dataclass(slots=True)
class Item:
    """A settlement item before it is written (rows are inserted in bulk, without model instances)."""

    item_type: str
    start_date: dt.date
    end_date: dt.date
    subscription_id: int | None = None
    item_id: str = ""
    sub_item_id: str = ""
    plan: str = ""
    license_count: int | None = None
    member_count: int = 0
    quantity: int | None = None
    status: str = ""
    amount: int | None = None
    position: int = 0


ITEM_COLUMNS = [f.name for f in fields(Item)]


def settlement_items(periods: Iterable[UsagePeriod], first: dt.date, last: dt.date) -> list[Item]:
    """One item per period overlapping the month, prorated per day; then the SUMMARY item."""
    days_in_month = (last - first).days + 1
    items: list[Item] = []
    billable = False
    for period in sorted(periods, key=lambda p: (p.option_product_id, p.start_date, p.pk or 0)):
        kind = item_type(period)
        start, end = max(first, period.start_date), min(last, period.end_date or last)
        if end < start:
            continue
        if kind == "PENALTY":
            # x-unverified (cancelSubscription rule 2): the fee is the months left of the annual term.
            amount = monthly_amount(_as_running(period)) * (period.quantity or 0)
        else:
            # rule: invoice_detail.prorated_per_period - each period is charged for its own span
            amount = round(monthly_amount(period) * ((end - start).days + 1) / days_in_month)
        billable = billable or amount > 0 or period.plan in LICENSE_PLANS or period.plan == "MONTHLY"
        items.append(
            Item(
                subscription_id=period.subscription_id,
                item_type=kind,
                start_date=start,
                end_date=end,
                item_id=period.option_product_id or period.product_id,
                sub_item_id=period.sub_option_id,
                plan=period.plan,
                license_count=period.license_count if period.plan in LICENSE_PLANS else None,
                member_count=period.member_count or 0,
                # rule: invoice_detail.quantity_counted_options_only
                quantity=period.quantity if period.option_product_id in ("SSTG2", "BCT") else None,
                status=period.status if kind != "PENALTY" else "CANCELLED",
                amount=amount,
            )
        )
    if not billable:
        return []
    # rule: invoice_detail.summary_sum - SUMMARY = PRODUCT + OPTION_PRODUCT + ADJUSTMENT
    summed = sum(i.amount or 0 for i in items if i.item_type in ("PRODUCT", "OPTION_PRODUCT", "ADJUSTMENT"))
    sub_ids = [i.subscription_id for i in items if i.subscription_id]
    items.append(
        Item(
            subscription_id=sub_ids[0] if sub_ids else None,
            item_type="SUMMARY",
            start_date=first,
            end_date=last,
            member_count=max((i.member_count for i in items), default=0),
            amount=summed,
        )
    )
    for position, item in enumerate(items):
        item.position = position
    return items


def _as_running(period: UsagePeriod) -> UsagePeriod:
    copy = UsagePeriod(**{f.attname: getattr(period, f.attname) for f in UsagePeriod._meta.concrete_fields})
    copy.status = "ACTIVE"
    return copy


def overlapping(first: dt.date, last: dt.date):
    return UsagePeriod.objects.filter(Q(end_date__isnull=True) | Q(end_date__gte=first), start_date__lte=last)


def issue_invoice(
    year: int,
    month: int,
    periods: Iterable[UsagePeriod],
    customers: dict[int, Customer],
    *,
    issued: dt.datetime,
) -> Invoice:
    """Create (or extend) the invoice of a usage month from the periods given."""
    first, last = month_bounds(year, month)
    by_customer: dict[int, list[UsagePeriod]] = defaultdict(list)
    for period in periods:
        by_customer[period.customer_id].append(period)
    invoice, _ = Invoice.objects.get_or_create(
        invoice_year=year,
        invoice_month=month,
        defaults={"partner_name": PARTNER_NAME, "tax_rate": TAX_RATE, "issued_time": issued},
    )
    details: list[tuple] = []
    item_lists: list[list[Item]] = []
    for customer_id in sorted(by_customer):
        items = settlement_items(by_customer[customer_id], first, last)
        customer = customers.get(customer_id)
        if not items or customer is None:
            continue
        details.append(
            (
                invoice.pk,
                customer_id,
                customer_id,
                customer.domain,
                customer.company_name,
                customer.customer_code or "",
            )
        )
        item_lists.append(items)
    # Plain executemany: Django's bulk_create spends most of the seed's time compiling SQL for these rows.
    insert_rows(
        InvoiceDetail,
        ["invoice", "customer", "domain_id", "domain", "customer_name", "customer_code"],
        details,
    )
    detail_ids = dict(InvoiceDetail.objects.filter(invoice=invoice).values_list("domain_id", "pk"))
    rows = []
    flat: list[Item] = []
    for detail, items in zip(details, item_lists, strict=True):
        detail_id = detail_ids[detail[2]]
        for item in items:
            flat.append(item)
            rows.append((detail_id, *(_db_value(getattr(item, name)) for name in ITEM_COLUMNS)))
    insert_rows(SettlementItem, ["detail", *ITEM_COLUMNS], rows)
    totals = defaultdict(int)
    for item in flat:
        totals[item.item_type] += item.amount or 0
    invoice.used_amount += totals["PRODUCT"] + totals["OPTION_PRODUCT"] + totals["ADJUSTMENT"]
    invoice.option_plus_amount += totals["OPTION_PLUS"]
    invoice.penalty_amount += totals["PENALTY"]
    finish_invoice(invoice)
    invoice.save()
    return invoice


def _db_value(value):
    return value.isoformat() if isinstance(value, dt.date) else value


def insert_rows(model, names: list[str], rows: list[tuple]) -> None:
    if not rows:
        return
    columns = ", ".join(f'"{model._meta.get_field(name).column}"' for name in names)
    marks = ", ".join(["%s"] * len(names))
    sql = f'INSERT INTO "{model._meta.db_table}" ({columns}) VALUES ({marks})'
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 5000):
            cursor.executemany(sql, rows[start : start + 5000])


def finish_invoice(invoice: Invoice) -> None:
    # rule: invoice.tax_amounts; rule: invoice.total_formula
    invoice.used_tax_amount = tax(invoice.used_amount)
    invoice.option_plus_tax_amount = tax(invoice.option_plus_amount)
    invoice.total_amount = (
        invoice.used_amount
        + invoice.used_tax_amount
        + invoice.option_plus_amount
        + invoice.option_plus_tax_amount
        + invoice.penalty_amount
    )
    # rule: invoice.payment_status - NONE when nothing is due
    if invoice.total_amount == 0:
        invoice.payment_status, invoice.paid_time = "NONE", None
    elif invoice.payment_status == "NONE":
        invoice.payment_status = "UNPAID"


def issue_time(year: int, month: int) -> dt.datetime:
    """00:00 (business time zone) on the 1st of the month after the usage month."""
    first_next = month_end(dt.date(year, month, 1)) + DAY
    return dt.datetime.combine(first_next, dt.time(), tzinfo=clock.business_tz())


# --- customer usages ------------------------------------------------------------------------------------------

CU_REQUIRED = rule("customer_usage.year_month_required", "listCustomerUsages", 0, code="MISSING_PARAMETER")
CU_MONTH = rule("customer_usage.month_range", "listCustomerUsages", 1)
CU_GROUP = rule("customer_usage.product_group_works", "listCustomerUsages", 2)
CU_DAYS = rule("customer_usage.daily_snapshots_in_month", "listCustomerUsages", 3)
CU_OWN = rule("customer_usage.own_customer_only", "listCustomerUsages", 4, status=404, code="NOT_FOUND")
CU_SCOPE = rule("customer_usage.either_scope", "listCustomerUsages", 5)
CU_LICENSES = rule("customer_usage.license_count_meaning", "listCustomerUsages", 6)
CU_NO_PAGES = rule("customer_usage.not_paginated", "listCustomerUsages", 7)


def _subscription_periods(customer: Customer, first: dt.date, last: dt.date) -> list[UsagePeriod]:
    periods = list(
        overlapping(first, last)
        .filter(customer=customer, option_product_id="", product_group_id="WORKS")
        .exclude(status="PENALTY")
        .order_by("start_date", "pk")
    )
    # A subscription started outside this module (createCustomer's deprecated productId) has no period yet.
    known = {p.subscription_id for p in UsagePeriod.objects.filter(customer=customer, option_product_id="")}
    for sub in Subscription.objects.filter(customer=customer, cancelled_on__isnull=True).exclude(
        pk__in=known
    ):
        periods.append(
            UsagePeriod(
                customer_id=customer.pk,
                subscription_id=sub.pk,
                product_id=sub.product_id,
                plan=sub.plan,
                license_count=sub.license_count,
                member_count=customer.member_count,
                max_member_count=customer.max_member_count,
                start_date=sub.plan_start_date,
            )
        )
    return periods


@operation(
    "listCustomerUsages",
    field_rules={"year": CU_REQUIRED, "month": CU_MONTH, "productGroupId": CU_GROUP},
)
def list_customer_usages(request, domainId: int):
    query, today = request.api.query, request.api.today
    # rule: customer_usage.own_customer_only; rule: customer_usage.either_scope (reads accept partner.read)
    customer = live_customer(domainId)
    try:
        first, last = month_bounds(query["year"], query["month"])
    except (ValueError, OverflowError):
        raise CU_MONTH.violation("year is out of range") from None
    # rule: customer_usage.daily_snapshots_in_month - no future days, none before the customer existed
    last = min(last, today)
    first = max(first, customer.created_on)
    rows = []
    for period in _subscription_periods(customer, first, last):
        running = period.end_date is None
        for day in days_of(period, first, last):
            rows.append(
                {
                    "productGroupId": period.product_group_id or "WORKS",
                    "usedDate": day,
                    "productId": period.product_id,
                    "plan": period.plan,
                    # rule: customer_usage.license_count_meaning - licences only for licence plans
                    "licenseCount": period.license_count if period.plan in LICENSE_PLANS else None,
                    "memberCount": customer.member_count if running else period.member_count,
                    "maxMemberCount": customer.max_member_count if running else period.max_member_count,
                    "status": customer.usage_status if running else (period.status or "ACTIVE"),
                }
            )
    rows.sort(key=lambda r: r["usedDate"])
    # rule: customer_usage.not_paginated
    return ok({"usages": rows})


# --- invoices -------------------------------------------------------------------------------------------------

INV_YEAR = rule("invoice.year_required", "listInvoices", 0)
INV_MONTHLY = rule("invoice.issued_monthly_on_first", "listInvoices", 1)
INV_USAGE_MONTH = rule("invoice.year_month_is_usage_month", "listInvoices", 2)
INV_FILTER = rule("invoice.filtered_by_usage_year", "listInvoices", 3)
INV_TOTAL = rule("invoice.total_formula", "listInvoices", 4)
INV_TAX = rule("invoice.tax_amounts", "listInvoices", 5)
INV_PAYMENT = rule("invoice.payment_status", "listInvoices", 6)
INV_NOT_YET = rule("invoice.current_month_not_issued", "listInvoices", 7)
INV_SCOPE = rule("invoice.either_scope", "listInvoices", 8)


def invoice_json(invoice: Invoice) -> dict:
    return {
        "invoiceNo": invoice.invoice_no,
        "invoiceYear": invoice.invoice_year,
        "invoiceMonth": invoice.invoice_month,
        "partnerName": invoice.partner_name,
        "usedAmount": invoice.used_amount,
        "optionPlusAmount": invoice.option_plus_amount,
        "taxRate": int(invoice.tax_rate)
        if invoice.tax_rate == int(invoice.tax_rate)
        else float(invoice.tax_rate),
        "usedTaxAmount": invoice.used_tax_amount,
        "optionPlusTaxAmount": invoice.option_plus_tax_amount,
        "penaltyAmount": invoice.penalty_amount,
        "totalAmount": invoice.total_amount,
        "paymentStatus": invoice.payment_status,
        # x-unverified (Invoice.paidTime): null until paid
        "paidTime": invoice.paid_time,
        "issuedTime": invoice.issued_time,
    }


@operation("listInvoices", field_rules={"year": INV_YEAR})
def list_invoices(request):
    # rule: invoice.filtered_by_usage_year (x-unverified: usage year, not issue year)
    # rule: invoice.year_month_is_usage_month; rule: invoice.current_month_not_issued
    year = request.api.query["year"]
    rows = Invoice.objects.filter(invoice_year=year).order_by("invoice_month") if 0 < year < 10_000 else []
    return ok({"invoices": [invoice_json(i) for i in rows]})


DET_REQUIRED = rule("invoice_detail.year_month_required", "listInvoiceDetails", 0)
DET_COUNT = rule("invoice_detail.count_range", "listInvoiceDetails", 1, code="OUT_OF_RANGE")
DET_PAGES = rule("invoice_detail.cursor_pages", "listInvoiceDetails", 2)
DET_CURSOR = rule("invoice_detail.foreign_cursor", "listInvoiceDetails", 3)
DET_PER_CUSTOMER = rule("invoice_detail.one_per_customer", "listInvoiceDetails", 4)
DET_PRORATED = rule("invoice_detail.prorated_per_period", "listInvoiceDetails", 5)
DET_SUMMARY = rule("invoice_detail.summary_sum", "listInvoiceDetails", 6)
DET_SUMMARY_CONFLICT = rule("invoice_detail.summary_conflict_flagged", "listInvoiceDetails", 7)
DET_QUANTITY = rule("invoice_detail.quantity_counted_options_only", "listInvoiceDetails", 8)
DET_SCOPE = rule("invoice_detail.either_scope", "listInvoiceDetails", 9)


def settlement_json(item: SettlementItem) -> dict:
    data = {
        "subscriptionId": item.subscription_id,
        "itemType": item.item_type,
        "startDate": item.start_date,
        "endDate": item.end_date,
        "itemId": item.item_id,
        "subItemId": item.sub_item_id,
        "plan": item.plan or None,
        "licenseCount": item.license_count,
        "memberCount": item.member_count,
        "quantity": item.quantity,
        "status": item.status,
        # x-unverified (SettlementItem.amount): the field name is assumed (README decision).
        "amount": item.amount,
    }
    return {k: v for k, v in data.items() if v is not None or k in ("licenseCount", "quantity", "amount")}


@operation(
    "listInvoiceDetails",
    field_rules={"year": DET_REQUIRED, "month": DET_REQUIRED, "count": DET_COUNT, "cursor": DET_CURSOR},
)
def list_invoice_details(request):
    query = request.api.query
    year, month, count = query["year"], query["month"], query["count"]
    invoice = (
        Invoice.objects.filter(invoice_year=year, invoice_month=month).first() if 0 < year < 10_000 else None
    )
    scope = page_scope("invoice-details", year, month)
    details_qs = InvoiceDetail.objects.filter(invoice=invoice) if invoice else InvoiceDetail.objects.none()
    try:
        # rule: invoice_detail.cursor_pages; rule: invoice_detail.foreign_cursor (400 INVALID_PARAMETER)
        rows, next_cursor = keyset_page(
            details_qs.prefetch_related("settlement_items"),
            keys=["domain_id", "pk"],
            count=count,
            cursor=query.get("cursor"),
            scope=scope,
        )
    except ApiError as error:
        error.rule = DET_CURSOR.name
        raise
    details = []
    # rule: invoice_detail.one_per_customer
    for detail in rows:
        items = sorted(detail.settlement_items.all(), key=lambda i: i.position)
        details.append(
            {
                "domainId": detail.domain_id,
                "domain": detail.domain,
                "customerName": detail.customer_name,
                "customerCode": detail.customer_code,
                "settlementItems": [settlement_json(i) for i in items],
            }
        )
    return ok(with_meta({"invoiceDetails": details}, next_cursor))


# --- clock effect ---------------------------------------------------------------------------------------------


@clock.due_effect("billing.invoices", order=90)
def issue_monthly_invoice(day: dt.date) -> None:
    """On the 1st, the month that closed becomes an invoice; invoices are paid PAID_AFTER_DAYS after issue."""
    if day.day == 1:
        closed = day - DAY
        if not Invoice.objects.filter(invoice_year=closed.year, invoice_month=closed.month).exists():
            first, last = month_bounds(closed.year, closed.month)
            periods = list(overlapping(first, last))
            ids = {p.customer_id for p in periods}
            customers = {c.pk: c for c in Customer.objects.filter(pk__in=ids)}
            issue_invoice(
                closed.year, closed.month, periods, customers, issued=issue_time(closed.year, closed.month)
            )
    due = dt.datetime.combine(day - dt.timedelta(days=PAID_AFTER_DAYS), dt.time(), tzinfo=clock.business_tz())
    paid_at = dt.datetime.combine(day, dt.time(9), tzinfo=clock.business_tz())
    Invoice.objects.filter(payment_status="UNPAID", issued_time__lte=due).update(
        payment_status="PAID", paid_time=paid_at
    )


urlpatterns = [
    api_path("/partners/customers/{domainId}/usages", get=list_customer_usages),
    api_path("/partners/invoices", get=list_invoices),
    api_path("/partners/invoice-details", get=list_invoice_details),
]
