"""Seed part of the options domain: options of every kind each seeded plan allows, their usage periods and
renewal settings, and option orders (also with the pre-orders and paid conversions of the subscriptions part).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from sandbox.catalogue import CAPACITY, PAID_EQUIVALENT, PAID_SUB_OPTION, QUANTITY_OPTIONS, TRIAL_ABLE_OPTIONS
from sandbox.dates import DAY, TRIAL_DAYS, next_month_first
from sandbox.models import (
    OptionProduct,
    OptionProductOrder,
    Subscription,
    SubscriptionPreOrder,
    SubscriptionReservation,
    UsagePeriod,
)
from sandbox.seed import SeedContext, seed_part

PAID_CHOICES = {
    "STD": [
        ("ACV2", ["ACV201"]),
        ("DRV", ["DRV01", "DRV_PS"]),
        ("SSTG2", ["SSTG201", "SSTG202", "SSTG203"]),
        ("BCT", ["BCT01", "BCT02"]),
    ],
    "ADV": [
        ("ACV2", ["ACV201"]),
        ("DRV", ["DRV_PA"]),
        ("SSTG2", ["SSTG202", "SSTG203", "SSTG204"]),
        ("BCT", ["BCT01", "BCT03"]),
    ],
}
TRIAL_CHOICES = {
    "STD": [("ACV2", "ACV200"), ("DRV", "DRV00"), ("DRV", "DRV_PS_T")],
    "ADV": [("ACV2", "ACV200"), ("DRV", "DRV_PA_T")],
}


@seed_part("options", order=30)
def seed_options(ctx: SeedContext) -> None:
    """Options of every kind each plan allows, their usage periods, renewal settings and option orders."""
    today = ctx.today
    subs: dict[int, Subscription] = getattr(ctx, "subscriptions", {})
    customers = {c.pk: c for c in ctx.customers}
    options: list[OptionProduct] = []
    periods: list[UsagePeriod] = []
    orders: list[OptionProductOrder] = []
    now = timezone.now()
    history_start = (today.replace(day=1) - dt.timedelta(days=400)).replace(day=1)
    for domain_id, sub in subs.items():
        if sub.plan == "FREE":
            continue
        rng = ctx.rng_for("options", domain_id)
        if sub.plan == "TRIAL":
            if sub.status != "SUSPENDED_TRIALEND":
                options.extend(_trial_options(domain_id, sub, rng, today, now))
            continue
        mine: list[OptionProduct] = []
        for option_id, sub_options in PAID_CHOICES[sub.product_id[:3]]:
            roll = rng.random()
            if roll > 0.45:
                continue
            option, period, order = _paid_option(
                customers[domain_id], sub, option_id, sub_options, roll, rng, today, now, history_start
            )
            mine.append(option)
            periods.extend([period] if period else [])
            orders.extend([order] if order else [])
        options.extend(mine)
        # Options scheduled to be added on the renewal date.
        if "ACV2" not in {o.option_product_id for o in mine[-4:]} and rng.random() < 0.05:
            orders.append(_order(domain_id, sub, "ACV2", "ACV201", "APPLY", None, sub.plan_end_date + DAY))
    OptionProduct.objects.bulk_create(options, batch_size=2000)
    UsagePeriod.objects.bulk_create(periods, batch_size=2000)
    orders.extend(_orders_with_conversions(ctx, customers))
    seen: set[tuple[int, str]] = set()
    unique = []
    for order in orders:
        key = (order.customer_id, order.option_product_id)
        if key not in seen:
            seen.add(key)
            unique.append(order)
    OptionProductOrder.objects.bulk_create(unique, batch_size=2000)
    ctx.counts["options"] = len(options)
    ctx.counts["option_orders"] = len(unique)


def _trial_options(domain_id: int, sub: Subscription, rng, today: dt.date, now) -> list[OptionProduct]:
    """A Trial subscription's Trial options: each Trial sub option its product allows, two in five."""
    taken: set[str] = set()
    options = []
    for option_id, sub_option in TRIAL_CHOICES[sub.product_id[:3]]:
        if option_id in taken or rng.random() > 0.4:
            continue
        taken.add(option_id)
        start = max(sub.plan_start_date, today - dt.timedelta(days=rng.randint(0, 20)))
        options.append(
            OptionProduct(
                customer_id=domain_id,
                subscription_id=sub.pk,
                option_product_id=option_id,
                sub_option_id=sub_option,
                plan="TRIAL",
                applied_time=now - dt.timedelta(days=(today - start).days),
                plan_start_date=start,
                plan_end_date=start + dt.timedelta(days=TRIAL_DAYS - 1),
            )
        )
    return options


