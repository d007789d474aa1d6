"""Tag reservations: the one scheduled task of a subscription (create, get, update, delete), with their rules."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from sandbox.api.common import created, live_customer, no_content, ok, operation, parse_date
from sandbox.api.subscriptions.shared import reservation_json, subscription_of
from sandbox.catalogue import LICENSE_PLANS, PAID_EQUIVALENT, PAID_PLANS
from sandbox.dates import DAY
from sandbox.models import (
    Subscription,
    SubscriptionReservation,
)
from sandbox.rules import Rule, rule
from sandbox.usage import (
    FREE_CONVERSION_DAYS,
    check_window,
    grace_end,
)

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
