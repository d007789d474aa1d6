"""Writes of the subscriptions domain: cache upserts from the API's replies, and the changes.

The resync engine (see `subscriptions/resync.py`) hands these functions what `listSubscriptions`,
`listSubscriptionPreOrders` and `getSubscriptionReservation` returned for one customer. Each upserts by remote
id and deletes the rows of that customer the API no longer returns (cancelled subscriptions, applied or
deleted pre-orders and reservations).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from customers.models import Customer
from partner_api.models import wire_text
from subscriptions.models import PreOrder, Reservation, Subscription


def _customer_exists(domain_id: int) -> bool:
    return Customer.objects.filter(domain_id=domain_id).exists()


def _renewal_columns(renewal: Any) -> dict[str, Any]:
    """The renewal settings columns of a subscription row (blank when the API sends none: Free, Trial)."""
    return {
        "renewal_type": wire_text(renewal.type) if renewal else "",
        "renewal_product_id": wire_text(renewal.product_id) if renewal else "",
        "renewal_plan": wire_text(renewal.plan) if renewal else "",
        "renewal_license_count": renewal.license_count if renewal else None,
    }


def _subscription_upsert(*, domain_id: int, sub: Any, synced_at: dt.datetime | None = None) -> Subscription:
    """Store one `partner_api.models.Subscription` (from a listing, a reply or a read-back)."""
    obj, _created = Subscription.objects.update_or_create(
        subscription_id=sub.subscription_id,
        defaults={
            "customer_id": domain_id,
            "product_id": wire_text(sub.product_id),
            "plan": wire_text(sub.plan),
            "plan_start_date": sub.plan_start_date,
            "plan_end_date": sub.plan_end_date,
            "license_assign_type": sub.license_assign_type or "",
            "license_count": sub.license_count,
            "status": wire_text(sub.status),
            **_renewal_columns(sub.renewal),
            "synced_at": synced_at or timezone.now(),
        },
    )
    return obj


def _pre_order_upsert(*, domain_id: int, pre: Any, synced_at: dt.datetime | None = None) -> PreOrder:
    """Store one `partner_api.models.SubscriptionPreOrder`."""
    obj, _created = PreOrder.objects.update_or_create(
        pre_order_id=pre.pre_order_id,
        defaults={
            "customer_id": domain_id,
            "product_id": wire_text(pre.product_id),
            "plan": wire_text(pre.plan),
            "license_count": pre.license_count,
            "apply_date": pre.apply_date,
            "synced_at": synced_at or timezone.now(),
        },
    )
    return obj


def _reservation_upsert(*, domain_id: int, res: Any, synced_at: dt.datetime | None = None) -> Reservation:
    """Store one `partner_api.models.SubscriptionReservation` (at most one per subscription)."""
    obj, _created = Reservation.objects.update_or_create(
        subscription_id=res.subscription_id,
        defaults={
            "customer_id": domain_id,
            "type": wire_text(res.type),
            "apply_date": res.apply_date,
            "product_id": wire_text(res.product_id),
            "plan": wire_text(res.plan),
            "license_count": res.license_count,
            "synced_at": synced_at or timezone.now(),
        },
    )
    return obj


def subscription_list_store(
    *, domain_id: int, remote: Any, synced_at: dt.datetime | None = None
) -> list[int]:
    """Store a `partner_api.models.SubscriptionList` as the customer's whole set of subscriptions.

    Returns the subscription ids kept. Subscriptions of the customer not in the list are deleted (with their
    reservation). Nothing is stored for a customer the cache does not know.
    """
    if not _customer_exists(domain_id):
        return []
    synced_at = synced_at or timezone.now()
    kept = []
    for sub in list(getattr(remote, "subscriptions", None) or []):
        _subscription_upsert(domain_id=domain_id, sub=sub, synced_at=synced_at)
        kept.append(sub.subscription_id)
    Subscription.objects.filter(customer_id=domain_id).exclude(subscription_id__in=kept).delete()
    return kept


def subscription_list_clear(*, domain_id: int) -> int:
    """The API has no subscriptions for this customer: drop the cached ones. Returns how many were deleted."""
    deleted, _detail = Subscription.objects.filter(customer_id=domain_id).delete()
    return deleted


def reservation_store_all(
    *, domain_id: int, remote: dict[int, Any], synced_at: dt.datetime | None = None
) -> None:
    """Store the reservation of each subscription in `remote` ({subscriptionId: SubscriptionReservation or
    None}); a None, and any cached reservation of the customer's other subscriptions, is deleted."""
    synced_at = synced_at or timezone.now()
    known = set(
        Subscription.objects.filter(customer_id=domain_id, subscription_id__in=list(remote)).values_list(
            "subscription_id", flat=True
        )
    )
    present = []
    for subscription_id, res in remote.items():
        if res is None or subscription_id not in known:
            continue
        _reservation_upsert(domain_id=domain_id, res=res, synced_at=synced_at)
        present.append(subscription_id)
    Reservation.objects.filter(customer_id=domain_id).exclude(subscription_id__in=present).delete()


