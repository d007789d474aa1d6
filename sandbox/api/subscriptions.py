"""Tags subscriptions, pre-orders, reservations and renewals: 17 operations, their rules and clock effects.

State: ``Subscription`` (one in use per customer and product group; cancelled rows keep ``cancelled_on``),
``SubscriptionReservation`` (the one scheduled task of a subscription), ``SubscriptionPreOrder`` (a paid
subscription scheduled for a customer) and the renewal settings kept on the subscription row. Every change of
what a customer uses closes its running ``UsagePeriod`` and opens a new one, so that usages and invoices can be
rebuilt from the periods (sandbox.usage). The seed part is sandbox/seeding/subscriptions.py.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from sandbox import clock
from sandbox.api.common import api_path, created, live_customer, no_content, ok, operation, parse_date
from sandbox.api.errors import ApiError
from sandbox.catalogue import DRIVE_FOR_STD, LICENSE_PLANS, PAID_EQUIVALENT, PAID_PLANS, PLAN_OF_PRODUCT
from sandbox.dates import DAY
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
    FREE_PRE_ORDER_DAYS,
    check_window,
    close_usage,
    convert_option_to_paid,
    grace_end,
    live_subscription,
    record_penalty,
    restart_usage,
    stop_option,
    subscription_period,
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


# --- subscriptions ---------------------------------------------------------------------------------------------

LIST_SCOPE = rule("subscription.list_either_scope", "listSubscriptions", 0)
LIST_IN_USE = rule("subscription.list_in_use_only", "listSubscriptions", 1)
LIST_RENEWAL = rule("subscription.list_renewal_paid_only", "listSubscriptions", 2)
LIST_NO_PAGES = rule("subscription.list_not_paginated", "listSubscriptions", 3)
LIST_UNKNOWN = rule("subscription.list_unknown_domain", "listSubscriptions", 4, status=404, code="NOT_FOUND")


@operation("listSubscriptions")
def list_subscriptions(request, domainId: int):
    # rule: subscription.list_either_scope (the decorator accepts partner or partner.read for reads)
    # rule: subscription.list_unknown_domain - x-unverified: 404 chosen among "404 or 403"
    customer = live_customer(domainId)
    # rule: subscription.list_in_use_only; rule: subscription.list_not_paginated (no cursor, no responseMetaData)
    subs = Subscription.objects.filter(customer=customer, cancelled_on__isnull=True).order_by("pk")
    return ok({"subscriptions": [subscription_json(s) for s in subs]})


CREATE_AFTER_FREE = rule("subscription.create_paid_after_free_or_trial", "createSubscription", 0)
CREATE_NOT_CONVERT = rule("subscription.create_not_for_conversion", "createSubscription", 1)
CREATE_PLAN = rule("subscription.create_plan_values", "createSubscription", 2)
CREATE_FREE_TRIAL_HERE = rule("subscription.create_free_trial_immediate", "createSubscription", 3)
CREATE_LICENSES = rule("subscription.create_license_count_annual", "createSubscription", 4)
CREATE_ONE_PER_GROUP = rule("subscription.create_one_per_product_group", "createSubscription", 5)
CREATE_REPLACES = rule("subscription.create_replaces_customer_product", "createSubscription", 6)


@operation(
    "createSubscription",
    field_rules={"plan": CREATE_PLAN, "productId": CREATE_PLAN, "licenseCount": CREATE_LICENSES},
)
def create_subscription(request, domainId: int):
    # x-unverified (createSubscription): body fields, required list and the 201 answer are assumptions.
    body, today = request.api.body, request.api.today
    with transaction.atomic():
        customer = live_customer(domainId, for_update=True)
        product, plan = body["productId"], body["plan"]
        licenses = body.get("licenseCount")
        # rule: subscription.create_plan_values - the plan must suit the product (FR/FREE, *_T/TRIAL, paid)
        CREATE_PLAN.check(
            plan in PLAN_OF_PRODUCT[product], f"plan {plan} does not go with productId {product}"
        )
        current = live_subscription(customer)
        paid = plan in PAID_PLANS
        if paid and current is not None and current.plan in ("FREE", "TRIAL"):
            raise CREATE_NOT_CONVERT.violation(
                "the customer uses a Free/Trial subscription: convert it with .../paid-service"
            )
        # x-unverified (rule 5): one subscription per product group at a time
        CREATE_ONE_PER_GROUP.check(current is None, "the customer already has a LINE WORKS subscription")
        if paid:
            used_before = Subscription.objects.filter(customer=customer, plan__in=("FREE", "TRIAL")).exists()
            CREATE_AFTER_FREE.check(
                used_before, "a paid subscription needs the Free or Trial plan to be used first"
            )
            # x-unverified (rule 4): licenseCount required for annual plans, ignored otherwise
            CREATE_LICENSES.check(
                plan not in LICENSE_PLANS or licenses is not None, f"licenseCount is required for plan {plan}"
            )
            CREATE_LICENSES.check(licenses is None or licenses >= 1, "licenseCount must be at least 1")
        if plan not in LICENSE_PLANS:
            licenses = None
        # rule: subscription.create_free_trial_immediate - Free and Trial start today, never on a date
        # rule: subscription.create_replaces_customer_product - the customer's productId follows its subscription
        sub = Subscription.objects.create(
            customer=customer,
            product_id=product,
            plan=plan,
            plan_start_date=today,
            plan_end_date=term_end(plan, today),
            license_count=licenses,
            status="ACTIVE",
            renewal_type="STAY" if paid else "",
        )
        customer.product_id = product
        customer.save(update_fields=["product_id"])
        subscription_period(sub, customer, today).save()
    # x-unverified (createSubscription 201): the created Subscription is returned.
    return created(subscription_json(sub))


GET_SCOPE = rule("subscription.get_either_scope", "getSubscription", 0)
GET_RENEWAL = rule("subscription.get_renewal_paid_only", "getSubscription", 1)
GET_UNKNOWN = rule("subscription.get_unknown_id", "getSubscription", 2, status=404, code="NOT_FOUND")


@operation("getSubscription")
def get_subscription(request, domainId: int, subscriptionId: str):
    customer = live_customer(domainId)
    # rule: subscription.get_unknown_id - x-unverified: 404 NOT_FOUND
    sub = subscription_of(customer, subscriptionId, the_rule=GET_UNKNOWN)
    return ok(subscription_json(sub))


CANCEL_NOT_WHILE_PAID_TASK = rule("subscription.cancel_refused_with_paid_task", "cancelSubscription", 0)
CANCEL_IMMEDIATE = rule("subscription.cancel_immediate", "cancelSubscription", 1)
CANCEL_OPTIONS_PENALTY = rule("subscription.cancel_options_and_penalty", "cancelSubscription", 2)
CANCEL_NOT_LISTED = rule("subscription.cancel_not_listed_after", "cancelSubscription", 3)


@operation("cancelSubscription")
def cancel_subscription(request, domainId: int, subscriptionId: str):
    today = request.api.today
    with transaction.atomic():
        customer = live_customer(domainId, for_update=True)
        sub = subscription_of(customer, subscriptionId)
        task = SubscriptionReservation.objects.filter(subscription=sub).first()
        CANCEL_NOT_WHILE_PAID_TASK.check(
            task is None or task.type != "START_PAID_SERVICE",
            "a paid conversion (START_PAID_SERVICE) is scheduled: delete the reservation first",
        )
        # rule: subscription.cancel_immediate; rule: subscription.cancel_not_listed_after
        # x-unverified (rule 2): options go with it; an annual contract stopped early gets a PENALTY period
        stop_subscription(sub, today, penalty=True)
    return no_content()


PAID_PLAN = rule("subscription.paid_plan_required", "convertSubscriptionToPaid", 0)
PAID_ONLY_FREE_TRIAL = rule("subscription.paid_only_free_or_trial", "convertSubscriptionToPaid", 1)
PAID_TRIAL_NO_PRODUCT = rule("subscription.paid_trial_without_product", "convertSubscriptionToPaid", 2)
PAID_FREE_PRODUCT = rule("subscription.paid_free_needs_product", "convertSubscriptionToPaid", 3)
PAID_LICENSES = rule("subscription.paid_license_count_annual", "convertSubscriptionToPaid", 4)
PAID_MEMBERS = rule("subscription.paid_license_count_members", "convertSubscriptionToPaid", 5)
PAID_DELETES_TASK = rule("subscription.paid_deletes_reservation", "convertSubscriptionToPaid", 6)
PAID_TRIAL_OPTIONS_STAY = rule("subscription.paid_trial_options_stay", "convertSubscriptionToPaid", 7)
PAID_ADV_DOMAIN = rule("subscription.paid_adv_needs_domain", "convertSubscriptionToPaid", 8)


def paid_target(
    sub: Subscription, customer: Customer, body: dict, *, rules: dict[str, Rule]
) -> tuple[str, str, int | None]:
    """(productId, plan, licenseCount) of a Free/Trial subscription's paid conversion, checked."""
    plan, product, licenses = body.get("plan"), body.get("productId"), body.get("licenseCount")
    rules["plan"].check(
        plan in PAID_PLANS, "plan (MONTHLY, ANNUAL_LICENSE or ANNUAL_PREPAY_LICENSE) is required"
    )
    if sub.plan == "TRIAL":
        rules["trial"].check(not product, "productId must not be sent when converting a Trial subscription")
        product = PAID_EQUIVALENT[sub.product_id]
    else:
        rules["free"].check(
            bool(product), "productId (STD or ADV) is required when converting a Free subscription"
        )
    rules["licenses"].check(
        plan not in LICENSE_PLANS or licenses is not None, f"licenseCount is required for plan {plan}"
    )
    rules["licenses"].check(
        licenses is None or licenses <= MAX_LICENSES, f"licenseCount must be at most {MAX_LICENSES}"
    )
    if licenses is not None and plan in LICENSE_PLANS and "members" in rules:
        rules["members"].check(
            licenses >= customer.member_count,
            f"licenseCount {licenses} is below the customer's {customer.member_count} members",
        )
    # x-unverified (JP reservation page): Advanced from Free or Standard Trial needs a domain, not a group name
    rules["domain"].check(
        not (product == "ADV" and sub.product_id in ("FR", "STD_T") and customer.domain_type == "GROUP"),
        "Advanced is available only using a domain: change the group name to a domain first",
    )
    return product, plan, licenses if plan in LICENSE_PLANS else None


