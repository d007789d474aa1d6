"""What a customer uses, as the subscriptions and options rules both read it: contract terms and date
windows, the subscription in use, and the ``UsagePeriod`` rows that usages and invoices are rebuilt from
(opened, closed, penalties), with the two changes of an option that either side makes (stopping it, converting
a Trial to paid).
"""

from __future__ import annotations

import datetime as dt

from sandbox.catalogue import LICENSE_PLANS, PAID_SUB_OPTION
from sandbox.dates import DAY, GRACE_DAYS, TRIAL_DAYS, add_years, month_end
from sandbox.models import Customer, OptionProduct, Subscription, UsagePeriod
from sandbox.rules import Rule

FREE_PRE_ORDER_DAYS = 31
FREE_CONVERSION_DAYS = 60


# --- terms and date windows -----------------------------------------------------------------------------------


def term_end(plan: str, start: dt.date) -> dt.date | None:
    """Last day of a contract term starting on ``start``.

    x-unverified: the reference gives no term lengths; a monthly contract runs to the end of the calendar month,
    an annual one for a year, a Trial for TRIAL_DAYS; Free has no end.
    """
    if plan == "MONTHLY":
        return month_end(start)
    if plan in LICENSE_PLANS:
        return add_years(start, 1) - DAY
    if plan == "TRIAL":
        return start + dt.timedelta(days=TRIAL_DAYS - 1)
    return None


def check_window(
    the_rule: Rule, day: dt.date, first: dt.date, last: dt.date, what: str = "applyDate"
) -> None:
    """Inclusive date window on the business clock (Asia/Tokyo)."""
    the_rule.check(
        first <= day <= last,
        f"{what} must be between {first.isoformat()} and {last.isoformat()} (got {day.isoformat()})",
    )


def grace_end(sub: Subscription) -> dt.date | None:
    """Last day on which a Trial subscription can still be converted (end of its grace period)."""
    if sub.grace_end_date:
        return sub.grace_end_date
    if sub.plan == "TRIAL" and sub.plan_end_date:
        return sub.plan_end_date + dt.timedelta(days=GRACE_DAYS)
    return None


# --- lookups --------------------------------------------------------------------------------------------------


def live_subscription(customer: Customer) -> Subscription | None:
    return (
        Subscription.objects.filter(customer=customer, product_group_id="WORKS", cancelled_on__isnull=True)
        .order_by("pk")
        .first()
    )


# --- usage periods (what billing and the usage lists are built from) ------------------------------------------


def close_usage(customer_id: int, last_day: dt.date, *, subscription_id=None, option_product_id=None) -> None:
    """End running periods on ``last_day``; a period that would end before it started is dropped."""
    qs = UsagePeriod.objects.filter(customer_id=customer_id, end_date__isnull=True).exclude(status="PENALTY")
    if subscription_id is not None:
        qs = qs.filter(subscription_id=subscription_id)
    if option_product_id is not None:
        qs = qs.filter(option_product_id=option_product_id)
    qs.filter(start_date__gt=last_day).delete()
    qs.update(end_date=last_day)


def subscription_period(sub: Subscription, customer: Customer, start: dt.date) -> UsagePeriod:
    return UsagePeriod(
        customer_id=customer.pk,
        subscription_id=sub.pk,
        product_group_id=sub.product_group_id,
        product_id=sub.product_id,
        plan=sub.plan,
        license_count=sub.license_count,
        member_count=customer.member_count,
        max_member_count=customer.max_member_count,
        status=customer.usage_status,
        start_date=start,
    )


def restart_usage(sub: Subscription, day: dt.date) -> None:
    """The subscription's terms changed on ``day``: close its running period and open a new one."""
    customer = sub.customer
    close_usage(customer.pk, day - DAY, subscription_id=sub.pk, option_product_id="")
    subscription_period(sub, customer, day).save()


def option_period(
    option: OptionProduct, sub: Subscription, customer: Customer, start: dt.date
) -> UsagePeriod:
    return UsagePeriod(
        customer_id=customer.pk,
        subscription_id=sub.pk,
        product_group_id=sub.product_group_id,
        product_id=sub.product_id,
        plan=option.plan,
        option_product_id=option.option_product_id,
        sub_option_id=option.sub_option_id,
        license_count=sub.license_count,
        member_count=customer.member_count,
        quantity=option.quantity,
        usage_count=option.usage_count,
        start_date=start,
    )


def restart_option_usage(option: OptionProduct, sub: Subscription, day: dt.date) -> None:
    customer = Customer.objects.get(pk=option.customer_id)
    close_usage(customer.pk, day - DAY, option_product_id=option.option_product_id)
    option_period(option, sub, customer, day).save()


def record_penalty(
    customer_id: int,
    sub: Subscription,
    day: dt.date,
    *,
    count: int | None,
    end: dt.date | None,
    option_product_id: str = "",
    sub_option_id: str = "",
    plan: str = "",
) -> None:
    """An annual contract stopped before its end: a PENALTY period for billing (one day, months left)."""
    plan = plan or sub.plan
    if plan not in LICENSE_PLANS or end is None or day > end:
        return
    # Months left of the term, a started month counting in full.
    stop = end + DAY
    months_left = (stop.year - day.year) * 12 + stop.month - day.month + (1 if stop.day > day.day else 0)
    UsagePeriod.objects.create(
        customer_id=customer_id,
        subscription_id=sub.pk,
        product_id=sub.product_id,
        plan=plan,
        option_product_id=option_product_id,
        sub_option_id=sub_option_id,
        license_count=count,
        quantity=months_left,
        status="PENALTY",
        start_date=day,
        end_date=day,
    )


# --- options stopped or converted (by either side) ------------------------------------------------------------


def stop_option(option: OptionProduct, day: dt.date, *, penalty: bool) -> None:
    """Cancel an option on ``day``; ``penalty``: an annual option stopped early gets a PENALTY period."""
    if penalty and option.subscription_id:
        record_penalty(
            option.customer_id,
            option.subscription,
            day,
            count=option.quantity or option.subscription.license_count,
            end=option.plan_end_date,
            option_product_id=option.option_product_id,
            sub_option_id=option.sub_option_id,
            plan=option.plan,
        )
    close_usage(option.customer_id, day - DAY, option_product_id=option.option_product_id)
    option.cancelled_on = day
    option.save(update_fields=["cancelled_on"])


def convert_option_to_paid(option: OptionProduct, sub: Subscription, day: dt.date) -> None:
    """A Trial option becomes the paid one on the subscription's paid contract."""
    option.sub_option_id = PAID_SUB_OPTION.get(option.sub_option_id, option.sub_option_id)
    option.plan = sub.plan
    option.plan_start_date = day
    option.plan_end_date = sub.plan_end_date or month_end(day)
    option.renewal_type = "STAY"
    option.save()
    restart_option_usage(option, sub, day)
