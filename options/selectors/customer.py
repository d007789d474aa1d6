"""One customer's options: an option or option order of theirs (`option_get`, `order_get`), the customer
page's Options section, and what a change of them needs to know (the day a cancelled option may come back,
`readd_dates`; the options a subscription's change affects, `options_affected`)."""

from __future__ import annotations

import datetime as dt

from customers.models import Customer
from customers.selectors import (
    readable,
)
from options import rules
from options.models import Option, OptionOrder
from options.permissions import CHANGE_OPTIONS, VIEW_OPTIONS
from portal.core import clock
from portal.core.access import can, check


def option_get(*, user, domain_id: int, option_product_id: str) -> Option | None:
    check(user, VIEW_OPTIONS)
    found = Option.objects.filter(
        customer_id=domain_id, option_product_id=option_product_id, customer__removed_at=None
    )
    return readable(found, user=user).select_related("customer").first()


def order_get(*, user, domain_id: int, option_product_id: str) -> OptionOrder | None:
    check(user, VIEW_OPTIONS)
    found = OptionOrder.objects.filter(
        customer_id=domain_id, option_product_id=option_product_id, customer__removed_at=None
    )
    return readable(found, user=user).select_related("customer").first()


def customer_options_section(*, customer: Customer, user) -> dict:
    """Context of the customer page's Options section: options in use (renewal settings on the row) and
    scheduled orders, each order placed beside its option. Two queries."""
    check(user, VIEW_OPTIONS)
    options = list(Option.objects.filter(customer_id=customer.domain_id).order_by("option_product_id"))
    orders = list(OptionOrder.objects.filter(customer_id=customer.domain_id).order_by("apply_date"))
    by_option = {o.option_product_id: o for o in orders}
    for option in options:
        option.order = by_option.get(option.option_product_id)
    in_use = {o.option_product_id for o in options}
    return {
        "options": options,
        "orders_alone": [o for o in orders if o.option_product_id not in in_use],
        "all_orders": orders,
        "today": clock.today(),
        "can_change": can(user, CHANGE_OPTIONS) and customer.removed_at is None,
    }


def readd_dates(*, domain_id: int) -> dict[str, dt.date]:
    """For each option this portal cancelled on an annual contract, the first day it may come back (from the
    cancellation's own record; the API refuses an earlier one anyway, e.g. after a cancel made elsewhere)."""
    return readd_dates_of(domain_ids=[domain_id]).get(domain_id, {})


def readd_dates_of(*, domain_ids) -> dict[int, dict[str, dt.date]]:
    """`readd_dates` of many customers in one query (a bulk change's dry run)."""
    from portal.core.models import Operation

    out: dict[int, dict[str, dt.date]] = {}
    for domain_id, params in Operation.objects.filter(
        kind="cancelOptionProduct", domain_id__in=list(domain_ids), status=Operation.Status.SUCCEEDED
    ).values_list("domain_id", "params"):
        args = params.get("args", {}) if isinstance(params, dict) else {}
        day, option_id = args.get("readd_from"), args.get("option_product_id")
        if day and option_id:
            dates = out.setdefault(domain_id, {})
            dates[option_id] = max(dates.get(option_id, dt.date.min), dt.date.fromisoformat(day))
    return out


def options_affected(*, domain_id: int, change: str, target_product: str = "") -> list[str]:
    """The options (in words) a change of the customer's subscription affects, for the subscriptions
    confirmation pages: `cancel` ends them all; `upgrade` cancels those the new product cannot have (Drive for
    Standard); `convert` leaves the Trial ones Trial."""
    rows = list(Option.objects.filter(customer_id=domain_id).order_by("option_product_id"))
    if change == "upgrade":
        rows = [
            o for o in rows if not rules.may_add(product_id=target_product, sub_option_id=o.sub_option_id)
        ]
    elif change == "convert":
        rows = [o for o in rows if o.trial]
    return [
        f"{o.get_sub_option_display()} × {o.quantity}" if o.quantity else o.get_sub_option_display()
        for o in rows
    ]