@operation(
    "convertSubscriptionToPaid",
    field_rules={"plan": PAID_PLAN, "productId": PAID_FREE_PRODUCT, "licenseCount": PAID_LICENSES},
)
def convert_subscription_to_paid(request, domainId: int, subscriptionId: str):
    today = request.api.today
    with transaction.atomic():
        customer = live_customer(domainId, for_update=True)
        sub = subscription_of(customer, subscriptionId)
        PAID_ONLY_FREE_TRIAL.check(
            sub.plan in ("FREE", "TRIAL"), "only a Free or Trial subscription can be converted"
        )
        product, plan, licenses = paid_target(
            sub,
            customer,
            request.api.body,
            rules={
                "plan": PAID_PLAN,
                "trial": PAID_TRIAL_NO_PRODUCT,
                "free": PAID_FREE_PRODUCT,
                "licenses": PAID_LICENSES,
                "members": PAID_MEMBERS,
                "domain": PAID_ADV_DOMAIN,
            },
        )
        # rule: subscription.paid_deletes_reservation
        SubscriptionReservation.objects.filter(subscription=sub).delete()
        # rule: subscription.paid_trial_options_stay - options are left as they are
        start_paid_term(sub, product_id=product, plan=plan, license_count=licenses, day=today)
    # x-unverified (convertSubscriptionToPaid 200): the updated Subscription is returned.
    return ok(subscription_json(sub))