def pre_order_list_store(*, domain_id: int, remote: Any, synced_at: dt.datetime | None = None) -> list[int]:
    """Store a `partner_api.models.SubscriptionPreOrderList` as the customer's whole set of pre-orders."""
    if not _customer_exists(domain_id):
        return []
    synced_at = synced_at or timezone.now()
    kept = []
    for pre in list(getattr(remote, "subscription_pre_orders", None) or []):
        _pre_order_upsert(domain_id=domain_id, pre=pre, synced_at=synced_at)
        kept.append(pre.pre_order_id)
    PreOrder.objects.filter(customer_id=domain_id).exclude(pre_order_id__in=kept).delete()
    return kept


def pre_order_list_clear(*, domain_id: int) -> int:
    deleted, _detail = PreOrder.objects.filter(customer_id=domain_id).delete()
    return deleted


# --- The cache after a change (the `apply` of each declaration in subscriptions/changes.py) ------------------
# Each receives the change's arguments and the API's answer (or what the read-back found) and brings the cache
# up to date, side effects the contract documents included. The customer is read again afterwards.


def _pre_orders_of(reply: Any) -> list:
    """The pre-orders of an answer (a list wrapper) or of a read-back (the one pre-order found)."""
    if hasattr(reply, "subscription_pre_orders"):
        return list(reply.subscription_pre_orders)
    return [reply]


def pre_order_created(args, reply) -> PreOrder | None:
    """createSubscriptionPreOrder / updateSubscriptionPreOrder answered: cache the pre-order(s)."""
    stored = [_pre_order_upsert(domain_id=args["domain_id"], pre=p) for p in _pre_orders_of(reply)]
    return stored[0] if stored else None


def pre_order_deleted(args, reply) -> None:
    """deleteSubscriptionPreOrder (option orders tied to it stay, per the contract)."""
    PreOrder.objects.filter(pre_order_id=args["pre_order_id"]).delete()


def reservation_applied(args, reply) -> Reservation:
    return _reservation_upsert(domain_id=args["domain_id"], res=reply)


def reservation_deleted(args, reply) -> None:
    Reservation.objects.filter(subscription_id=args["subscription_id"]).delete()


def renewal_applied(args, reply) -> Subscription | None:
    """updateSubscriptionRenewal answered with the renewal settings."""
    Subscription.objects.filter(subscription_id=args["subscription_id"]).update(
        **_renewal_columns(reply), synced_at=timezone.now()
    )
    return Subscription.objects.filter(subscription_id=args["subscription_id"]).first()


def subscription_applied(args, reply) -> Subscription:
    """createSubscription / upgradeSubscription answered with the subscription."""
    return _subscription_upsert(domain_id=args["domain_id"], sub=reply)


def subscription_converted(args, reply) -> Subscription:
    """convertSubscriptionToPaid: the API deletes the subscription's scheduled change."""
    Reservation.objects.filter(subscription_id=args["subscription_id"]).delete()
    return _subscription_upsert(domain_id=args["domain_id"], sub=reply)


def licences_added(args, reply) -> Subscription:
    """addSubscriptionLicenseCount: the API deletes a scheduled ADD_LICENSE reservation of the subscription."""
    Reservation.objects.filter(subscription_id=args["subscription_id"], type="ADD_LICENSE").delete()
    return _subscription_upsert(domain_id=args["domain_id"], sub=reply)


def subscription_cancelled(args, reply) -> None:
    """cancelSubscription, effective now (its options and reservation go with it)."""
    Subscription.objects.filter(subscription_id=args["subscription_id"]).delete()
