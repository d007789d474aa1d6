"""Writes of the options domain: cache upserts from the API's replies (resync stores) and the `apply` of each
change in options/changes.py, side effects the contract documents included."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from customers.models import Customer
from options import rules
from options.models import Option, OptionOrder, OptionUsage
from partner_api.models import wire_text
from portal.core.copies import holds_already


def _customer_exists(domain_id: int) -> bool:
    return Customer.objects.filter(domain_id=domain_id).exists()


def _option_upsert(*, domain_id: int, opt: Any, synced_at: dt.datetime | None = None) -> Option:
    """Store one `partner_api.models.OptionProduct` (from a listing, a reply or a read-back)."""
    sub_option_id = wire_text(opt.sub_option_id)
    known = rules.SUB_OPTIONS.get(sub_option_id)
    obj, _created = Option.objects.update_or_create(
        customer_id=domain_id,
        option_product_id=wire_text(opt.option_product_id),
        defaults={
            "sub_option_id": sub_option_id,
            "subscription_id": opt.subscription_id,
            "applied_time": opt.applied_time,
            "quantity": opt.quantity,
            "plan": wire_text(opt.plan),
            "plan_start_date": opt.plan_start_date,
            "plan_end_date": opt.plan_end_date,
            "trial": bool(known and known.trial) or wire_text(opt.plan) == "TRIAL",
            "synced_at": synced_at or timezone.now(),
        },
    )
    return obj


def _order_upsert(*, domain_id: int, order: Any, synced_at: dt.datetime | None = None) -> OptionOrder:
    obj, _created = OptionOrder.objects.update_or_create(
        customer_id=domain_id,
        option_product_id=wire_text(order.option_product_id),
        defaults={
            "sub_option_id": wire_text(order.sub_option_id),
            "subscription_id": order.subscription_id,
            "type": wire_text(order.type),
            "quantity": order.quantity,
            "apply_date": order.apply_date,
            "synced_at": synced_at or timezone.now(),
        },
    )
    return obj


def _renewal_columns(renewal: Any) -> dict[str, Any]:
    return {
        "renewal_type": wire_text(renewal.type) if renewal and renewal.type else "",
        "renewal_sub_option_id": wire_text(renewal.sub_option_id)
        if renewal and renewal.sub_option_id and wire_text(renewal.type) == "CHANGE"
        else "",
        "renewal_quantity": renewal.quantity if renewal and wire_text(renewal.type) == "CHANGE" else None,
    }


# --- Resync stores --------------------------------------------------------------------------------------------


def option_list_store(*, domain_id: int, remote: Any, synced_at: dt.datetime | None = None) -> list[str]:
    """Store a `partner_api.models.OptionProductList` as the customer's whole set of options in use."""
    if not _customer_exists(domain_id):
        return []
    synced_at = synced_at or timezone.now()
    kept = []
    for opt in list(getattr(remote, "option_products", None) or []):
        _option_upsert(domain_id=domain_id, opt=opt, synced_at=synced_at)
        kept.append(wire_text(opt.option_product_id))
    Option.objects.filter(customer_id=domain_id).exclude(option_product_id__in=kept).delete()
    return kept


def option_list_clear(*, domain_id: int) -> int:
    deleted, _detail = Option.objects.filter(customer_id=domain_id).delete()
    return deleted


def renewal_store_all(
    *, domain_id: int, remote: dict[str, Any], synced_at: dt.datetime | None = None
) -> None:
    """Store the renewal settings of each option in `remote` ({optionProductId: OptionProductRenewal or None};
    None: a Trial option, which has none)."""
    for option_product_id, renewal in remote.items():
        Option.objects.filter(customer_id=domain_id, option_product_id=option_product_id).update(
            **_renewal_columns(renewal)
        )