UPGRADE_PRODUCT = rule("subscription.upgrade_product_required", "upgradeSubscription", 0)
UPGRADE_ONLY_UP = rule("subscription.upgrade_only_std_to_adv", "upgradeSubscription", 1)
UPGRADE_DOMAIN = rule("subscription.upgrade_adv_needs_domain", "upgradeSubscription", 2)
UPGRADE_CLEARS_RENEWAL = rule("subscription.upgrade_clears_renewal_upgrade", "upgradeSubscription", 3)
UPGRADE_NOT_FREE_GRACE = rule("subscription.upgrade_not_free_or_grace", "upgradeSubscription", 4)
UPGRADE_CANCELS_OPTIONS = rule("subscription.upgrade_cancels_unavailable_options", "upgradeSubscription", 5)

# Drive sub options labelled "for STD" (contract notes); they are not available on Advanced.


@operation("upgradeSubscription", field_rules={"productId": UPGRADE_PRODUCT})
def upgrade_subscription(request, domainId: int, subscriptionId: str):
    today, target = request.api.today, request.api.body["productId"]
    with transaction.atomic():
        customer = live_customer(domainId, for_update=True)
        sub = subscription_of(customer, subscriptionId)
        # x-unverified (rule 4, deprecated predecessor): not for Free, not in the Trial grace period
        UPGRADE_NOT_FREE_GRACE.check(sub.plan != "FREE", "a Free subscription cannot be upgraded")
        UPGRADE_NOT_FREE_GRACE.check(
            sub.status != "SUSPENDED_TRIALEND", "a subscription in the Trial grace period cannot be upgraded"
        )
        allowed = {"STD": "ADV", "STD_T": "ADV_T"}
        UPGRADE_ONLY_UP.check(
            allowed.get(sub.product_id) == target, f"{sub.product_id} cannot be upgraded to {target}"
        )
        UPGRADE_DOMAIN.check(
            customer.domain_type == "DOMAIN",
            "Advanced is available only using a domain: use change-domain first",
        )
        sub.product_id = target
        # rule: subscription.upgrade_clears_renewal_upgrade
        if sub.renewal_type == "CHANGE" and sub.renewal_product_id:
            sub.renewal_product_id = ""
            if not sub.renewal_plan and sub.renewal_license_count is None:
                sub.renewal_type = "STAY"
        sub.save()
        customer.product_id = target
        customer.save(update_fields=["product_id"])
        # x-unverified (rule 5): options the new plan does not offer (Drive for STD) are cancelled
        for option in OptionProduct.objects.filter(
            subscription=sub, cancelled_on__isnull=True, sub_option_id__in=DRIVE_FOR_STD
        ):
            stop_option(option, today, penalty=False)
            OptionProductOrder.objects.filter(
                customer=customer, option_product_id=option.option_product_id
            ).delete()
        restart_usage(sub, today)
    return ok(subscription_json(sub))


