"""Tags options and option-orders: 13 operations, their rules and clock effects.

An option (``OptionProduct``) hangs on the customer's subscription in use; paths are keyed on optionProductId,
so a customer has at most one option and one scheduled task (``OptionProductOrder``) per optionProductId.
Cancelled options keep their row (``cancelled_on``), which the "re-add from the 1st of next month" rule reads.
The catalogue is sandbox.catalogue; the seed part is sandbox/seeding/options.py.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from sandbox import clock
from sandbox.api.common import api_path, created, live_customer, no_content, ok, operation, parse_date
from sandbox.api.errors import ApiError
from sandbox.catalogue import (
    CAPACITY,
    DRIVE_FOR_ADV,
    DRIVE_FOR_STD,
    LICENSE_PLANS,
    PAID_EQUIVALENT,
    PAID_PLANS,
    PAID_SUB_OPTION,
    PARENT,
    QUANTITY_OPTIONS,
    RANK,
    TRIAL_SUB_OPTIONS,
    family,
)
from sandbox.dates import DAY, TRIAL_DAYS, days_of, month_bounds, month_end, next_month_first
from sandbox.models import (
    Customer,
    OptionProduct,
    OptionProductOrder,
    Subscription,
    SubscriptionPreOrder,
    SubscriptionReservation,
    UsagePeriod,
)
from sandbox.rules import Rule, rule
from sandbox.usage import (
    FREE_CONVERSION_DAYS,
    check_window,
    convert_option_to_paid,
    grace_end,
    live_subscription,
    option_period,
    restart_option_usage,
    stop_option,
)

# --- catalogue checks (sandbox.catalogue holds the catalogue) -------------------------------------------------

# x-unverified: no maximum quantity is documented; the sandbox caps it so that a count stays a sane integer.
MAX_QUANTITY = 1_000


def belongs(the_rule: Rule, option_id: str, sub_option: str) -> None:
    the_rule.check(
        PARENT.get(sub_option) == option_id, f"subOptionId {sub_option} is not a sub option of {option_id}"
    )


def check_catalogue(
    product: str | None,
    option_id: str,
    sub_option: str,
    *,
    free_rule: Rule,
    plan_rule: Rule,
    drive_rule: Rule,
) -> None:
    """Is ``sub_option`` available with subscription product ``product``?"""
    free_rule.check(
        product in ("STD", "STD_T", "ADV", "ADV_T"),
        "options are available only with Standard, Standard Trial, Advanced or Advanced Trial",
    )
    if option_id in QUANTITY_OPTIONS:
        plan_rule.check(
            product in ("STD", "ADV"), f"{option_id} is available only with the Standard or Advanced plan"
        )
    if sub_option in DRIVE_FOR_STD:
        # x-unverified (createOptionProduct rule 6): inferred from the "(for STD)" labels
        drive_rule.check(product in ("STD", "STD_T"), f"{sub_option} is the Drive for Standard")
    if sub_option in DRIVE_FOR_ADV:
        drive_rule.check(product in ("ADV", "ADV_T"), f"{sub_option} is the Drive for Advanced")


def in_use(customer: Customer, option_id: str) -> OptionProduct | None:
    return OptionProduct.objects.filter(
        customer=customer, option_product_id=option_id, cancelled_on__isnull=True
    ).first()


def option_of(customer: Customer, option_id: str, the_rule: Rule) -> OptionProduct:
    option = in_use(customer, option_id)
    if option is None:
        raise the_rule.violation(
            f"option {option_id} is not in use by domainId {customer.pk}", status=404, code="NOT_FOUND"
        )
    return option


def readd_from(customer: Customer, option_id: str) -> dt.date | None:
    """First day an annual option cancelled this month may be added again (1st of the following month)."""
    last = (
        OptionProduct.objects.filter(
            customer=customer, option_product_id=option_id, cancelled_on__isnull=False, plan__in=LICENSE_PLANS
        )
        .order_by("-cancelled_on")
        .values_list("cancelled_on", flat=True)
        .first()
    )
    return next_month_first(last) if last else None


def check_readd(the_rule: Rule, customer: Customer, option_id: str, day: dt.date, *, what: str) -> None:
    """An annual option cancelled this month comes back on ``day`` only from the 1st of the following month."""
    first_day = readd_from(customer, option_id)
    the_rule.check(
        first_day is None or day >= first_day,
        f"{option_id} was cancelled on an annual contract: it can be {what} from {first_day}",
    )


def checked_quantity(the_rule: Rule, option_id: str, quantity: int | None) -> int | None:
    """Quantity of a new option: counted options (SSTG2, BCT) 1 unless more were asked for; others none."""
    if option_id in QUANTITY_OPTIONS:
        quantity = quantity or 1
        the_rule.check(quantity <= MAX_QUANTITY, f"quantity must be at most {MAX_QUANTITY}")
    else:
        the_rule.check(quantity is None, f"{option_id} does not take a quantity")
    return quantity


def option_terms(sub: Subscription, sub_option: str, day: dt.date) -> tuple[str, dt.date]:
    """(plan, planEndDate) of an option started on ``day``: Trial for TRIAL_DAYS, else the subscription's term."""
    if sub_option in TRIAL_SUB_OPTIONS or sub.plan not in PAID_PLANS:
        # x-unverified: the Trial length of an option is not documented (the subscription's Trial length is used).
        return "TRIAL", day + dt.timedelta(days=TRIAL_DAYS - 1)
    return sub.plan, sub.plan_end_date or month_end(day)


