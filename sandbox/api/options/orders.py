"""Tag option-orders: an option's one scheduled task (create, list, get, update, delete), with their rules."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from sandbox.api.common import created, live_customer, no_content, ok, operation, parse_date
from sandbox.api.errors import ApiError
from sandbox.api.options.shared import (
    MAX_QUANTITY,
    check_catalogue,
    check_readd,
    checked_quantity,
    in_use,
    order_json,
)
from sandbox.catalogue import (
    PAID_EQUIVALENT,
    PAID_PLANS,
    PAID_SUB_OPTION,
    PARENT,
    QUANTITY_OPTIONS,
    TRIAL_SUB_OPTIONS,
)
from sandbox.dates import DAY, next_month_first
from sandbox.models import (
    Customer,
    OptionProduct,
    OptionProductOrder,
    Subscription,
    SubscriptionPreOrder,
    SubscriptionReservation,
)
from sandbox.rules import Rule, rule
from sandbox.usage import (
    FREE_CONVERSION_DAYS,
    check_window,
    grace_end,
    live_subscription,
)

ORDER_GRACE = rule("option_order.refused_in_grace", "createOptionProductOrder", 0)
ORDER_READD = rule("option_order.annual_readd_next_month", "createOptionProductOrder", 1)
ORDER_APPLY_QUANTITY = rule("option_order.apply_quantity_counted_only", "createOptionProductOrder", 2)
ORDER_APPLY_SAME_DATE = rule("option_order.apply_same_date_as_reservation", "createOptionProductOrder", 3)
ORDER_APPLY_PRE_ORDER = rule("option_order.apply_with_pre_order", "createOptionProductOrder", 4)
ORDER_APPLY_PAID = rule("option_order.apply_paid_subscription_both", "createOptionProductOrder", 5)
ORDER_APPLY_TRIAL = rule("option_order.apply_trial_subscription_trial", "createOptionProductOrder", 6)
ORDER_APPLY_PAID_NEEDS_CONVERSION = rule(
    "option_order.apply_paid_needs_conversion", "createOptionProductOrder", 7
)
ORDER_APPLY_DATE = rule("option_order.apply_date_rules", "createOptionProductOrder", 8)
ORDER_CANCEL = rule("option_order.cancel_trial_or_paid", "createOptionProductOrder", 9)
ORDER_CANCEL_TRIAL = rule("option_order.cancel_trial_needs_conversion", "createOptionProductOrder", 10)
ORDER_CANCEL_DATE = rule("option_order.cancel_date_rules", "createOptionProductOrder", 11)
ORDER_PAID = rule("option_order.start_paid_converts_trial", "createOptionProductOrder", 12)
ORDER_PAID_DATE = rule("option_order.start_paid_date_rules", "createOptionProductOrder", 13)
ORDER_QUANTITY_DATE = rule("option_order.change_quantity_next_month", "createOptionProductOrder", 14)
ORDER_ONE = rule("option_order.one_per_option", "createOptionProductOrder", 15)


def conversion_of(sub: Subscription | None) -> SubscriptionReservation | None:
    if sub is None:
        return None
    return SubscriptionReservation.objects.filter(subscription=sub, type="START_PAID_SERVICE").first()


def first_pre_order(customer: Customer) -> SubscriptionPreOrder | None:
    return SubscriptionPreOrder.objects.filter(customer=customer).order_by("apply_date", "pk").first()


def check_equal_date(the_rule: Rule, day: dt.date, expected: dt.date, what: str) -> None:
    the_rule.check(day == expected, f"applyDate must be {expected.isoformat()}, the date of {what}")


def check_quantity_change(
    option: OptionProduct | None,
    sub: Subscription | None,
    quantity,
    day: dt.date,
    today: dt.date,
    the_rule: Rule,
) -> None:
    the_rule.check(
        option is not None and option.option_product_id in QUANTITY_OPTIONS,
        "CHANGE_QUANTITY needs Shared Storage or Extend contacts in use",
    )
    # x-unverified: quantity of a CHANGE_QUANTITY task is the new total, which must be larger
    the_rule.check(
        quantity is not None and (option.quantity or 0) < quantity <= MAX_QUANTITY,
        f"quantity must exceed the current one (at most {MAX_QUANTITY})",
    )
    first = next_month_first(today)
    the_rule.check(
        sub is not None
        and sub.plan in PAID_PLANS
        and sub.plan_end_date is not None
        and first <= sub.plan_end_date,
        "CHANGE_QUANTITY is not possible in the subscription's last month",
    )
    check_equal_date(the_rule, day, first, "the 1st of next month")


@operation(
    "createOptionProductOrder",
    field_rules={"applyDate": ORDER_APPLY_DATE, "quantity": ORDER_APPLY_QUANTITY},
)
def create_option_product_order(request, domainId: int):
    # x-unverified (createOptionProductOrder): request body and the 201 answer are assumptions.
    body, today = request.api.body, request.api.today
    option_id, sub_option, kind = body["optionProductId"], body["subOptionId"], body["type"]
    quantity, day = body.get("quantity"), parse_date(body["applyDate"])
    with transaction.atomic():
        customer = live_customer(domainId, for_update=True)
        if PARENT.get(sub_option) != option_id:
            raise ApiError(
                400, "INVALID_PARAMETER", f"subOptionId {sub_option} is not a sub option of {option_id}"
            )
        sub = live_subscription(customer)
        ORDER_GRACE.check(
            sub is None or sub.status != "SUSPENDED_TRIALEND",
            "options cannot be scheduled in the Trial grace period",
        )
        # x-unverified (rule 15): one task per option
        ORDER_ONE.check(
            not OptionProductOrder.objects.filter(customer=customer, option_product_id=option_id).exists(),
            f"{option_id} already has a scheduled task",
        )
        option = in_use(customer, option_id)
        conversion = conversion_of(sub)
        pre = None
        if kind == "APPLY":
            quantity, pre = _order_apply(customer, sub, option, conversion, body, day, today)
        elif kind == "CANCEL":
            _order_cancel(sub, option, conversion, sub_option, day, today)
            quantity = None
        elif kind == "START_PAID_SERVICE":
            sub_option = _order_start_paid(sub, option, conversion, sub_option, day, today, option_id)
            quantity = None
        else:
            check_quantity_change(option, sub, quantity, day, today, ORDER_QUANTITY_DATE)
        order = OptionProductOrder.objects.create(
            customer=customer,
            subscription=sub,
            pre_order=pre,
            option_product_id=option_id,
            sub_option_id=sub_option,
            type=kind,
            quantity=quantity,
            apply_date=day,
        )
    return created(order_json(order))


def _order_apply(customer, sub, option, conversion, body, day, today):
    """createOptionProductOrder's rules for an APPLY order; returns its quantity and the pre-order it goes with
    (a customer with no subscription yet)."""
    option_id, sub_option, quantity = body["optionProductId"], body["subOptionId"], body.get("quantity")
    pre = None
    check_readd(ORDER_READD, customer, option_id, day, what="scheduled")
    ORDER_APPLY_PRE_ORDER.check(option is None, f"{option_id} is already in use")
    quantity = checked_quantity(ORDER_APPLY_QUANTITY, option_id, quantity)
    if sub is None:
        pre = first_pre_order(customer)
        ORDER_APPLY_PRE_ORDER.check(pre is not None, "the customer has no subscription and no pre-order")
        product = pre.product_id
        check_equal_date(ORDER_APPLY_DATE, day, pre.apply_date, "the scheduled subscription")
    else:
        trial_option = sub_option in TRIAL_SUB_OPTIONS
        product = sub.product_id
        if sub.plan in ("FREE", "TRIAL"):
            # rule: option_order.apply_trial_subscription_trial - a Trial sub option on a Trial
            # subscription needs no conversion; anything else on Free/Trial does.
            if not trial_option or sub.plan == "FREE":
                ORDER_APPLY_PAID_NEEDS_CONVERSION.check(
                    conversion is not None,
                    "a paid option on a Free/Trial subscription needs a scheduled paid conversion",
                )
            if conversion is not None:
                product = conversion.product_id or PAID_EQUIVALENT.get(sub.product_id, sub.product_id)
        # rule: option_order.apply_paid_subscription_both - Trial or paid sub options on STD/ADV
        task = SubscriptionReservation.objects.filter(subscription=sub).first()
        if task is not None:
            check_equal_date(ORDER_APPLY_SAME_DATE, day, task.apply_date, "the subscription's scheduled task")
        elif sub.plan in PAID_PLANS:
            check_window(ORDER_APPLY_DATE, day, today + DAY, sub.plan_end_date + DAY)
        else:
            check_window(ORDER_APPLY_DATE, day, today + DAY, sub.plan_end_date or today)
    check_catalogue(
        product,
        option_id,
        sub_option,
        free_rule=ORDER_APPLY_PAID_NEEDS_CONVERSION,
        plan_rule=ORDER_APPLY_PAID_NEEDS_CONVERSION,
        drive_rule=ORDER_APPLY_PAID_NEEDS_CONVERSION,
    )
    return quantity, pre


def _order_cancel(sub, option, conversion, sub_option, day, today) -> None:
    """createOptionProductOrder's rules for a CANCEL order."""
    ORDER_CANCEL.check(
        option is not None and option.sub_option_id == sub_option, f"{sub_option} is not in use"
    )
    if sub.plan in ("FREE", "TRIAL"):
        ORDER_CANCEL_TRIAL.check(
            conversion is not None,
            "on a Trial subscription a cancellation needs a scheduled paid conversion",
        )
        check_equal_date(ORDER_CANCEL_DATE, day, conversion.apply_date, "the paid conversion")
    else:
        check_window(ORDER_CANCEL_DATE, day, today + DAY, option.plan_end_date + DAY)