ADD_ANNUAL_ONLY = rule("subscription.add_license_annual_only", "addSubscriptionLicenseCount", 0)
ADD_ADDS = rule("subscription.add_license_adds", "addSubscriptionLicenseCount", 1)
ADD_RANGE = rule("subscription.add_license_range", "addSubscriptionLicenseCount", 2)
ADD_DELETES_TASK = rule("subscription.add_license_deletes_task", "addSubscriptionLicenseCount", 3)
ADD_NOT_MAX_USERS = rule("subscription.add_license_not_max_users", "addSubscriptionLicenseCount", 4)


@operation("addSubscriptionLicenseCount", field_rules={"licenseCount": ADD_RANGE})
def add_subscription_license_count(request, domainId: int, subscriptionId: str):
    # x-unverified (addSubscriptionLicenseCount): body {licenseCount} = licences to add, 200 + Subscription.
    today, extra = request.api.today, request.api.body["licenseCount"]
    with transaction.atomic():
        customer = live_customer(domainId, for_update=True)
        sub = subscription_of(customer, subscriptionId)
        ADD_ANNUAL_ONLY.check(
            sub.plan in LICENSE_PLANS, "licences can be added only to an annual licence plan"
        )
        total = (sub.license_count or 0) + extra
        ADD_RANGE.check(
            total <= MAX_LICENSES, f"the subscription would have {total} licences (max {MAX_LICENSES})"
        )
        # rule: subscription.add_license_adds - the count grows by licenseCount
        sub.license_count = total
        sub.save(update_fields=["license_count"])
        # rule: subscription.add_license_deletes_task - x-unverified (deprecated predecessor)
        SubscriptionReservation.objects.filter(subscription=sub, type="ADD_LICENSE").delete()
        # rule: subscription.add_license_not_max_users - the customer's maxMemberCount is left alone
        restart_usage(sub, today)
    return ok(subscription_json(sub))