def start_option(
    customer: Customer, sub: Subscription, option_id: str, sub_option: str, quantity, day: dt.date
) -> OptionProduct:
    plan, end = option_terms(sub, sub_option, day)
    option = OptionProduct.objects.create(
        customer=customer,
        subscription=sub,
        option_product_id=option_id,
        sub_option_id=sub_option,
        quantity=quantity,
        plan=plan,
        applied_time=clock.now(),
        plan_start_date=day,
        plan_end_date=end,
        renewal_type="STAY" if plan in PAID_PLANS else "",
        usage_count=0 if option_id in QUANTITY_OPTIONS else None,
    )
    option_period(option, sub, customer, day).save()
    return option


# --- serialisation --------------------------------------------------------------------------------------------


def option_json(option: OptionProduct) -> dict:
    return {
        "subscriptionId": option.subscription_id,
        "optionProductId": option.option_product_id,
        "subOptionId": option.sub_option_id,
        "appliedTime": option.applied_time,
        # rule: option.list_quantity_only_counted - null for ACV2/DRV, a positive number for SSTG2/BCT
        "quantity": option.quantity,
        "plan": option.plan,
        "planStartDate": option.plan_start_date,
        # rule: option.list_plan_end_date - paid: contract end; Trial: the Trial's end
        "planEndDate": option.plan_end_date,
    }


def order_json(order: OptionProductOrder) -> dict:
    return {
        # rule: option_order.list_subscription_null_for_pre_order
        "subscriptionId": order.subscription_id,
        "optionProductId": order.option_product_id,
        "subOptionId": order.sub_option_id,
        "type": order.type,
        "quantity": order.quantity,
        "applyDate": order.apply_date,
    }


def option_renewal_json(option: OptionProduct) -> dict:
    data = {
        "subscriptionId": option.subscription_id,
        "optionProductId": option.option_product_id,
        "type": option.renewal_type or "STAY",
        "subOptionId": option.sub_option_id,
        # x-unverified (OptionProductRenewal.quantity)
        "quantity": option.quantity,
    }
    if data["type"] == "CHANGE":
        data["subOptionId"] = option.renewal_sub_option_id or option.sub_option_id
        if option.renewal_quantity is not None:
            data["quantity"] = option.renewal_quantity
    return data


# --- options --------------------------------------------------------------------------------------------------

ADD_GRACE = rule("option.add_refused_in_grace", "createOptionProduct", 0)
ADD_TRIAL_ONLY_TRIAL = rule("option.add_trial_subscription_trial_only", "createOptionProduct", 1)
ADD_PAID_BOTH = rule("option.add_paid_subscription_both", "createOptionProduct", 2)
ADD_ACV_DRV = rule("option.add_archive_drive_products", "createOptionProduct", 3)
ADD_STORAGE_CONTACTS = rule("option.add_storage_contacts_paid_only", "createOptionProduct", 4)
ADD_BELONGS = rule("option.add_sub_option_belongs", "createOptionProduct", 5)
ADD_DRIVE_LABEL = rule("option.add_drive_for_std_or_adv", "createOptionProduct", 6)
ADD_QUANTITY = rule("option.add_quantity_only_counted", "createOptionProduct", 7)
ADD_ANSWER_QUANTITY = rule("option.add_answer_quantity", "createOptionProduct", 8)
ADD_DELETES_TASK = rule("option.add_deletes_task", "createOptionProduct", 9)
ADD_ANNUAL_READD = rule("option.add_annual_readd_next_month", "createOptionProduct", 10)
ADD_ONE = rule("option.add_one_per_option", "createOptionProduct", 11)


