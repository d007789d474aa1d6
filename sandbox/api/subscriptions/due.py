"""The subscriptions domain's clock effects: what falls due on a day (reservations, pre-orders, renewals, and
the Trial options a paid conversion converts), as `sandbox.clock` applies them."""

from __future__ import annotations

import datetime as dt

from sandbox import clock
from sandbox.api.subscriptions.shared import start_paid_term, stop_subscription
from sandbox.catalogue import LICENSE_PLANS, PAID_EQUIVALENT, PAID_PLANS
from sandbox.dates import DAY
from sandbox.models import (
    Customer,
    OptionProduct,
    OptionProductOrder,
    Subscription,
    SubscriptionPreOrder,
    SubscriptionReservation,
)
from sandbox.usage import (
    close_usage,
    convert_option_to_paid,
    live_subscription,
    restart_usage,
    subscription_period,
    term_end,
)


def convert_trial_options(sub: Subscription, day: dt.date) -> None:
    """A scheduled paid conversion also converts Trial options that have no task of their own (JP page)."""
    own_tasks = set(
        OptionProductOrder.objects.filter(customer_id=sub.customer_id).values_list(
            "option_product_id", flat=True
        )
    )
    for option in OptionProduct.objects.filter(subscription=sub, cancelled_on__isnull=True, plan="TRIAL"):
        if option.option_product_id not in own_tasks:
            convert_option_to_paid(option, sub, day)


def apply_reservations(day: dt.date) -> None:
    for res in SubscriptionReservation.objects.filter(apply_date__lte=day).select_related(
        "subscription", "subscription__customer"
    ):
        sub = res.subscription
        if sub.cancelled_on is not None:
            res.delete()
            continue
        if res.type == "START_PAID_SERVICE":
            product = res.product_id or PAID_EQUIVALENT.get(sub.product_id, sub.product_id)
            res.delete()
            start_paid_term(sub, product_id=product, plan=res.plan, license_count=res.license_count, day=day)
            # rule: reservation.paid_converts_trial_options
            convert_trial_options(sub, day)
        elif res.type == "ADD_LICENSE":
            res.delete()
            sub.license_count = (sub.license_count or 0) + (res.license_count or 0)
            sub.save(update_fields=["license_count"])
            restart_usage(sub, day)
        else:
            # rule: reservation.cancel_cancels_options - every option goes, whatever its state or tasks
            stop_subscription(sub, day, penalty=True)


def apply_pre_orders(day: dt.date) -> None:
    for pre in SubscriptionPreOrder.objects.filter(apply_date__lte=day).select_related("customer"):
        customer = pre.customer
        if customer.deleted_on is not None:
            pre.delete()
            continue
        current = live_subscription(customer)
        if current is not None and current.plan in PAID_PLANS:
            # The customer went paid by other means meanwhile: the pre-order has nothing left to do.
            pre.delete()
            continue
        if current is not None:
            # The Free/Trial subscription gives way to the paid one; its options move over.
            current.cancelled_on = day
            current.save(update_fields=["cancelled_on"])
            close_usage(customer.pk, day - DAY, subscription_id=current.pk, option_product_id="")
        sub = Subscription.objects.create(
            customer=customer,
            product_id=pre.product_id,
            plan=pre.plan,
            plan_start_date=day,
            plan_end_date=term_end(pre.plan, day),
            license_count=pre.license_count if pre.plan in LICENSE_PLANS else None,
            status="ACTIVE",
            renewal_type="STAY",
        )
        if current is not None:
            OptionProduct.objects.filter(subscription=current, cancelled_on__isnull=True).update(
                subscription=sub
            )
        OptionProductOrder.objects.filter(pre_order=pre).update(subscription=sub)
        Customer.objects.filter(pk=customer.pk).update(product_id=pre.product_id)
        subscription_period(sub, customer, day).save()
        pre.delete()


def apply_renewals(day: dt.date) -> None:
    ended = day - DAY
    due = Subscription.objects.filter(
        plan__in=PAID_PLANS, cancelled_on__isnull=True, plan_end_date__lte=ended
    ).select_related("customer")
    # STAY and CHANGE-less renewals in bulk (monthly contracts renew every month).
    for plan in PAID_PLANS:
        due.filter(plan=plan).exclude(renewal_type__in=("CHANGE", "CANCEL")).update(
            plan_start_date=day, plan_end_date=term_end(plan, day), renewal_type="STAY"
        )
    for sub in due.filter(renewal_type__in=("CHANGE", "CANCEL")):
        if sub.renewal_type == "CANCEL":
            # rule: sub_renewal.cancel_ends_after_term - no renewal: it stops the day after planEndDate
            stop_subscription(sub, day, penalty=False)
            continue
        sub.product_id = sub.renewal_product_id or sub.product_id
        sub.plan = sub.renewal_plan or sub.plan
        if sub.plan in LICENSE_PLANS:
            if sub.renewal_license_count is not None:
                sub.license_count = sub.renewal_license_count
        else:
            sub.license_count = None
        sub.plan_start_date, sub.plan_end_date = day, term_end(sub.plan, day)
        sub.renewal_type = "STAY"
        sub.renewal_product_id = sub.renewal_plan = ""
        sub.renewal_license_count = None
        sub.save()
        Customer.objects.filter(pk=sub.customer_id).update(product_id=sub.product_id)
        restart_usage(sub, day)


@clock.due_effect("subscriptions.scheduled", order=20)
def apply_subscription_schedule(day: dt.date) -> None:
    """Reservations, then pre-orders, then renewals falling due on ``day`` (Trial end is the customers')."""
    apply_reservations(day)
    apply_pre_orders(day)
    apply_renewals(day)