# --- pre-orders -----------------------------------------------------------------------------------------------

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


# --- reservations ---------------------------------------------------------------------------------------------

RES_REQUIRED = rule("reservation.type_and_date_required", "createSubscriptionReservation", 0)
RES_ONE = rule("reservation.one_per_subscription", "createSubscriptionReservation", 1)
RES_PAID_FROM = rule("reservation.paid_only_free_or_trial", "createSubscriptionReservation", 2)
RES_PAID_PLAN = rule("reservation.paid_plan_and_licenses", "createSubscriptionReservation", 3)
RES_PAID_PRODUCT = rule("reservation.paid_product_free_only", "createSubscriptionReservation", 4)
RES_PAID_WINDOW = rule("reservation.paid_date_window", "createSubscriptionReservation", 5)
RES_PAID_DOMAIN = rule("reservation.paid_adv_needs_domain", "createSubscriptionReservation", 6)
RES_ADD_ANNUAL = rule("reservation.add_license_annual_only", "createSubscriptionReservation", 7)
RES_ADD_WINDOW = rule("reservation.add_license_date_window", "createSubscriptionReservation", 8)
RES_CANCEL_PAID = rule("reservation.cancel_paid_only", "createSubscriptionReservation", 9)
RES_CANCEL_WINDOW = rule("reservation.cancel_date_window", "createSubscriptionReservation", 10)
RES_MAX = rule("reservation.license_count_max", "createSubscriptionReservation", 11)
RES_CONVERTS_OPTIONS = rule("reservation.paid_converts_trial_options", "createSubscriptionReservation", 12)
RES_CANCEL_OPTIONS = rule("reservation.cancel_cancels_options", "createSubscriptionReservation", 13)
RES_BLOCKS_DELETE = rule("reservation.paid_task_blocks_cancel", "createSubscriptionReservation", 14)


def reservation_window(sub: Subscription, kind: str, today: dt.date) -> tuple[dt.date, dt.date, Rule]:
    """Inclusive applyDate window of a task type for this subscription (business clock)."""
    if kind == "START_PAID_SERVICE":
        if sub.plan == "TRIAL":
            # x-unverified: the lower bound is not stated; tomorrow is assumed
            return today + DAY, grace_end(sub) or today, RES_PAID_WINDOW
        return today + DAY, today + dt.timedelta(days=FREE_CONVERSION_DAYS), RES_PAID_WINDOW
    end = sub.plan_end_date or today
    if kind == "ADD_LICENSE":
        return today + DAY, end, RES_ADD_WINDOW
    return today + DAY, end + DAY, RES_CANCEL_WINDOW