def _paid_option(
    customer, sub: Subscription, option_id: str, sub_options, roll: float, rng, today, now, history_start
):
    """One option of a paid subscription (now and then in its Trial), its usage period (a paid one) and its
    scheduled task, if any: (option, period or None, order or None)."""
    domain_id = customer.pk
    trial = option_id in TRIAL_ABLE_OPTIONS and roll < 0.06
    sub_option = rng.choice(sub_options)
    if trial:
        sub_option = {v: k for k, v in PAID_SUB_OPTION.items()}.get(sub_option, sub_option)
    quantity = rng.randint(1, 3) if option_id in QUANTITY_OPTIONS else None
    start = max(sub.plan_start_date, today - dt.timedelta(days=rng.randint(10, 300)))
    if trial:
        start = today - dt.timedelta(days=rng.randint(0, TRIAL_DAYS - 1))
    usage = None
    if option_id in QUANTITY_OPTIONS:
        usage = int(CAPACITY[sub_option] * (quantity or 1) * rng.uniform(0.1, 0.9))
    option = OptionProduct(
        customer_id=domain_id,
        subscription_id=sub.pk,
        option_product_id=option_id,
        sub_option_id=sub_option,
        quantity=quantity,
        plan="TRIAL" if trial else sub.plan,
        applied_time=now - dt.timedelta(days=(today - start).days),
        plan_start_date=start,
        plan_end_date=start + dt.timedelta(days=TRIAL_DAYS - 1) if trial else sub.plan_end_date,
        renewal_type="" if trial else "STAY",
        usage_count=usage,
    )
    if not trial and option_id in QUANTITY_OPTIONS and rng.random() < 0.15:
        option.renewal_type = "CHANGE"
        option.renewal_quantity = max(1, (quantity or 1) - 1)
    period = None
    if not trial:
        period = UsagePeriod(
            customer_id=domain_id,
            subscription_id=sub.pk,
            product_id=sub.product_id,
            plan=sub.plan,
            option_product_id=option_id,
            sub_option_id=sub_option,
            license_count=sub.license_count,
            member_count=customer.member_count,
            quantity=quantity,
            usage_count=usage,
            start_date=max(start, history_start),
        )
    # Scheduled tasks for options in use.
    task_roll = rng.random()
    order = None
    if trial and task_roll < 0.5:
        order = _order(
            domain_id,
            sub,
            option_id,
            PAID_SUB_OPTION[sub_option],
            "START_PAID_SERVICE",
            None,
            today + DAY + dt.timedelta(days=rng.randint(0, 10)),
        )
    elif not trial and task_roll < 0.05 and sub.plan_end_date > today:
        order = _order(domain_id, sub, option_id, sub_option, "CANCEL", None, sub.plan_end_date + DAY)
    elif (
        not trial
        and option_id in QUANTITY_OPTIONS
        and task_roll < 0.12
        and next_month_first(today) <= sub.plan_end_date
    ):
        order = _order(
            domain_id,
            sub,
            option_id,
            sub_option,
            "CHANGE_QUANTITY",
            (quantity or 1) + 1,
            next_month_first(today),
        )
    return option, period, order


def _orders_with_conversions(ctx: SeedContext, customers) -> list[OptionProductOrder]:
    """Options scheduled with the pre-orders and paid conversions that the subscriptions part created."""
    orders = []
    for pre in SubscriptionPreOrder.objects.filter(customer_id__in=list(customers)).order_by("pk"):
        if ctx.rng_for("pre-order-options", pre.customer_id).random() < 0.4:
            order = _order(pre.customer_id, None, "SSTG2", "SSTG201", "APPLY", 1, pre.apply_date)
            order.pre_order = pre
            orders.append(order)
    for res in SubscriptionReservation.objects.filter(
        subscription__customer_id__in=list(customers), type="START_PAID_SERVICE"
    ).select_related("subscription"):
        sub = res.subscription
        if sub.plan == "TRIAL" and ctx.rng_for("conversion-options", sub.customer_id).random() < 0.4:
            product = PAID_EQUIVALENT[sub.product_id]
            if not OptionProduct.objects.filter(subscription=sub, option_product_id="ACV2").exists():
                orders.append(_order(sub.customer_id, sub, "ACV2", "ACV201", "APPLY", None, res.apply_date))
            if product == "STD":
                orders.append(_order(sub.customer_id, sub, "BCT", "BCT01", "APPLY", 1, res.apply_date))
    return orders


def _order(domain_id, sub, option_id, sub_option, kind, quantity, day) -> OptionProductOrder:
    return OptionProductOrder(
        customer_id=domain_id,
        subscription=sub,
        option_product_id=option_id,
        sub_option_id=sub_option,
        type=kind,
        quantity=quantity,
        apply_date=day,
    )
