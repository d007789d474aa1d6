"""Cached subscriptions, pre-orders and reservations for tests that need rows but not the API."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from portal.core.vocabulary import LICENSE_PLANS
from subscriptions.models import PreOrder, Reservation, Subscription
from tests.customers.factories import make_customer

_sub_ids = itertools.count(700_001)
_pre_ids = itertools.count(800_001)


def make_subscription(customer=None, **fields) -> Subscription:
    customer = customer or make_customer()
    defaults = {
        "product_id": "STD",
        "plan": "ANNUAL_LICENSE",
        "plan_start_date": dt.date(2026, 4, 1),
        "plan_end_date": dt.date(2027, 3, 31),
        "license_count": 20,
        "status": "ACTIVE",
        "renewal_type": "STAY",
        "synced_at": timezone.now(),
    }
    defaults.update(fields)
    sub = Subscription.objects.create(subscription_id=next(_sub_ids), customer=customer, **defaults)
    if customer.main_subscription_id is None:
        # The customer's subscription summary, as the resync keeps it (customers.services): its first
        # subscription is its main one.
        customer.main_subscription_id = sub.subscription_id
        customer.product_id, customer.plan = sub.product_id, sub.plan
        customer.license_count = sub.license_count if sub.plan in LICENSE_PLANS else None
        customer.save(update_fields=["main_subscription_id", "product_id", "plan", "license_count"])
    return sub


def make_reservation(subscription: Subscription, **fields) -> Reservation:
    defaults = {"type": "ADD_LICENSE", "apply_date": dt.date(2026, 12, 1), "license_count": 5}
    defaults.update(fields)
    return Reservation.objects.create(
        subscription=subscription, customer_id=subscription.customer_id, synced_at=timezone.now(), **defaults
    )


def make_pre_order(customer=None, **fields) -> PreOrder:
    customer = customer or make_customer()
    defaults = {"product_id": "STD", "plan": "MONTHLY", "apply_date": dt.date(2026, 12, 1)}
    defaults.update(fields)
    return PreOrder.objects.create(
        pre_order_id=next(_pre_ids), customer=customer, synced_at=timezone.now(), **defaults
    )
