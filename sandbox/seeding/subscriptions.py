"""Seed part of the subscriptions domain: one subscription per seeded customer (its product and plan from
``ctx.plans``) with renewal settings, its usage history, reservations and pre-orders.
"""

from __future__ import annotations

import datetime as dt

from sandbox.catalogue import LICENSE_PLANS, PAID_PLANS
from sandbox.dates import DAY, GRACE_DAYS, TRIAL_DAYS, add_years, month_end
from sandbox.models import Customer, Subscription, SubscriptionPreOrder, SubscriptionReservation, UsagePeriod
from sandbox.seed import SeedContext, seed_part
from sandbox.usage import FREE_CONVERSION_DAYS, FREE_PRE_ORDER_DAYS, grace_end, subscription_period, term_end


def _current_term(plan: str, start: dt.date, today: dt.date) -> tuple[dt.date, dt.date | None]:
    """The term of a contract begun on ``start`` that contains ``today``."""
    if plan == "MONTHLY":
        first = today.replace(day=1)
        return max(start, first), month_end(today)
    if plan in LICENSE_PLANS:
        years = today.year - start.year
        term_start = add_years(start, years)
        if term_start > today:
            term_start = add_years(start, years - 1)
        return term_start, add_years(term_start, 1) - DAY
    return start, term_end(plan, start)


@seed_part("subscriptions", order=20)
def seed_subscriptions(ctx: SeedContext) -> None:
    """One subscription per seeded customer (from ``ctx.plans``) with renewal settings, its usage history,
    reservations and pre-orders. Keeps ``ctx.subscriptions`` (domain_id -> Subscription) for options/billing."""
    today = ctx.today
    subs: list[Subscription] = []
    periods: list[UsagePeriod] = []
    pre_orders: list[SubscriptionPreOrder] = []

    customers = {c.pk: c for c in ctx.customers}
    for customer in ctx.customers:
        plan = ctx.plans.get(customer.pk)
        if plan is None or customer.deleted_on is not None:
            continue
        rng = ctx.rng_for("subscriptions", customer.pk)
        subs.append(_subscription(customer, plan, rng, today))
    Subscription.objects.bulk_create(subs, batch_size=2000)
    ctx.subscriptions = {s.customer_id: s for s in subs}
    reservations: list[SubscriptionReservation] = []
    history_start = (today.replace(day=1) - dt.timedelta(days=400)).replace(day=1)
    for sub in subs:
        customer = customers[sub.customer_id]
        plan = ctx.plans[sub.customer_id]
        rng = ctx.rng_for("subscription-tasks", sub.customer_id)
        periods.extend(_usage_history(sub, customer, plan, rng, today, history_start))
        reservation, pre_order = _scheduled(sub, customer, plan, rng, today)
        reservations.extend([reservation] if reservation else [])
        pre_orders.extend([pre_order] if pre_order else [])
    SubscriptionReservation.objects.bulk_create(reservations, batch_size=2000)
    SubscriptionPreOrder.objects.bulk_create(pre_orders, batch_size=2000)
    UsagePeriod.objects.bulk_create(periods, batch_size=2000)
    ctx.counts["subscriptions"] = len(subs)
    ctx.counts["reservations"] = len(reservations)
    ctx.counts["pre_orders"] = len(pre_orders)


def _subscription(customer: Customer, plan, rng, today: dt.date) -> Subscription:
    """The customer's subscription as its seeded plan makes it: a Trial (in its grace period when it ended), Free,
    or a paid plan in its current term with renewal settings."""
    if plan.plan == "TRIAL":
        start, end = plan.start_date, term_end("TRIAL", plan.start_date)
        status, grace = "ACTIVE", None
        if end < today:
            grace = end + dt.timedelta(days=GRACE_DAYS)
            status = "SUSPENDED_TRIALEND"
            if grace < today:  # grace over as well: keep the Trial running from a later start instead
                start = today - dt.timedelta(days=rng.randint(0, TRIAL_DAYS - 1))
                end, status, grace = term_end("TRIAL", start), "ACTIVE", None
        sub = Subscription(
            customer_id=customer.pk,
            product_id=plan.product_id,
            plan="TRIAL",
            plan_start_date=start,
            plan_end_date=end,
            status=status,
            grace_end_date=grace,
        )
    elif plan.plan == "FREE":
        start = plan.start_date
        sub = Subscription(
            customer_id=customer.pk,
            product_id="FR",
            plan="FREE",
            plan_start_date=start,
            plan_end_date=None,
        )
    else:
        start = plan.start_date
        term_start, end = _current_term(plan.plan, start, today)
        roll = rng.random()
        renewal = ("STAY", "", "", None)
        if roll < 0.08:
            renewal = ("CANCEL", "", "", None)
        elif roll < 0.16 and plan.plan in LICENSE_PLANS:
            renewal = (
                "CHANGE",
                "",
                "",
                max(plan.member_count, (plan.license_count or 1) - rng.randint(0, 5)),
            )
        elif roll < 0.22:
            renewal = ("CHANGE", "", "ANNUAL_LICENSE" if plan.plan == "MONTHLY" else "MONTHLY", None)
            if renewal[2] == "ANNUAL_LICENSE":
                renewal = ("CHANGE", "", "ANNUAL_LICENSE", plan.member_count + rng.randint(0, 10))
        elif roll < 0.26 and plan.product_id == "STD" and customer.domain_type == "DOMAIN":
            renewal = ("CHANGE", "ADV", "", None)
        sub = Subscription(
            customer_id=customer.pk,
            product_id=plan.product_id,
            plan=plan.plan,
            plan_start_date=term_start,
            plan_end_date=end,
            license_count=plan.license_count,
            renewal_type=renewal[0],
            renewal_product_id=renewal[1],
            renewal_plan=renewal[2],
            renewal_license_count=renewal[3],
        )
    return sub