@operation(
    "createSubscriptionReservation",
    field_rules={
        "type": RES_REQUIRED,
        "applyDate": RES_REQUIRED,
        "licenseCount": RES_MAX,
        "plan": RES_PAID_PLAN,
    },
)
def create_subscription_reservation(request, domainId: int, subscriptionId: str):
    body, today = request.api.body, request.api.today
    with transaction.atomic():
        customer = live_customer(domainId, for_update=True)
        sub = subscription_of(customer, subscriptionId)
        RES_ONE.check(
            not SubscriptionReservation.objects.filter(subscription=sub).exists(),
            "the subscription already has a scheduled task: change or delete it",
        )
        kind, day = body["type"], parse_date(body["applyDate"])
        plan, product, licenses = body.get("plan", ""), body.get("productId", ""), body.get("licenseCount")
        if kind == "START_PAID_SERVICE":
            RES_PAID_FROM.check(
                sub.plan in ("FREE", "TRIAL"), "only a Free or Trial subscription can start paid service"
            )
            RES_PAID_PLAN.check(plan in PAID_PLANS, "plan is required for START_PAID_SERVICE")
            RES_PAID_PLAN.check(
                plan not in LICENSE_PLANS or licenses is not None, f"licenseCount is required for plan {plan}"
            )
            if sub.plan == "TRIAL":
                RES_PAID_PRODUCT.check(not product, "productId must not be sent for a Trial subscription")
            else:
                RES_PAID_PRODUCT.check(
                    bool(product), "productId (STD or ADV) is required for a Free subscription"
                )
            target = product or PAID_EQUIVALENT.get(sub.product_id, "")
            RES_PAID_DOMAIN.check(
                not (
                    target == "ADV" and sub.product_id in ("FR", "STD_T") and customer.domain_type == "GROUP"
                ),
                "Advanced is available only using a domain: register the upgrade domain and change the group name",
            )
            if plan not in LICENSE_PLANS:
                licenses = None
        elif kind == "ADD_LICENSE":
            RES_ADD_ANNUAL.check(sub.plan in LICENSE_PLANS, "ADD_LICENSE needs an annual licence plan")
            RES_ADD_ANNUAL.check(
                licenses is not None and licenses >= 1, "licenseCount (licences to add) is required"
            )
            plan = product = ""
        else:
            RES_CANCEL_PAID.check(
                sub.plan in PAID_PLANS, "only a paid subscription can be scheduled for cancellation"
            )
            plan = product = ""
            licenses = None
        first, last, window_rule = reservation_window(sub, kind, today)
        check_window(window_rule, day, first, last)
        res = SubscriptionReservation.objects.create(
            subscription=sub, type=kind, apply_date=day, plan=plan, product_id=product, license_count=licenses
        )
    # x-unverified (createSubscriptionReservation 201): status assumed; body documented.
    return created(reservation_json(res))


RES_GET_SCOPE = rule("reservation.get_either_scope", "getSubscriptionReservation", 0)
RES_GET_COUNT = rule("reservation.get_license_count_meaning", "getSubscriptionReservation", 1)
RES_GET_NONE = rule("reservation.get_none_404", "getSubscriptionReservation", 2, status=404, code="NOT_FOUND")


def reservation_of(sub: Subscription, the_rule: Rule) -> SubscriptionReservation:
    res = SubscriptionReservation.objects.filter(subscription=sub).first()
    if res is None:
        # x-unverified: the answer when no task exists is not documented (404 NOT_FOUND)
        raise the_rule.violation(f"subscription {sub.pk} has no scheduled task")
    return res


@operation("getSubscriptionReservation")
def get_subscription_reservation(request, domainId: int, subscriptionId: str):
    customer = live_customer(domainId)
    sub = subscription_of(customer, subscriptionId)
    return ok(reservation_json(reservation_of(sub, RES_GET_NONE)))