@operation("createOptionProduct", field_rules={"subOptionId": ADD_BELONGS, "quantity": ADD_QUANTITY})
def create_option_product(request, domainId: int):
    body, today = request.api.body, request.api.today
    option_id, sub_option, quantity = body["optionProductId"], body["subOptionId"], body.get("quantity")
    with transaction.atomic():
        customer = live_customer(domainId, for_update=True)
        belongs(ADD_BELONGS, option_id, sub_option)
        sub = live_subscription(customer)
        ADD_GRACE.check(
            sub is None or sub.status != "SUSPENDED_TRIALEND",
            "options cannot be added during the Trial grace period",
        )
        product = sub.product_id if sub else None
        check_catalogue(
            product,
            option_id,
            sub_option,
            free_rule=ADD_ACV_DRV,
            plan_rule=ADD_STORAGE_CONTACTS,
            drive_rule=ADD_DRIVE_LABEL,
        )
        if sub.plan == "TRIAL":
            ADD_TRIAL_ONLY_TRIAL.check(
                sub_option in TRIAL_SUB_OPTIONS, "a Trial subscription can add only Trial sub options"
            )
        # rule: option.add_paid_subscription_both - on STD/ADV both Trial and paid sub options are accepted
        # rule: option.add_answer_quantity - 1 unless more were asked for
        quantity = checked_quantity(ADD_QUANTITY, option_id, quantity)
        # x-unverified (rule 11): one option per optionProductId
        ADD_ONE.check(in_use(customer, option_id) is None, f"{option_id} is already in use")
        check_readd(ADD_ANNUAL_READD, customer, option_id, today, what="added again")
        # rule: option.add_deletes_task
        OptionProductOrder.objects.filter(customer=customer, option_product_id=option_id).delete()
        option = start_option(customer, sub, option_id, sub_option, quantity, today)
    return created(option_json(option))


LIST_IN_USE = rule("option.list_in_use_only", "listOptionProducts", 0)
LIST_QUANTITY = rule("option.list_quantity_only_counted", "listOptionProducts", 1)
LIST_END = rule("option.list_plan_end_date", "listOptionProducts", 2)
LIST_NO_PAGES = rule("option.list_not_paginated", "listOptionProducts", 3)


@operation("listOptionProducts")
def list_option_products(request, domainId: int):
    customer = live_customer(domainId)
    # rule: option.list_in_use_only; rule: option.list_not_paginated
    rows = OptionProduct.objects.filter(customer=customer, cancelled_on__isnull=True).order_by("pk")
    return ok({"optionProducts": [option_json(o) for o in rows]})


CANCEL_IN_USE = rule("option.cancel_in_use_only", "cancelOptionProduct", 0, status=404, code="NOT_FOUND")
CANCEL_IMMEDIATE = rule("option.cancel_immediate", "cancelOptionProduct", 1)
CANCEL_PENALTY = rule("option.cancel_annual_penalty", "cancelOptionProduct", 2)
CANCEL_READD = rule("option.cancel_annual_readd_next_month", "cancelOptionProduct", 3)


@operation("cancelOptionProduct")
def cancel_option_product(request, domainId: int, optionProductId: str):
    today = request.api.today
    with transaction.atomic():
        customer = live_customer(domainId, for_update=True)
        option = option_of(customer, optionProductId, CANCEL_IN_USE)
        # rule: option.cancel_immediate; rule: option.cancel_annual_penalty (a PENALTY period for billing)
        # rule: option.cancel_annual_readd_next_month (enforced by createOptionProduct / option orders)
        stop_option(option, today, penalty=True)
        OptionProductOrder.objects.filter(customer=customer, option_product_id=optionProductId).exclude(
            type="APPLY"
        ).delete()
    return no_content()


