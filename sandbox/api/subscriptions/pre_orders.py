"""Tag pre-orders: a paid subscription scheduled for a customer (create, list, update, delete), with their rules."""

from __future__ import annotations

import datetime as dt

from sandbox.api.common import created, live_customer, no_content, ok, operation, parse_date
from sandbox.api.subscriptions.shared import MAX_LICENSES, pre_order_json
from sandbox.catalogue import LICENSE_PLANS
from sandbox.dates import DAY
from sandbox.models import (
    Customer,
    SubscriptionPreOrder,
)
from sandbox.rules import Rule, rule
from sandbox.usage import (
    FREE_PRE_ORDER_DAYS,
    check_window,
)

PRE_DATE = rule("preorder.apply_date_window", "createSubscriptionPreOrder", 0)
PRE_PRODUCT = rule("preorder.product_std_or_adv", "createSubscriptionPreOrder", 1)
PRE_PAID_ONLY = rule("preorder.paid_only", "createSubscriptionPreOrder", 2)
PRE_LICENSES = rule("preorder.license_count_annual", "createSubscriptionPreOrder", 3)
PRE_PLAN = rule("preorder.plan_required", "createSubscriptionPreOrder", 4)
PRE_ANSWER = rule("preorder.created_wrapper", "createSubscriptionPreOrder", 5)


@operation(
    "createSubscriptionPreOrder",
    field_rules={
        "applyDate": PRE_DATE,
        "productId": PRE_PRODUCT,
        "plan": PRE_PAID_ONLY,
        "licenseCount": PRE_LICENSES,
    },
)
def create_subscription_pre_order(request, domainId: int):
    body, today = request.api.body, request.api.today
    customer = live_customer(domainId)
    day = parse_date(body["applyDate"])
    check_window(PRE_DATE, day, today + DAY, today + dt.timedelta(days=FREE_PRE_ORDER_DAYS))
    plan, licenses = body.get("plan"), body.get("licenseCount")
    # x-unverified (rule 4): plan is not marked required, but a paid contract needs one
    PRE_PLAN.check(bool(plan), "plan is required (MONTHLY, ANNUAL_LICENSE or ANNUAL_PREPAY_LICENSE)")
    PRE_LICENSES.check(
        plan not in LICENSE_PLANS or licenses is not None, f"licenseCount is required for plan {plan}"
    )
    PRE_LICENSES.check(licenses is None or 1 <= licenses <= MAX_LICENSES, "licenseCount must be 1..1000000")
    # rule: preorder.paid_only - the schema limits productId/plan to paid values (Free/Trial: POST .../subscriptions)
    pre = SubscriptionPreOrder.objects.create(
        customer=customer,
        product_id=body["productId"],
        plan=plan,
        license_count=licenses if plan in LICENSE_PLANS else None,
        apply_date=day,
    )
    # rule: preorder.created_wrapper - only the created task (the page does not say others are included)
    return created({"subscriptionPreOrders": [pre_order_json(pre)]})


PRE_LIST_SCOPE = rule("preorder.list_either_scope", "listSubscriptionPreOrders", 0)
PRE_LIST_ALL = rule("preorder.list_all_pending", "listSubscriptionPreOrders", 1)
PRE_LIST_GONE = rule("preorder.list_gone_when_applied", "listSubscriptionPreOrders", 2)


@operation("listSubscriptionPreOrders")
def list_subscription_pre_orders(request, domainId: int):
    customer = live_customer(domainId)
    # rule: preorder.list_all_pending (empty array when none); rule: preorder.list_gone_when_applied
    rows = SubscriptionPreOrder.objects.filter(customer=customer).order_by("apply_date", "pk")
    return ok({"subscriptionPreOrders": [pre_order_json(p) for p in rows]})


PRE_PATCH_ONLY_DATE = rule("preorder.patch_only_apply_date", "updateSubscriptionPreOrder", 0)
PRE_PATCH_WINDOW = rule("preorder.patch_date_window", "updateSubscriptionPreOrder", 1)
PRE_PATCH_OPTIONS_STAY = rule("preorder.patch_option_tasks_stay", "updateSubscriptionPreOrder", 2)
PRE_PATCH_UNKNOWN = rule(
    "preorder.patch_unknown", "updateSubscriptionPreOrder", 3, status=404, code="NOT_FOUND"
)


def pre_order_of(customer: Customer, pre_order_id: int, the_rule: Rule) -> SubscriptionPreOrder:
    pre = None
    if 0 < pre_order_id < 2**63:
        pre = SubscriptionPreOrder.objects.filter(customer=customer, pk=pre_order_id).first()
    if pre is None:
        raise the_rule.violation(f"preOrderId {pre_order_id} is not a pre-order of domainId {customer.pk}")
    return pre


@operation("updateSubscriptionPreOrder", field_rules={"applyDate": PRE_PATCH_WINDOW})
def update_subscription_pre_order(request, domainId: int, preOrderId: int):
    body, today = request.api.body, request.api.today
    customer = live_customer(domainId)
    pre = pre_order_of(customer, preOrderId, PRE_PATCH_UNKNOWN)
    PRE_PATCH_WINDOW.check(bool(body.get("applyDate")), "applyDate is required")
    day = parse_date(body["applyDate"])
    check_window(PRE_PATCH_WINDOW, day, today + DAY, today + dt.timedelta(days=FREE_PRE_ORDER_DAYS))
    # rule: preorder.patch_only_apply_date - other fields of the body are ignored
    # rule: preorder.patch_option_tasks_stay - option tasks keep their own dates
    pre.apply_date = day
    pre.save(update_fields=["apply_date"])
    return ok({"subscriptionPreOrders": [pre_order_json(pre)]})


PRE_DELETE_OPTIONS_STAY = rule("preorder.delete_option_tasks_stay", "deleteSubscriptionPreOrder", 0)
PRE_DELETE_UNKNOWN = rule(
    "preorder.delete_unknown", "deleteSubscriptionPreOrder", 1, status=404, code="NOT_FOUND"
)


@operation("deleteSubscriptionPreOrder")
def delete_subscription_pre_order(request, domainId: int, preOrderId: int):
    customer = live_customer(domainId)
    pre = pre_order_of(customer, preOrderId, PRE_DELETE_UNKNOWN)
    # rule: preorder.delete_option_tasks_stay - option tasks lose the link (SET_NULL) but stay
    pre.delete()
    return no_content()