RES_PATCH_ONLY_DATE = rule("reservation.patch_only_apply_date", "updateSubscriptionReservation", 0)
RES_PATCH_WINDOW = rule("reservation.patch_date_window", "updateSubscriptionReservation", 1)
RES_PATCH_OPTIONS_STAY = rule("reservation.patch_option_tasks_stay", "updateSubscriptionReservation", 2)
RES_PATCH_NONE = rule(
    "reservation.patch_none_404", "updateSubscriptionReservation", 3, status=404, code="NOT_FOUND"
)


@operation("updateSubscriptionReservation", field_rules={"applyDate": RES_PATCH_WINDOW})
def update_subscription_reservation(request, domainId: int, subscriptionId: str):
    body, today = request.api.body, request.api.today
    with transaction.atomic():
        customer = live_customer(domainId, for_update=True)
        sub = subscription_of(customer, subscriptionId)
        res = reservation_of(sub, RES_PATCH_NONE)
        RES_PATCH_WINDOW.check(bool(body.get("applyDate")), "applyDate is required")
        day = parse_date(body["applyDate"])
        first, last, _ = reservation_window(sub, res.type, today)
        check_window(RES_PATCH_WINDOW, day, first, last)
        # rule: reservation.patch_only_apply_date; rule: reservation.patch_option_tasks_stay
        res.apply_date = day
        res.save(update_fields=["apply_date"])
    return ok(reservation_json(res))


RES_DELETE_OPTIONS_STAY = rule("reservation.delete_option_tasks_stay", "deleteSubscriptionReservation", 0)
RES_DELETE_THEN_NEW = rule("reservation.delete_allows_new_task", "deleteSubscriptionReservation", 1)
RES_DELETE_NONE = rule(
    "reservation.delete_none_404", "deleteSubscriptionReservation", 2, status=404, code="NOT_FOUND"
)


@operation("deleteSubscriptionReservation")
def delete_subscription_reservation(request, domainId: int, subscriptionId: str):
    customer = live_customer(domainId)
    sub = subscription_of(customer, subscriptionId)
    # rule: reservation.delete_option_tasks_stay; rule: reservation.delete_allows_new_task
    reservation_of(sub, RES_DELETE_NONE).delete()
    return no_content()


# --- renewals -------------------------------------------------------------------------------------------------

RENEW_GET_SCOPE = rule("sub_renewal.get_either_scope", "getSubscriptionRenewal", 0)
RENEW_GET_PAID = rule("sub_renewal.get_paid_only", "getSubscriptionRenewal", 1)


@operation("getSubscriptionRenewal")
def get_subscription_renewal(request, domainId: int, subscriptionId: str):
    customer = live_customer(domainId)
    sub = subscription_of(customer, subscriptionId)
    # x-unverified: the error for Free/Trial is not documented; 400 (the contract lists 400 for this read)
    RENEW_GET_PAID.check(sub.plan in PAID_PLANS, "Free and Trial subscriptions have no renewal settings")
    return ok(renewal_json(sub))


RENEW_TYPE = rule("sub_renewal.type_required", "updateSubscriptionRenewal", 0)
RENEW_STAY = rule("sub_renewal.stay_keeps_terms", "updateSubscriptionRenewal", 1)
RENEW_CHANGE = rule("sub_renewal.change_terms", "updateSubscriptionRenewal", 2)
RENEW_CANCEL = rule("sub_renewal.cancel_ends_after_term", "updateSubscriptionRenewal", 3)
RENEW_LICENSES = rule("sub_renewal.license_count_annual", "updateSubscriptionRenewal", 4)
RENEW_DOMAIN = rule("sub_renewal.adv_needs_domain", "updateSubscriptionRenewal", 5)
RENEW_PAID_ONLY = rule("sub_renewal.paid_only", "updateSubscriptionRenewal", 6)
RENEW_UPGRADE_CLEARS = rule("sub_renewal.upgrade_clears_change", "updateSubscriptionRenewal", 7)