UPGRADE_IN_USE = rule("option.upgrade_in_use_only", "upgradeOptionProduct", 0, status=404, code="NOT_FOUND")
UPGRADE_IMMEDIATE = rule("option.upgrade_immediate", "upgradeOptionProduct", 1)
UPGRADE_WHICH = rule("option.upgrade_upgradable_options", "upgradeOptionProduct", 2)
UPGRADE_BELONGS = rule("option.upgrade_sub_option_belongs", "upgradeOptionProduct", 3)
UPGRADE_HIGHER = rule("option.upgrade_higher_tier", "upgradeOptionProduct", 4)


@operation("upgradeOptionProduct", field_rules={"subOptionId": UPGRADE_BELONGS})
def upgrade_option_product(request, domainId: int, optionProductId: str):
    today, sub_option = request.api.today, request.api.body["subOptionId"]
    with transaction.atomic():
        customer = live_customer(domainId, for_update=True)
        option = option_of(customer, optionProductId, UPGRADE_IN_USE)
        UPGRADE_WHICH.check(optionProductId != "ACV2", "Archive (Talk) has no higher tier to upgrade to")
        belongs(UPGRADE_BELONGS, optionProductId, sub_option)
        UPGRADE_HIGHER.check(
            family(sub_option) == family(option.sub_option_id)
            and RANK[sub_option] > RANK[option.sub_option_id],
            f"{sub_option} is not an upgrade of {option.sub_option_id} (downgrades only at renewal)",
        )
        # rule: option.upgrade_immediate
        option.sub_option_id = sub_option
        option.save(update_fields=["sub_option_id"])
        restart_option_usage(option, option.subscription, today)
    # x-unverified (upgradeOptionProduct 200): the option object is returned.
    return ok(option_json(option))


QTY_IMMEDIATE = rule("option.add_quantity_immediate", "addOptionProductQuantity", 0)
QTY_ONLY_GROWS = rule("option.add_quantity_only_grows", "addOptionProductQuantity", 1)
QTY_COUNTED_ONLY = rule("option.add_quantity_counted_options", "addOptionProductQuantity", 2)
QTY_IN_USE = rule("option.add_quantity_in_use", "addOptionProductQuantity", 3, status=404, code="NOT_FOUND")
QTY_MIN = rule("option.add_quantity_at_least_one", "addOptionProductQuantity", 4)


@operation("addOptionProductQuantity", field_rules={"quantity": QTY_MIN})
def add_option_product_quantity(request, domainId: int, optionProductId: str):
    # x-unverified (addOptionProductQuantity): scope, body {quantity} = units to add, 200 + OptionProduct.
    today, extra = request.api.today, request.api.body["quantity"]
    with transaction.atomic():
        customer = live_customer(domainId, for_update=True)
        QTY_COUNTED_ONLY.check(optionProductId in QUANTITY_OPTIONS, f"{optionProductId} has no quantity")
        option = option_of(customer, optionProductId, QTY_IN_USE)
        # rule: option.add_quantity_immediate; rule: option.add_quantity_only_grows (units are added)
        QTY_MIN.check(
            (option.quantity or 0) + extra <= MAX_QUANTITY, f"quantity must stay at most {MAX_QUANTITY}"
        )
        option.quantity = (option.quantity or 0) + extra
        option.save(update_fields=["quantity"])
        restart_option_usage(option, option.subscription, today)
    return ok(option_json(option))


RENEW_GET_IN_USE = rule(
    "option_renewal.get_in_use", "getOptionProductRenewal", 0, status=404, code="NOT_FOUND"
)
RENEW_GET_PAID = rule(
    "option_renewal.get_paid_only", "getOptionProductRenewal", 1, status=404, code="NOT_FOUND"
)


def paid_option(customer: Customer, option_id: str) -> OptionProduct:
    option = option_of(customer, option_id, RENEW_GET_IN_USE)
    # x-unverified (rule 1): renewal settings exist for paid options only; 404 for a Trial option (no 400 is
    # documented for this read)
    RENEW_GET_PAID.check(option.plan in PAID_PLANS, "a Trial option has no renewal settings")
    return option


@operation("getOptionProductRenewal")
def get_option_product_renewal(request, domainId: int, optionProductId: str):
    customer = live_customer(domainId)
    return ok(option_renewal_json(paid_option(customer, optionProductId)))


