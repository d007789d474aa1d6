"""What the subscriptions domain's operations share: a subscription looked up, what its changes do (its options
cancelled, it stopped, a paid term started) and the JSON of a subscription, its renewal, a pre-order and a
reservation."""

from __future__ import annotations

import datetime as dt

from sandbox.api.errors import ApiError
from sandbox.catalogue import LICENSE_PLANS, PAID_PLANS
from sandbox.dates import DAY
from sandbox.models import (
    Customer,
    OptionProduct,
    OptionProductOrder,
    Subscription,
    SubscriptionPreOrder,
    SubscriptionReservation,
)
from sandbox.rules import Rule
from sandbox.usage import (
    close_usage,
    record_penalty,
    restart_usage,
    stop_option,
    term_end,
)

MAX_LICENSES = 1_000_000


# --- lookups --------------------------------------------------------------------------------------------------


def subscription_of(
    customer: Customer, subscription_id: str, *, the_rule: Rule | None = None
) -> Subscription:
    """The customer's subscription in use, or 404 (ids are strings in paths: anything not a number is unknown)."""
    sub = None
    if (
        subscription_id.isascii() and subscription_id.isdigit() and len(subscription_id) <= 18
    ):  # beyond: no such id (and no SQLite overflow)
        sub = Subscription.objects.filter(
            customer=customer, pk=int(subscription_id), cancelled_on__isnull=True
        ).first()
    if sub is None:
        description = f"subscriptionId {subscription_id} is not a subscription of domainId {customer.pk}"
        if the_rule:
            raise the_rule.violation(description, status=404, code="NOT_FOUND")
        raise ApiError(404, "NOT_FOUND", description)
    return sub


# --- what a subscription's changes do -------------------------------------------------------------------------


def cancel_options(sub: Subscription, day: dt.date, *, penalty: bool) -> None:
    for option in OptionProduct.objects.filter(subscription=sub, cancelled_on__isnull=True):
        option.subscription = sub
        stop_option(option, day, penalty=penalty)
    OptionProductOrder.objects.filter(subscription=sub).delete()


def stop_subscription(sub: Subscription, day: dt.date, *, penalty: bool = True) -> None:
    """Cancel on ``day`` (it no longer counts from that day) with its options and its scheduled task."""
    if penalty:
        record_penalty(sub.customer_id, sub, day, count=sub.license_count, end=sub.plan_end_date)
    cancel_options(sub, day, penalty=penalty)
    close_usage(sub.customer_id, day - DAY, subscription_id=sub.pk, option_product_id="")
    SubscriptionReservation.objects.filter(subscription=sub).delete()
    sub.cancelled_on = day
    sub.save(update_fields=["cancelled_on"])
    Customer.objects.filter(pk=sub.customer_id, product_id=sub.product_id).update(product_id=None)


def start_paid_term(sub: Subscription, *, product_id: str, plan: str, license_count, day: dt.date) -> None:
    sub.product_id = product_id
    sub.plan = plan
    sub.license_count = license_count if plan in LICENSE_PLANS else None
    sub.plan_start_date = day
    sub.plan_end_date = term_end(plan, day)
    sub.status = "ACTIVE"
    sub.grace_end_date = None
    sub.renewal_type = "STAY"
    sub.renewal_product_id = sub.renewal_plan = ""
    sub.renewal_license_count = None
    sub.save()
    Customer.objects.filter(pk=sub.customer_id).update(product_id=product_id)
    restart_usage(sub, day)


# --- serialisation --------------------------------------------------------------------------------------------


def renewal_json(sub: Subscription) -> dict:
    kind = sub.renewal_type or "STAY"
    data = {"subscriptionId": sub.pk, "type": kind}
    if kind == "CHANGE":
        product, plan = sub.renewal_product_id or sub.product_id, sub.renewal_plan or sub.plan
        licenses = sub.renewal_license_count if sub.renewal_license_count is not None else sub.license_count
    else:
        product, plan, licenses = sub.product_id, sub.plan, sub.license_count
    data["productId"] = product
    data["plan"] = plan
    if licenses is not None and plan in LICENSE_PLANS:
        data["licenseCount"] = licenses
    return data


def subscription_json(sub: Subscription) -> dict:
    data = {
        "domainId": sub.customer_id,
        "subscriptionId": sub.pk,
        "productId": sub.product_id,
        "plan": sub.plan,
        "planStartDate": sub.plan_start_date,
        "planEndDate": sub.plan_end_date,
        "licenseAssignType": sub.license_assign_type,
        "licenseCount": sub.license_count,
        "status": sub.status,
    }
    if sub.plan in PAID_PLANS:
        # rule: subscription.list_renewal_paid_only / subscription.get_renewal_paid_only
        data["renewal"] = renewal_json(sub)
    return data


def pre_order_json(pre: SubscriptionPreOrder) -> dict:
    data = {"preOrderId": pre.pk, "productId": pre.product_id, "applyDate": pre.apply_date}
    if pre.plan:
        data["plan"] = pre.plan
    data["licenseCount"] = pre.license_count
    return data


def reservation_json(res: SubscriptionReservation) -> dict:
    data = {"subscriptionId": res.subscription_id, "type": res.type, "applyDate": res.apply_date}
    if res.plan:
        data["plan"] = res.plan
    if res.product_id:
        data["productId"] = res.product_id
    # rule: reservation.get_license_count_meaning - licences to apply (START_PAID_SERVICE) or to add (ADD_LICENSE)
    data["licenseCount"] = res.license_count
    return data