@operation("updateSubscriptionRenewal", field_rules={"type": RENEW_TYPE, "licenseCount": RENEW_LICENSES})
def update_subscription_renewal(request, domainId: int, subscriptionId: str):
    body = request.api.body
    with transaction.atomic():
        customer = live_customer(domainId, for_update=True)
        sub = subscription_of(customer, subscriptionId)
        RENEW_PAID_ONLY.check(
            sub.plan in PAID_PLANS, "renewal settings cannot be set for Free or Trial subscriptions"
        )
        kind = body["type"]
        product, plan, licenses = body.get("productId", ""), body.get("plan", ""), body.get("licenseCount")
        if kind == "CHANGE":
            RENEW_CHANGE.check(
                bool(product or plan or licenses is not None), "CHANGE needs productId, plan or licenseCount"
            )
            new_plan = plan or sub.plan
            if new_plan in LICENSE_PLANS:
                RENEW_LICENSES.check(
                    licenses is not None or sub.license_count is not None,
                    f"licenseCount is required to renew with plan {new_plan}",
                )
                RENEW_LICENSES.check(licenses is None or licenses >= 1, "licenseCount must be at least 1")
            else:
                RENEW_LICENSES.check(licenses is None, f"licenseCount is not used with plan {new_plan}")
            RENEW_DOMAIN.check(
                not ((product or sub.product_id) == "ADV" and customer.domain_type == "GROUP"),
                "Advanced is available only using a domain (not a group name)",
            )
            # rule: sub_renewal.change_terms - productId, plan and licence count (also fewer licences)
            sub.renewal_product_id = product if product and product != sub.product_id else ""
            sub.renewal_plan = plan if plan and plan != sub.plan else ""
            sub.renewal_license_count = licenses
        else:
            # rule: sub_renewal.stay_keeps_terms; rule: sub_renewal.cancel_ends_after_term
            sub.renewal_product_id = sub.renewal_plan = ""
            sub.renewal_license_count = None
        sub.renewal_type = kind
        sub.save()
    return ok(renewal_json(sub))


# --- clock effects --------------------------------------------------------------------------------------------


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


urlpatterns = [
    # Literal segments before parameters: .../subscriptions/pre-orders before .../subscriptions/{subscriptionId}
    api_path(
        "/partners/customers/{domainId}/subscriptions", get=list_subscriptions, post=create_subscription
    ),
    api_path(
        "/partners/customers/{domainId}/subscriptions/pre-orders",
        get=list_subscription_pre_orders,
        post=create_subscription_pre_order,
    ),
    api_path(
        "/partners/customers/{domainId}/subscriptions/pre-orders/{preOrderId}",
        patch=update_subscription_pre_order,
        delete=delete_subscription_pre_order,
    ),
    api_path(
        "/partners/customers/{domainId}/subscriptions/{subscriptionId}",
        get=get_subscription,
        delete=cancel_subscription,
    ),
    api_path(
        "/partners/customers/{domainId}/subscriptions/{subscriptionId}/paid-service",
        post=convert_subscription_to_paid,
    ),
    api_path(
        "/partners/customers/{domainId}/subscriptions/{subscriptionId}/upgrade", post=upgrade_subscription
    ),
    api_path(
        "/partners/customers/{domainId}/subscriptions/{subscriptionId}/add-license-count",
        post=add_subscription_license_count,
    ),
    api_path(
        "/partners/customers/{domainId}/subscriptions/{subscriptionId}/reservation",
        get=get_subscription_reservation,
        post=create_subscription_reservation,
        patch=update_subscription_reservation,
        delete=delete_subscription_reservation,
    ),
    api_path(
        "/partners/customers/{domainId}/subscriptions/{subscriptionId}/renewal",
        get=get_subscription_renewal,
        patch=update_subscription_renewal,
    ),
]