RENEW_STAY = rule("option_renewal.stay", "updateOptionProductRenewal", 0)
RENEW_CHANGE = rule("option_renewal.change", "updateOptionProductRenewal", 1)
RENEW_DOWNGRADE = rule("option_renewal.downgrade_storage_contacts", "updateOptionProductRenewal", 2)
RENEW_USAGE_STAY = rule("option_renewal.over_usage_becomes_stay", "updateOptionProductRenewal", 3)
RENEW_BELONGS = rule("option_renewal.sub_option_belongs", "updateOptionProductRenewal", 4)
RENEW_QUANTITY = rule("option_renewal.quantity_counted_only", "updateOptionProductRenewal", 5)


@operation(
    "updateOptionProductRenewal", field_rules={"subOptionId": RENEW_BELONGS, "quantity": RENEW_QUANTITY}
)
def update_option_product_renewal(request, domainId: int, optionProductId: str):
    # x-unverified (updateOptionProductRenewal 200): the renewal object is returned.
    body = request.api.body
    with transaction.atomic():
        customer = live_customer(domainId, for_update=True)
        option = paid_option(customer, optionProductId)
        kind, sub_option, quantity = body["type"], body.get("subOptionId"), body.get("quantity")
        if sub_option:
            belongs(RENEW_BELONGS, optionProductId, sub_option)
            RENEW_CHANGE.check(
                family(sub_option)[::2] == family(option.sub_option_id)[::2]
                and sub_option not in TRIAL_SUB_OPTIONS,
                f"{sub_option} cannot replace {option.sub_option_id} at renewal",
            )
            # Only Shared Storage and Extend contacts may go down at renewal; another option keeps or raises
            # its tier (Drive Plus cannot become Drive).
            RENEW_DOWNGRADE.check(
                optionProductId in QUANTITY_OPTIONS or RANK[sub_option] >= RANK[option.sub_option_id],
                f"only Shared Storage and Extend contacts can go down at renewal, not {optionProductId}",
            )
        RENEW_QUANTITY.check(
            quantity is None or optionProductId in QUANTITY_OPTIONS, f"{optionProductId} has no quantity"
        )
        RENEW_QUANTITY.check(
            quantity is None or quantity <= MAX_QUANTITY, f"quantity must be at most {MAX_QUANTITY}"
        )
        if kind == "CHANGE":
            RENEW_CHANGE.check(
                sub_option is not None or quantity is not None, "CHANGE needs subOptionId or quantity"
            )
            # rule: option_renewal.downgrade_storage_contacts - a lower tier or quantity is accepted here;
            # rule: option_renewal.over_usage_becomes_stay - checked when the renewal applies, not now
            option.renewal_type = "CHANGE"
            option.renewal_sub_option_id = sub_option or ""
            option.renewal_quantity = quantity
        else:
            # rule: option_renewal.stay - the current sub option and quantity are kept
            option.renewal_type = "STAY"
            option.renewal_sub_option_id = ""
            option.renewal_quantity = None
        option.save()
    return ok(option_renewal_json(option))


# --- option orders --------------------------------------------------------------------------------------------

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
            check_readd(ORDER_READD, customer, option_id, day, what="scheduled")
            ORDER_APPLY_PRE_ORDER.check(option is None, f"{option_id} is already in use")
            quantity = checked_quantity(ORDER_APPLY_QUANTITY, option_id, quantity)
            if sub is None:
                pre = first_pre_order(customer)
                ORDER_APPLY_PRE_ORDER.check(
                    pre is not None, "the customer has no subscription and no pre-order"
                )
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
                    check_equal_date(
                        ORDER_APPLY_SAME_DATE, day, task.apply_date, "the subscription's scheduled task"
                    )
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
        elif kind == "CANCEL":
            ORDER_CANCEL.check(
                option is not None and option.sub_option_id == sub_option, f"{sub_option} is not in use"
            )
            quantity = None
            if sub.plan in ("FREE", "TRIAL"):
                ORDER_CANCEL_TRIAL.check(
                    conversion is not None,
                    "on a Trial subscription a cancellation needs a scheduled paid conversion",
                )
                check_equal_date(ORDER_CANCEL_DATE, day, conversion.apply_date, "the paid conversion")
            else:
                check_window(ORDER_CANCEL_DATE, day, today + DAY, option.plan_end_date + DAY)
        elif kind == "START_PAID_SERVICE":
            ORDER_PAID.check(
                option is not None and option.plan == "TRIAL", f"{option_id} is not a Trial option in use"
            )
            ORDER_PAID.check(
                sub_option in (option.sub_option_id, PAID_SUB_OPTION.get(option.sub_option_id)),
                f"{sub_option} is not the paid {option.sub_option_id}",
            )
            sub_option, quantity = PAID_SUB_OPTION.get(option.sub_option_id, sub_option), None
            if sub.plan in ("FREE", "TRIAL"):
                ORDER_PAID_DATE.check(
                    conversion is not None, "the subscription has no scheduled paid conversion"
                )
                check_equal_date(ORDER_PAID_DATE, day, conversion.apply_date, "the paid conversion")
            else:
                # rule: no grace period for options: up to the day after the option's Trial ends
                check_window(ORDER_PAID_DATE, day, today + DAY, option.plan_end_date + DAY)
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


