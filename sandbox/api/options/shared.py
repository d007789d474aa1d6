"""What the options domain's operations share: the catalogue's checks (sandbox.catalogue holds the catalogue), an
option looked up, when a cancelled option may be added again, an option started, and the JSON of an option,
an option order and an option's renewal."""

from __future__ import annotations

import datetime as dt

from sandbox import clock
from sandbox.catalogue import (
    DRIVE_FOR_ADV,
    DRIVE_FOR_STD,
    LICENSE_PLANS,
    PAID_PLANS,
    PARENT,
    QUANTITY_OPTIONS,
    TRIAL_SUB_OPTIONS,
)
from sandbox.dates import TRIAL_DAYS, month_end, next_month_first
from sandbox.models import (
    Customer,
    OptionProduct,
    OptionProductOrder,
    Subscription,
)
from sandbox.rules import Rule
from sandbox.usage import (
    option_period,
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
