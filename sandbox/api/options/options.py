"""Tag options: add, list, cancel and upgrade an option, add to its quantity, and its renewal (get, update), with
their rules."""

from __future__ import annotations

from django.db import transaction

from sandbox.api.common import created, live_customer, no_content, ok, operation
from sandbox.api.options.shared import (
    MAX_QUANTITY,
    belongs,
    check_catalogue,
    check_readd,
    checked_quantity,
    in_use,
    option_json,
    option_of,
    option_renewal_json,
    start_option,
)
from sandbox.catalogue import (
    PAID_PLANS,
    QUANTITY_OPTIONS,
    RANK,
    TRIAL_SUB_OPTIONS,
    family,
)
from sandbox.models import (
    Customer,
    OptionProduct,
    OptionProductOrder,
)
from sandbox.rules import rule
from sandbox.usage import (
    live_subscription,
    restart_option_usage,
    stop_option,
)

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
