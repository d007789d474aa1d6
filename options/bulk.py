"""The options' bulk actions (`portal.core.changes.bulk`), each row sending a declared change of options/changes.py:

- Add an option, on the customer list (rows: customers, keyed by domainId): createOptionProduct on the customer's
  subscription, checked as the one-customer form checks it (options/rules.py: which products take which sub
  options, a Trial only Trial ones, the quantity only where the option has one, an annual option cancelled here
  not back before its date), and refused where the customer has that option already.
- Add units, on the Options list (rows: options, keyed "<domainId>.<optionProductId>"): addOptionProductQuantity,
  only for options with a quantity, at most 1,000 units in all (fewer units are possible only at renewal).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers import bulk as customer_bulk
from customers.models import Customer
from customers.selectors import readable
from options import rules, selectors
from options.lists import OPTION_LIST
from options.models import Option, OptionOrder
from options.permissions import CHANGE_OPTIONS, VIEW_OPTIONS
from options.selectors import OptionFilters
from portal.core import clock
from portal.core.access import check
from portal.core.changes.bulk import BulkAction, BulkValuesForm, RowCheck
from portal.core.lists import ListState
from subscriptions.models import Subscription

#: An option holds at most this many units (the contract's maximum of quantity).
MAX_UNITS = 1000


def _option_text(sub_option_id: str, quantity: int | None) -> str:
    text = rules.sub_option_label(sub_option_id)
    return f"{text} × {quantity}" if quantity else text


# --- Add an option (customer list) ---------------------------------------------------------------------------


@dataclass
class CustomerOptions:
    """A customer as adding an option reads it: its subscription (the first), its options and scheduled option
    changes by optionProductId, and the days options cancelled here on an annual contract may come back."""

    customer: Customer
    subscription: Subscription | None
    options: dict[str, Option] = field(default_factory=dict)
    orders: dict[str, OptionOrder] = field(default_factory=dict)
    readd_from: dict = field(default_factory=dict)


def read_customers(user, keys: Sequence[str]) -> dict[str, CustomerOptions]:
    """The live customers of `keys` that `user` may read, each with what adding an option checks (five queries
    for all the rows)."""
    check(user, VIEW_OPTIONS)
    customers = customer_bulk.read_live(user, keys)
    ids = [c.domain_id for c in customers.values()]
    subscriptions: dict[int, Subscription] = {}
    for s in Subscription.objects.filter(customer_id__in=ids).order_by("subscription_id"):
        subscriptions.setdefault(s.customer_id, s)
    found = {
        key: CustomerOptions(customer=c, subscription=subscriptions.get(c.domain_id))
        for key, c in customers.items()
    }
    by_id = {row.customer.domain_id: row for row in found.values()}
    for option in Option.objects.filter(customer_id__in=ids):
        by_id[option.customer_id].options[option.option_product_id] = option
    for order in OptionOrder.objects.filter(customer_id__in=ids):
        by_id[order.customer_id].orders[order.option_product_id] = order
    for domain_id, dates in selectors.readd_dates_of(domain_ids=ids).items():
        by_id[domain_id].readd_from = dates
    return found


class AddValuesForm(BulkValuesForm):
    """The sub option every chosen customer gets, and its quantity where it has one."""

    sub_option_id = forms.ChoiceField(label=_("Sub option"))
    quantity = forms.IntegerField(
        label=_("Quantity"),
        required=False,
        min_value=1,
        max_value=MAX_UNITS,
        help_text=_("Shared Storage and Extend contacts only; 1 when left empty."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sub_option_id"].choices = [
            (s.sub_option_id, s.label) for s in rules.SUB_OPTIONS.values()
        ]

    def clean(self):
        data = super().clean()
        sub = rules.SUB_OPTIONS.get(data.get("sub_option_id") or "")
        if sub is not None and data.get("quantity") and not sub.quantity:
            self.add_error("quantity", _("Leave the quantity empty: this option has no quantity."))
        return data


def check_add(row: CustomerOptions, values: Mapping[str, Any]) -> RowCheck:
    """The dry run of createOptionProduct for one customer (the rules of `OptionAddForm`)."""
    sub = rules.SUB_OPTIONS[values["sub_option_id"]]
    refusal = rules.add_refusal(subscription=row.subscription)
    if refusal:
        return RowCheck(refusal=refusal)
    assert row.subscription is not None
    current = row.options.get(sub.option_product_id)
    if current is not None:
        return RowCheck(
            refusal=gettext("The customer has this option already (%(option)s); change it on its own page.")
            % {"option": _option_text(current.sub_option_id, current.quantity)}
        )
    if not rules.may_add(product_id=row.subscription.product_id, sub_option_id=sub.sub_option_id):
        return RowCheck(
            refusal=gettext("This customer's subscription (%(product)s) cannot have this sub option.")
            % {"product": row.subscription.get_product_display()}
        )
    refusal = rules.readd_refusal(readd_from=row.readd_from.get(sub.option_product_id), day=clock.today())
    if refusal:
        return RowCheck(refusal=refusal)
    quantity = values.get("quantity") or (1 if sub.quantity else None)
    return RowCheck(
        changes=[(gettext("Option"), gettext("None"), _option_text(sub.sub_option_id, quantity))],
        side_effects=[gettext("The option starts today and is billed from today.")],
    )


def add_args(row: CustomerOptions, values: Mapping[str, Any]) -> dict[str, Any]:
    sub = rules.SUB_OPTIONS[values["sub_option_id"]]
    order = row.orders.get(sub.option_product_id)
    args: dict[str, Any] = {
        "domain_id": row.customer.domain_id,
        "option_product_id": sub.option_product_id,
        "sub_option_id": sub.sub_option_id,
    }
    if values.get("quantity"):
        args["quantity"] = values["quantity"]
    if order is not None:
        args["scheduled_order"] = order.apply_date.isoformat()  # the change states that it is deleted
    return args


# --- Add units (Options list) ----------------------------------------------------------------------------------


def option_key(o) -> str:
    return f"{o.customer_id}.{o.option_product_id}"


def select_options(request) -> Any:
    """Every option the list shows with the request's filters (its query string, as the list page's)."""
    state = ListState.from_request(request, OPTION_LIST)
    return selectors.option_list(user=request.user, filters=state.filters)


def read_options(user, keys: Sequence[str]) -> dict[str, Option]:
    """The options of `keys` of live customers that `user` may read, with their customers."""
    check(user, VIEW_OPTIONS)
    wanted: dict[int, set[str]] = {}
    for key in keys:
        domain, _dot, option_product_id = key.partition(".")
        if domain.isascii() and domain.isdigit() and option_product_id:
            wanted.setdefault(int(domain), set()).add(option_product_id)
    found = Option.objects.filter(customer_id__in=list(wanted), customer__removed_at=None)
    rows = readable(found, user=user).select_related("customer")
    return {option_key(o): o for o in rows if o.option_product_id in wanted[o.customer_id]}


def describe_option(o: Option) -> str:
    return gettext("%(company)s · %(option)s") % {
        "company": o.customer.company_name,
        "option": _option_text(o.sub_option_id, o.quantity),
    }


class UnitsValuesForm(BulkValuesForm):
    """How many units every chosen option gets in addition to its own."""

    quantity = forms.IntegerField(label=_("Units to add"), min_value=1, max_value=MAX_UNITS)


def check_units(o: Option, values: Mapping[str, Any]) -> RowCheck:
    """The dry run of addOptionProductQuantity for one option (the rules of `OptionAddQuantityForm`)."""
    if not rules.has_quantity(o.option_product_id):
        return RowCheck(refusal=gettext("Only Shared Storage and Extend contacts carry a quantity."))
    before = o.quantity or 0
    after = before + values["quantity"]
    if after > MAX_UNITS:
        return RowCheck(
            refusal=gettext("An option holds at most 1,000 units; this one has %(n)d.") % {"n": before}
        )
    return RowCheck(changes=[(gettext("Quantity"), str(before), str(after))])


def units_args(o: Option, values: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "domain_id": o.customer_id,
        "option_product_id": o.option_product_id,
        "quantity": values["quantity"],
        "before": o.quantity or 0,
    }


BULK_ACTIONS = [
    BulkAction(
        key="options.add",
        label=_("Add an option"),
        list_name=customer_bulk.LIST,
        list_url="customers:list",
        perm=CHANGE_OPTIONS,
        form=AddValuesForm,
        select=customer_bulk.select,
        read=read_customers,
        key_of=lambda c: str(c.domain_id),
        describe=lambda row: row.customer.company_name,
        domain_id=lambda row: row.customer.domain_id,
        check=check_add,
        operation_id="createOptionProduct",
        args=add_args,
    ),
    BulkAction(
        key="options.units",
        label=_("Add units to the options"),
        list_name="options",
        list_url="options:list",
        perm=CHANGE_OPTIONS,
        form=UnitsValuesForm,
        select=select_options,
        of_customers=lambda user, domain_ids: selectors.option_list(
            user=user, filters=OptionFilters()
        ).filter(customer_id__in=domain_ids),
        read=read_options,
        key_of=option_key,
        describe=describe_option,
        domain_id=lambda o: o.customer_id,
        check=check_units,
        operation_id="addOptionProductQuantity",
        args=units_args,
    ),
]
