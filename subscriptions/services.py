"""Writes of the subscriptions domain: cache upserts from the API's replies.

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
from subscriptions.models import PreOrder, Reservation, Subscription


def _value(v: Any) -> str:
    """An enum member or an unknown plain string, as the stored string."""
    if v is None:
        return ""
    return str(getattr(v, "value", v))


def _customer_exists(domain_id: int) -> bool:
    return Customer.objects.filter(domain_id=domain_id).exists()


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
        renewal = sub.renewal
        Subscription.objects.update_or_create(
            subscription_id=sub.subscription_id,
            defaults={
                "customer_id": domain_id,
                "product_id": _value(sub.product_id),
                "plan": _value(sub.plan),
                "plan_start_date": sub.plan_start_date,
                "plan_end_date": sub.plan_end_date,
                "license_assign_type": sub.license_assign_type or "",
                "license_count": sub.license_count,
                "status": _value(sub.status),
                "renewal_type": _value(renewal.type) if renewal else "",
                "renewal_product_id": _value(renewal.product_id) if renewal else "",
                "renewal_plan": _value(renewal.plan) if renewal else "",
                "renewal_license_count": renewal.license_count if renewal else None,
                "synced_at": synced_at,
            },
        )
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
        Reservation.objects.update_or_create(
            subscription_id=subscription_id,
            defaults={
                "customer_id": domain_id,
                "type": _value(res.type),
                "apply_date": res.apply_date,
                "product_id": _value(res.product_id),
                "plan": _value(res.plan),
                "license_count": res.license_count,
                "synced_at": synced_at,
            },
        )
        present.append(subscription_id)
    Reservation.objects.filter(customer_id=domain_id).exclude(subscription_id__in=present).delete()


def pre_order_list_store(*, domain_id: int, remote: Any, synced_at: dt.datetime | None = None) -> list[int]:
    """Store a `partner_api.models.SubscriptionPreOrderList` as the customer's whole set of pre-orders."""
    if not _customer_exists(domain_id):
        return []
    synced_at = synced_at or timezone.now()
    kept = []
    for pre in list(getattr(remote, "subscription_pre_orders", None) or []):
        PreOrder.objects.update_or_create(
            pre_order_id=pre.pre_order_id,
            defaults={
                "customer_id": domain_id,
                "product_id": _value(pre.product_id),
                "plan": _value(pre.plan),
                "license_count": pre.license_count,
                "apply_date": pre.apply_date,
                "synced_at": synced_at,
            },
        )
        kept.append(pre.pre_order_id)
    PreOrder.objects.filter(customer_id=domain_id).exclude(pre_order_id__in=kept).delete()
    return kept


def pre_order_list_clear(*, domain_id: int) -> int:
    deleted, _detail = PreOrder.objects.filter(customer_id=domain_id).delete()
    return deleted
