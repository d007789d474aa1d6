"""The options domain's clock effects: what falls due on a day (option orders, renewals, Trial ends), as
`sandbox.clock` applies them."""

from __future__ import annotations

import datetime as dt

from sandbox import clock
from sandbox.api.options.shared import in_use, start_option
from sandbox.catalogue import (
    CAPACITY,
    PAID_PLANS,
)
from sandbox.dates import DAY, month_end
from sandbox.models import (
    OptionProduct,
    OptionProductOrder,
)
from sandbox.usage import (
    convert_option_to_paid,
    live_subscription,
    restart_option_usage,
    stop_option,
)


def apply_option_orders(day: dt.date) -> None:
    for order in OptionProductOrder.objects.filter(apply_date__lte=day).select_related("customer"):
        customer = order.customer
        option = in_use(customer, order.option_product_id)
        sub = live_subscription(customer)
        order.delete()
        if customer.deleted_on is not None or sub is None:
            continue
        if order.type == "APPLY" and option is None:
            start_option(customer, sub, order.option_product_id, order.sub_option_id, order.quantity, day)
        elif order.type == "START_PAID_SERVICE" and option is not None and option.plan == "TRIAL":
            convert_option_to_paid(option, sub, day)
        elif order.type == "CHANGE_QUANTITY" and option is not None:
            option.quantity = order.quantity
            option.save(update_fields=["quantity"])
            restart_option_usage(option, sub, day)
        elif order.type == "CANCEL" and option is not None:
            stop_option(option, day, penalty=True)


def renew_options(day: dt.date) -> None:
    due = OptionProduct.objects.filter(
        cancelled_on__isnull=True, plan__in=PAID_PLANS, plan_end_date__lte=day - DAY
    ).select_related("subscription")
    for option in due:
        sub = option.subscription
        changed = False
        if option.renewal_type == "CHANGE":
            target = option.renewal_sub_option_id or option.sub_option_id
            quantity = option.renewal_quantity if option.renewal_quantity is not None else option.quantity
            capacity = CAPACITY.get(target)
            # rule: option_renewal.over_usage_becomes_stay - silently renewed unchanged
            if capacity is None or (option.usage_count or 0) <= capacity * (quantity or 1):
                option.sub_option_id, option.quantity, changed = target, quantity, True
        option.renewal_type, option.renewal_sub_option_id, option.renewal_quantity = "STAY", "", None
        option.plan = sub.plan if sub.plan in PAID_PLANS else option.plan
        option.plan_start_date = day
        option.plan_end_date = (
            sub.plan_end_date if sub.plan_end_date and sub.plan_end_date >= day else month_end(day)
        )
        option.save()
        if changed:
            restart_option_usage(option, sub, day)


def end_option_trials(day: dt.date) -> None:
    for option in OptionProduct.objects.filter(
        cancelled_on__isnull=True, plan="TRIAL", plan_end_date__lte=day - DAY
    ):
        # An option's Trial has no grace period: it stops the day after it ends.
        stop_option(option, day, penalty=False)


@clock.due_effect("options.scheduled", order=30)
def apply_option_schedule(day: dt.date) -> None:
    """Option orders, then paid option renewals, then option Trials that ended."""
    apply_option_orders(day)
    renew_options(day)
    end_option_trials(day)