def _order_start_paid(sub, option, conversion, sub_option, day, today, option_id) -> str:
    """createOptionProductOrder's rules for a START_PAID_SERVICE order; returns the paid sub option it starts."""
    ORDER_PAID.check(
        option is not None and option.plan == "TRIAL", f"{option_id} is not a Trial option in use"
    )
    ORDER_PAID.check(
        sub_option in (option.sub_option_id, PAID_SUB_OPTION.get(option.sub_option_id)),
        f"{sub_option} is not the paid {option.sub_option_id}",
    )
    sub_option = PAID_SUB_OPTION.get(option.sub_option_id, sub_option)
    if sub.plan in ("FREE", "TRIAL"):
        ORDER_PAID_DATE.check(conversion is not None, "the subscription has no scheduled paid conversion")
        check_equal_date(ORDER_PAID_DATE, day, conversion.apply_date, "the paid conversion")
    else:
        # rule: no grace period for options: up to the day after the option's Trial ends
        check_window(ORDER_PAID_DATE, day, today + DAY, option.plan_end_date + DAY)
    return sub_option


ORDERS_SUBSCRIPTION = rule("option_order.list_subscription_null_for_pre_order", "listOptionProductOrders", 0)
ORDERS_NO_PAGES = rule("option_order.list_not_paginated", "listOptionProductOrders", 1)


