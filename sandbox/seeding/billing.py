"""Seed part of the billing domain: 13 closed months of invoices and invoice details, issued from the usage
periods of the seeded customers the way the clock issues them, with two deliberate anomalies in the last month.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F, Q

from sandbox import clock
from sandbox.api.billing import HISTORY_MONTHS, PAID_AFTER_DAYS, finish_invoice, issue_invoice, issue_time
from sandbox.catalogue import LICENSE_PLANS, PRODUCT_PRICES
from sandbox.dates import month_bounds
from sandbox.models import Customer, Invoice, InvoiceDetail, SettlementItem, UsagePeriod
from sandbox.seed import SeedContext, seed_part


@seed_part("billing", order=90)
def seed_billing(ctx: SeedContext) -> None:
    """13 closed months of invoices and invoice details from the usage periods of the seeded customers."""
    customers = {c.pk: c for c in ctx.customers}
    if not customers:
        return
    today = ctx.today
    periods_by_month: dict[tuple[int, int], list[UsagePeriod]] = {}
    months = []
    first_of_month = today.replace(day=1)
    for back in range(HISTORY_MONTHS, 0, -1):
        index = first_of_month.year * 12 + first_of_month.month - 1 - back
        months.append((index // 12, index % 12 + 1))
    history_start = dt.date(*months[0], 1)
    still_billed = _anomaly_cancelled_still_billed(ctx, dt.date(*months[-1], 1))
    # Option-plus apps (non-realtime paid apps) of seeded customers: billed every month.
    plus = [
        UsagePeriod(
            customer_id=c.pk,
            product_group_id="OPTION_PLUS",
            product_id="",
            plan="MONTHLY",
            member_count=c.member_count,
            start_date=max(history_start, c.created_on),
        )
        for c in ctx.customers
        if c.has_non_realtime_paid_app
    ]
    UsagePeriod.objects.bulk_create(plus, batch_size=2000)
    all_periods = list(
        UsagePeriod.objects.filter(customer_id__in=list(customers)).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=history_start)
        )
    )
    for year, month in months:
        first, last = month_bounds(year, month)
        periods_by_month[(year, month)] = [
            p for p in all_periods if p.start_date <= last and (p.end_date is None or p.end_date >= first)
        ]
    count = 0
    with transaction.atomic():
        for year, month in months:
            invoice = issue_invoice(
                year, month, periods_by_month[(year, month)], customers, issued=issue_time(year, month)
            )
            issued_day = issue_time(year, month).date()
            if (
                invoice.payment_status == "UNPAID"
                and issued_day + dt.timedelta(days=PAID_AFTER_DAYS) <= today
            ):
                invoice.payment_status = "PAID"
                invoice.paid_time = dt.datetime.combine(
                    issued_day + dt.timedelta(days=PAID_AFTER_DAYS), dt.time(9), tzinfo=clock.business_tz()
                )
                invoice.save(update_fields=["payment_status", "paid_time"])
            count += 1
        licence = _anomaly_licences_billed_differently(ctx, *months[-1])
    ctx.counts["invoices"] = count
    ctx.counts["billing_anomalies"] = int(still_billed is not None) + int(licence is not None)
    ctx.counts["invoice_details"] = InvoiceDetail.objects.filter(customer_id__in=list(customers)).count()


# --- deliberate anomalies of the seed ---------------------------------------------------------------------------
# The last closed month carries two mistakes a partner's finance team should catch (a portal's check has something
# real to find). Both are deterministic (a customer that fits, in domainId order) and stay within the
# contract: every field keeps its documented shape; only the figures disagree with the sandbox's own history.


def _anomaly_cancelled_still_billed(ctx: SeedContext, last_month_first: dt.date) -> Customer | None:
    """A customer whose cancellation took effect before the last closed month, still billed for that month.

    The customer has a paid app without real-time billing, so it is kept after its withdrawalDate, pending
    (rule usage.withdrawal_pending_deletion): getUsageStatus shows SUSPENDED_WITHDRAWAL and the past date. Its
    usage periods are left running, so the month's invoice bills it in full: the mistake.
    """
    with_options = set(
        UsagePeriod.objects.exclude(option_product_id="").values_list("customer_id", flat=True).distinct()
    )
    # The last customer that fits (tests that pick a seeded customer take the first ones), without options.
    for customer in sorted(ctx.customers, key=lambda c: c.pk, reverse=True):
        plan = ctx.plans.get(customer.pk)
        if (
            plan is None
            or customer.pk in with_options
            or plan.plan != "MONTHLY"
            or customer.is_partner_own
            or customer.withdrawal_date is not None
            or customer.created_on >= last_month_first - dt.timedelta(days=40)
        ):
            continue
        customer.withdrawal_date = last_month_first - dt.timedelta(days=12)
        customer.usage_status = "SUSPENDED_WITHDRAWAL"
        customer.has_non_realtime_paid_app = True
        customer.save(update_fields=["withdrawal_date", "usage_status", "has_non_realtime_paid_app"])
        return customer
    return None


def _anomaly_licences_billed_differently(ctx: SeedContext, year: int, month: int) -> SettlementItem | None:
    """A licence plan billed for 3 licences more than the subscription has, for the whole last closed month."""
    first, last = month_bounds(year, month)
    invoice = Invoice.objects.get(invoice_year=year, invoice_month=month)
    item = (
        SettlementItem.objects.filter(
            detail__invoice=invoice,
            item_type="PRODUCT",
            plan__in=LICENSE_PLANS,
            start_date=first,
            end_date=last,
            license_count__isnull=False,
        )
        .order_by("detail__domain_id", "position")
        .first()
    )
    if item is None:
        return None
    extra = 3
    delta = PRODUCT_PRICES.get((item.item_id, item.plan), 0) * extra
    item.license_count += extra
    item.amount = (item.amount or 0) + delta
    item.save(update_fields=["license_count", "amount"])
    SettlementItem.objects.filter(detail=item.detail, item_type="SUMMARY").update(amount=F("amount") + delta)
    invoice.used_amount += delta
    finish_invoice(invoice)
    invoice.save()
    return item