# --- option usages --------------------------------------------------------------------------------------------

USAGE_YEAR_MONTH = rule("option_usage.year_month_required", "listOptionProductUsages", 0)
USAGE_GROUP = rule("option_usage.product_group_works", "listOptionProductUsages", 1)
USAGE_DAILY = rule("option_usage.one_per_option_per_day", "listOptionProductUsages", 2)
USAGE_NO_PAGES = rule("option_usage.not_paginated", "listOptionProductUsages", 3)


@operation(
    "listOptionProductUsages",
    field_rules={"year": USAGE_YEAR_MONTH, "month": USAGE_YEAR_MONTH, "productGroupId": USAGE_GROUP},
)
def list_option_product_usages(request, domainId: int):
    query, today = request.api.query, request.api.today
    customer = live_customer(domainId)
    try:
        first, last = month_bounds(query["year"], query["month"])
    except (ValueError, OverflowError):
        raise USAGE_YEAR_MONTH.violation("year is out of range") from None
    last = min(last, today)
    periods = (
        UsagePeriod.objects.filter(customer=customer, start_date__lte=last)
        .exclude(option_product_id="")
        .exclude(status="PENALTY")
        .exclude(end_date__lt=first)
        .order_by("option_product_id", "start_date")
    )
    rows = []
    # rule: option_usage.one_per_option_per_day - one snapshot per option and metered day
    for period in periods:
        for day in days_of(period, first, last):
            rows.append(
                {
                    "productGroupId": period.product_group_id or "WORKS",
                    "optionProductId": period.option_product_id,
                    "subOptionId": period.sub_option_id,
                    "usedDate": day,
                    "plan": period.plan,
                    "memberCount": period.member_count,
                    "licenseCount": period.license_count,
                    "quantity": period.quantity,
                    "usageCount": period.usage_count,
                }
            )
    rows.sort(key=lambda r: (r["usedDate"], r["optionProductId"]))
    # rule: option_usage.not_paginated
    return ok({"optionProductUsages": rows})


# --- clock effects --------------------------------------------------------------------------------------------


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


urlpatterns = [
    api_path(
        "/partners/customers/{domainId}/option-products", get=list_option_products, post=create_option_product
    ),
    api_path(
        "/partners/customers/{domainId}/option-products/{optionProductId}", delete=cancel_option_product
    ),
    api_path(
        "/partners/customers/{domainId}/option-products/{optionProductId}/upgrade",
        post=upgrade_option_product,
    ),
    api_path(
        "/partners/customers/{domainId}/option-products/{optionProductId}/add-quantity",
        patch=add_option_product_quantity,
    ),
    api_path(
        "/partners/customers/{domainId}/option-products/{optionProductId}/renewal",
        get=get_option_product_renewal,
        patch=update_option_product_renewal,
    ),
    api_path(
        "/partners/customers/{domainId}/option-product-orders",
        get=list_option_product_orders,
        post=create_option_product_order,
    ),
    api_path(
        "/partners/customers/{domainId}/option-product-orders/{optionProductId}",
        get=get_option_product_order,
        patch=update_option_product_order,
        delete=delete_option_product_order,
    ),
    api_path("/partners/customers/{domainId}/option-product-usages", get=list_option_product_usages),
]