@operation("listOptionProductOrders")
def list_option_product_orders(request, domainId: int):
    customer = live_customer(domainId)
    # rule: option_order.list_not_paginated
    rows = OptionProductOrder.objects.filter(customer=customer).order_by("apply_date", "pk")
    return ok({"optionProductOrders": [order_json(o) for o in rows]})


ORDER_GET_NONE = rule("option_order.get_none_404", "getOptionProductOrder", 0, status=404, code="NOT_FOUND")


def order_of(customer: Customer, option_id: str, the_rule: Rule) -> OptionProductOrder:
    order = OptionProductOrder.objects.filter(customer=customer, option_product_id=option_id).first()
    if order is None:
        # x-unverified: 404 when the option has no scheduled task
        raise the_rule.violation(f"{option_id} has no scheduled task")
    return order


@operation("getOptionProductOrder")
def get_option_product_order(request, domainId: int, optionProductId: str):
    customer = live_customer(domainId)
    return ok(order_json(order_of(customer, optionProductId, ORDER_GET_NONE)))


PATCH_NONE = rule("option_order.patch_none_404", "updateOptionProductOrder", 0, status=404, code="NOT_FOUND")
PATCH_READD = rule("option_order.patch_annual_readd_next_month", "updateOptionProductOrder", 1)
PATCH_APPLY_DATE = rule("option_order.patch_apply_date_rules", "updateOptionProductOrder", 2)
PATCH_CANCEL_DATE = rule("option_order.patch_cancel_date_rules", "updateOptionProductOrder", 3)
PATCH_PAID_DATE = rule("option_order.patch_start_paid_date_rules", "updateOptionProductOrder", 4)
PATCH_MODIFY_DATE = rule("option_order.patch_modify_date_rules", "updateOptionProductOrder", 5)
PATCH_QUANTITY_DATE = rule("option_order.patch_change_quantity_next_month", "updateOptionProductOrder", 6)
PATCH_TYPE_FIXED = rule("option_order.patch_type_fixed", "updateOptionProductOrder", 7)


