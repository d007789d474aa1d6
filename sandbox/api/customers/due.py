"""The customers domain's clock effects: what falls due on a day (the max-member changes, Trial ends,
withdrawals), as `sandbox.clock` applies them."""

from __future__ import annotations

import datetime as dt

from sandbox import clock
from sandbox.api.customers.shared import cancel_everything, close_usage, delete_now
from sandbox.dates import GRACE_DAYS, withdrawal_date_for
from sandbox.models import Customer, OptionProduct, Subscription, UsagePeriod


@clock.due_effect("customers.max_member_changes", order=10)
def apply_max_member_changes(day: dt.date) -> None:
    # rule: renewal.applies_on_date
    for customer in Customer.objects.live().filter(renewal_apply_date__lte=day):
        customer.max_member_count = customer.renewal_max_member_count
        customer.renewal_apply_date = None
        customer.renewal_max_member_count = None
        customer.save(update_fields=["max_member_count", "renewal_apply_date", "renewal_max_member_count"])


@clock.due_effect("customers.trials_end", order=15)
def end_trials(day: dt.date) -> None:
    """Trial over -> grace period (SUSPENDED_TRIALEND); grace over -> the Trial subscription stops."""
    ended = day - dt.timedelta(days=1)
    Subscription.objects.filter(
        plan="TRIAL", status="ACTIVE", cancelled_on__isnull=True, plan_end_date__lte=ended
    ).update(status="SUSPENDED_TRIALEND", grace_end_date=ended + dt.timedelta(days=GRACE_DAYS))
    stopped = Subscription.objects.filter(
        plan="TRIAL", status="SUSPENDED_TRIALEND", cancelled_on__isnull=True, grace_end_date__lt=day
    )
    for sub in stopped:
        OptionProduct.objects.filter(subscription=sub, cancelled_on__isnull=True).update(cancelled_on=day)
        UsagePeriod.objects.filter(
            customer_id=sub.customer_id, subscription_id=sub.pk, end_date__isnull=True
        ).update(end_date=sub.grace_end_date)
    stopped.update(cancelled_on=day)


@clock.due_effect("customers.withdrawals", order=40)
def apply_withdrawals(day: dt.date) -> None:
    # rule: usage.withdrawal_deletes_customer; rule: usage.withdrawal_pending_deletion
    for customer in Customer.objects.live().filter(withdrawal_date__lte=day):
        if customer.usage_status == "SUSPENDED_WITHDRAWAL":
            # The pending deletion's date has come.
            delete_now(customer, day)
        elif customer.has_non_realtime_paid_app:
            cancel_everything(customer, day)
            # rule: usage.patch_withdrawal_billing - use is billed up to the withdrawal date
            close_usage(customer, day, keep_option_plus=True)
            customer.usage_status = "SUSPENDED_WITHDRAWAL"
            customer.withdrawal_date = withdrawal_date_for(day)
            customer.save(update_fields=["usage_status", "withdrawal_date"])
        else:
            close_usage(customer, day)
            delete_now(customer, day)
