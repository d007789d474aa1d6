"""The options' changes as their pages make them: each change form built from what the customer has, the page's
own refusals before its form, and the changes' arguments. One definition for the change pages
(views_changes.py) and the API's write endpoints (api.py), so a change asked either way checks and sends the
same thing."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext

from options import forms_changes as f
from options import rules, selectors
from portal.core import clock
from subscriptions import selectors as subscription_selectors


def subscription_of(user, domain_id: int):
    """The customer's subscription the options belong to (the first one in use) and its scheduled change."""
    subs = subscription_selectors.customer_subscriptions(user=user, domain_id=domain_id)
    sub = subs[0] if subs else None
    return sub, (getattr(sub, "reservation", None) if sub else None)


def option_args(domain_id: int, option_product_id: str, **fields) -> dict:
    """A change of one option (JSON-safe: dates as text, empty fields left out)."""
    return {
        "domain_id": domain_id,
        "option_product_id": option_product_id,
        **{
            k: (v.isoformat() if isinstance(v, dt.date) else v)
            for k, v in fields.items()
            if v not in (None, "")
        },
    }


def add_form(data, *, user, customer) -> f.OptionAddForm:
    """createOptionProduct's form: the sub options the customer's subscription allows and it does not use."""
    sub, _reservation = subscription_of(user, customer.domain_id)
    section = selectors.customer_options_section(customer=customer, user=user)
    return f.OptionAddForm(
        data,
        subscription=sub,
        in_use={o.option_product_id for o in section["options"]},
        orders={o.option_product_id: o for o in section["all_orders"]},
        readd_from=selectors.readd_dates(domain_id=customer.domain_id),
        today=clock.today(),
    )


def add_args(domain_id: int, form: f.OptionAddForm) -> dict:
    d = form.cleaned_data
    return option_args(
        domain_id,
        form.sub.option_product_id,
        sub_option_id=d["sub_option_id"],
        quantity=d.get("quantity"),
        scheduled_order=form.scheduled_order(),
    )


def upgrade_refusal(option) -> str | None:
    return None if option.upgradable else gettext("This option has no larger sub option to upgrade to.")


def quantity_args(option, d: dict) -> dict:
    return option_args(
        option.customer_id, option.option_product_id, quantity=d["quantity"], before=option.quantity or 0
    )


def cancel_form(data, option) -> f.OptionCancelForm:
    return f.OptionCancelForm(data, option=option, today=clock.today())


def renewal_refusal(option) -> str | None:
    return gettext("A Trial option has no renewal settings.") if option.trial else None


def renewal_form(data, option) -> f.OptionRenewalForm:
    """The option at renewal: its setting as it is, and the last usage (a smaller tier may not hold it)."""
    usage = selectors.latest_usage(domain_id=option.customer_id, option_product_id=option.option_product_id)
    return f.OptionRenewalForm(
        data,
        option=option,
        usage=usage.usage_count if usage else None,
        initial={
            "type": option.renewal_type or "STAY",
            "sub_option_id": option.renewal_sub_option_id,
            "quantity": option.renewal_quantity,
        },
    )


def renewal_args(option, d: dict) -> dict:
    return option_args(
        option.customer_id,
        option.option_product_id,
        type=d["type"],
        sub_option_id=d.get("sub_option_id"),
        quantity=d.get("quantity"),
    )


def order_form(data, *, user, customer, initial=None) -> f.OptionOrderForm:
    """createOptionProductOrder's form: the kinds of change and sub options this customer can schedule."""
    sub, reservation = subscription_of(user, customer.domain_id)
    section = selectors.customer_options_section(customer=customer, user=user)
    return f.OptionOrderForm(
        data,
        subscription=sub,
        reservation=reservation,
        options={o.option_product_id: o for o in section["options"]},
        orders={o.option_product_id: o for o in section["all_orders"]},
        today=clock.today(),
        readd_from=selectors.readd_dates(domain_id=customer.domain_id),
        initial=initial or {},
    )


def order_args(domain_id: int, d: dict) -> dict:
    return option_args(
        domain_id,
        rules.SUB_OPTIONS[d["sub_option_id"]].option_product_id,
        sub_option_id=d["sub_option_id"],
        type=d["type"],
        quantity=d.get("quantity"),
        apply_date=d["apply_date"],
    )


def order_date_form(data, *, user, order) -> f.OptionOrderDateForm:
    """updateOptionProductOrder's form: only the date of a scheduled option change moves."""
    sub, reservation = subscription_of(user, order.customer_id)
    option = selectors.option_get(
        user=user, domain_id=order.customer_id, option_product_id=order.option_product_id
    )
    return f.OptionOrderDateForm(
        data,
        order=order,
        subscription=sub,
        reservation=reservation,
        option=option,
        today=clock.today(),
        initial={"apply_date": order.apply_date},
    )