def _usage_history(sub: Subscription, customer: Customer, plan, rng, today: dt.date, history_start: dt.date):
    """The subscription's usage history: a Trial before a paid plan, and now and then a licence change in the
    past."""
    periods: list[UsagePeriod] = []
    start = plan.start_date
    if sub.plan in PAID_PLANS:
        trial_start = start - dt.timedelta(days=TRIAL_DAYS)
        if trial_start >= history_start:
            periods.append(
                UsagePeriod(
                    customer_id=sub.customer_id,
                    subscription_id=sub.pk,
                    product_id=f"{sub.product_id}_T",
                    plan="TRIAL",
                    member_count=max(1, plan.member_count - rng.randint(0, 3)),
                    start_date=trial_start,
                    end_date=start - DAY,
                )
            )
        first = max(start, history_start)
        change = None
        if sub.plan in LICENSE_PLANS and rng.random() < 0.3 and (today - first).days > 90:
            change = first + dt.timedelta(days=rng.randint(30, (today - first).days - 30))
        if change:
            periods.append(
                _seed_period(
                    sub, customer, first, change - DAY, licenses=max(1, (sub.license_count or 1) - 5)
                )
            )
            first = change
        periods.append(_seed_period(sub, customer, first, None, licenses=sub.license_count))
    else:
        periods.append(
            _seed_period(sub, customer, max(sub.plan_start_date, history_start), None, licenses=None)
        )
    return periods


def _scheduled(sub: Subscription, customer: Customer, plan, rng, today: dt.date):
    """The subscription's scheduled task, if any (a paid conversion, licences added, a cancellation), or the
    customer's pre-order: (reservation or None, pre-order or None)."""
    reservation: SubscriptionReservation | None = None
    pre_order: SubscriptionPreOrder | None = None
    roll = rng.random()
    if sub.plan == "TRIAL" and roll < 0.3:
        last = grace_end(sub)
        if last and last > today:
            paid_plan = rng.choice(PAID_PLANS)
            reservation = SubscriptionReservation(
                subscription=sub,
                type="START_PAID_SERVICE",
                apply_date=today + dt.timedelta(days=rng.randint(1, (last - today).days)),
                plan=paid_plan,
                license_count=plan.member_count + rng.randint(0, 10) if paid_plan in LICENSE_PLANS else None,
            )
    elif sub.plan == "FREE" and roll < 0.15:
        product = "ADV" if customer.domain_type == "DOMAIN" and rng.random() < 0.3 else "STD"
        reservation = SubscriptionReservation(
            subscription=sub,
            type="START_PAID_SERVICE",
            apply_date=today + dt.timedelta(days=rng.randint(1, FREE_CONVERSION_DAYS)),
            plan="MONTHLY",
            product_id=product,
        )
    elif sub.plan == "FREE" and roll < 0.3:
        paid_plan = rng.choice(PAID_PLANS)
        pre_order = SubscriptionPreOrder(
            customer_id=sub.customer_id,
            product_id="STD",
            plan=paid_plan,
            license_count=plan.member_count + 5 if paid_plan in LICENSE_PLANS else None,
            apply_date=today + dt.timedelta(days=rng.randint(1, FREE_PRE_ORDER_DAYS)),
        )
    elif (
        sub.plan in LICENSE_PLANS
        and roll < 0.12
        and sub.renewal_type != "CANCEL"
        and sub.plan_end_date > today
    ):
        reservation = SubscriptionReservation(
            subscription=sub,
            type="ADD_LICENSE",
            apply_date=today + dt.timedelta(days=rng.randint(1, (sub.plan_end_date - today).days)),
            license_count=rng.choice([5, 10, 20, 50]),
        )
    elif sub.plan in PAID_PLANS and roll < 0.16 and sub.renewal_type == "STAY":
        reservation = SubscriptionReservation(
            subscription=sub,
            type="CANCEL",
            apply_date=today + dt.timedelta(days=rng.randint(1, (sub.plan_end_date - today).days + 1)),
        )
    return reservation, pre_order


def _seed_period(
    sub: Subscription, customer: Customer, start: dt.date, end: dt.date | None, *, licenses
) -> UsagePeriod:
    period = subscription_period(sub, customer, start)
    period.license_count = licenses
    period.end_date = end
    return period