@operation("updateOptionProductOrder", field_rules={"applyDate": PATCH_APPLY_DATE})
def update_option_product_order(request, domainId: int, optionProductId: str):
    # x-unverified (updateOptionProductOrder): subOptionId/quantity in the body and the 200 answer are assumed.
    body, today = request.api.body, request.api.today
    with transaction.atomic():
        customer = live_customer(domainId, for_update=True)
        order = order_of(customer, optionProductId, PATCH_NONE)
        # x-unverified (rule 7): the type cannot be changed; delete and re-create instead
        PATCH_TYPE_FIXED.check(
            body.get("type", order.type) == order.type, "the type of a task cannot be changed"
        )
        day = parse_date(body["applyDate"]) if body.get("applyDate") else order.apply_date
        sub_option, quantity = (
            body.get("subOptionId") or order.sub_option_id,
            body.get("quantity", order.quantity),
        )
        if PARENT.get(sub_option) != optionProductId:
            raise ApiError(400, "INVALID_PARAMETER", f"{sub_option} is not a sub option of {optionProductId}")
        sub = live_subscription(customer)
        conversion = conversion_of(sub)
        option = in_use(customer, optionProductId)
        if order.type == "APPLY":
            check_readd(PATCH_READD, customer, optionProductId, day, what="scheduled")
            if optionProductId not in QUANTITY_OPTIONS:
                quantity = None
            if order.pre_order_id or sub is None:
                pre = order.pre_order or first_pre_order(customer)
                PATCH_APPLY_DATE.check(pre is not None, "the scheduled subscription no longer exists")
                check_equal_date(PATCH_APPLY_DATE, day, pre.apply_date, "the scheduled subscription")
            elif conversion is not None and sub.plan == "TRIAL":
                check_window(PATCH_APPLY_DATE, day, today + DAY, grace_end(sub) or today)
            elif conversion is not None:
                check_window(
                    PATCH_APPLY_DATE, day, today + DAY, today + dt.timedelta(days=FREE_CONVERSION_DAYS)
                )
            elif sub.plan in PAID_PLANS:
                check_window(PATCH_APPLY_DATE, day, today + DAY, sub.plan_end_date + DAY)
            else:
                check_window(PATCH_APPLY_DATE, day, today + DAY, sub.plan_end_date or today)
        elif order.type == "CANCEL":
            if conversion is not None:
                check_equal_date(PATCH_CANCEL_DATE, day, conversion.apply_date, "the paid conversion")
            else:
                end = option.plan_end_date if option else today
                check_window(PATCH_CANCEL_DATE, day, today + DAY, end + DAY)
        elif order.type == "START_PAID_SERVICE":
            if conversion is not None:
                check_equal_date(PATCH_PAID_DATE, day, conversion.apply_date, "the paid conversion")
            else:
                end = option.plan_end_date if option else today
                check_window(PATCH_PAID_DATE, day, today + DAY, end + DAY)
        elif order.type == "CHANGE_QUANTITY":
            check_quantity_change(option, sub, quantity, day, today, PATCH_QUANTITY_DATE)
        else:  # pragma: no cover - MODIFY is in no enum of the contract
            raise PATCH_MODIFY_DATE.violation("MODIFY tasks are not supported")
        order.apply_date, order.sub_option_id, order.quantity = day, sub_option, quantity
        order.save(update_fields=["apply_date", "sub_option_id", "quantity"])
    return ok(order_json(order))


DELETE_NONE = rule(
    "option_order.delete_none_404", "deleteOptionProductOrder", 0, status=404, code="NOT_FOUND"
)


@operation("deleteOptionProductOrder")
def delete_option_product_order(request, domainId: int, optionProductId: str):
    # x-unverified (deleteOptionProductOrder 204)
    customer = live_customer(domainId)
    order_of(customer, optionProductId, DELETE_NONE).delete()
    return no_content()
