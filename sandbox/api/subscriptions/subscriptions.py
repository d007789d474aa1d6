"""Tag subscriptions: list, create, get and cancel a subscription, convert it to paid, upgrade it and add licences,
with their rules."""

from __future__ import annotations

from django.db import transaction

from sandbox.api.common import created, live_customer, no_content, ok, operation
from sandbox.api.subscriptions.shared import (
    MAX_LICENSES,
    start_paid_term,
    stop_subscription,
    subscription_json,
    subscription_of,
)
from sandbox.catalogue import DRIVE_FOR_STD, LICENSE_PLANS, PAID_EQUIVALENT, PAID_PLANS, PLAN_OF_PRODUCT
from sandbox.models import (
    Customer,
    OptionProduct,
    OptionProductOrder,
    Subscription,
    SubscriptionReservation,
)
from sandbox.rules import Rule, rule
from sandbox.usage import (
    live_subscription,
    restart_usage,
    stop_option,
    subscription_period,
    term_end,
)

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