def order_list_store(*, domain_id: int, remote: Any, synced_at: dt.datetime | None = None) -> list[str]:
    """Store a `partner_api.models.OptionProductOrderList` as the customer's whole set of scheduled orders."""
    if not _customer_exists(domain_id):
        return []
    synced_at = synced_at or timezone.now()
    kept = []
    for order in list(getattr(remote, "option_product_orders", None) or []):
        _order_upsert(domain_id=domain_id, order=order, synced_at=synced_at)
        kept.append(wire_text(order.option_product_id))
    OptionOrder.objects.filter(customer_id=domain_id).exclude(option_product_id__in=kept).delete()
    return kept


def order_list_clear(*, domain_id: int) -> int:
    deleted, _detail = OptionOrder.objects.filter(customer_id=domain_id).delete()
    return deleted


def usage_list_store(*, domain_id: int, remote: Any, synced_at: dt.datetime | None = None) -> int:
    """Store a `partner_api.models.OptionProductUsageList` (one month): the month's rows are replaced."""
    if not _customer_exists(domain_id):
        return 0
    synced_at = synced_at or timezone.now()
    rows = list(getattr(remote, "option_product_usages", None) or [])
    usages = [
        OptionUsage(
            customer_id=domain_id,
            option_product_id=wire_text(u.option_product_id),
            sub_option_id=wire_text(u.sub_option_id),
            product_group_id=wire_text(u.product_group_id),
            used_date=u.used_date,
            plan=wire_text(u.plan),
            member_count=u.member_count,
            license_count=u.license_count,
            quantity=u.quantity,
            usage_count=u.usage_count,
            synced_at=synced_at,
        )
        for u in rows
    ]
    months = {(u.used_date.year, u.used_date.month) for u in rows}
    if len(months) == 1:
        ((year, month),) = months
        held = OptionUsage.objects.filter(customer_id=domain_id, used_date__year=year, used_date__month=month)
        if holds_already(held, usages, _USAGE_FIELDS, key=3):
            # The month read is what the copy holds: only when it was read is new.
            held.update(synced_at=synced_at)
            return len(rows)
    for year, month in months:
        OptionUsage.objects.filter(
            customer_id=domain_id, used_date__year=year, used_date__month=month
        ).delete()
    OptionUsage.objects.bulk_create(usages, ignore_conflicts=True)
    return len(rows)


#: A month's usage rows, each known by its option, sub-option and day (`holds_already`'s key: the first three).
_USAGE_FIELDS = (
    "option_product_id",
    "sub_option_id",
    "used_date",
    "product_group_id",
    "plan",
    "member_count",
    "license_count",
    "quantity",
    "usage_count",
)


# --- The cache after a change (the `apply` of each declaration in options/changes.py) --------------------


def option_added(args, reply) -> Option:
    """createOptionProduct: the API deletes any scheduled order of that option."""
    OptionOrder.objects.filter(
        customer_id=args["domain_id"], option_product_id=args["option_product_id"]
    ).delete()
    return _option_upsert(domain_id=args["domain_id"], opt=reply)


def option_changed(args, reply) -> Option:
    """upgradeOptionProduct / addOptionProductQuantity answered with the option."""
    return _option_upsert(domain_id=args["domain_id"], opt=reply)


def option_cancelled(args, reply) -> None:
    """cancelOptionProduct, effective now; scheduled orders other than APPLY go with it."""
    Option.objects.filter(customer_id=args["domain_id"], option_product_id=args["option_product_id"]).delete()
    OptionOrder.objects.filter(
        customer_id=args["domain_id"], option_product_id=args["option_product_id"]
    ).exclude(type="APPLY").delete()


def renewal_applied(args, reply) -> None:
    Option.objects.filter(customer_id=args["domain_id"], option_product_id=args["option_product_id"]).update(
        **_renewal_columns(reply), synced_at=timezone.now()
    )


def order_applied(args, reply) -> OptionOrder:
    return _order_upsert(domain_id=args["domain_id"], order=reply)


def order_deleted(args, reply) -> None:
    OptionOrder.objects.filter(
        customer_id=args["domain_id"], option_product_id=args["option_product_id"]
    ).delete()
