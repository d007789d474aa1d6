"""What the subscriptions app declares to the resync engine (portal.core.sync):

* a store for `listSubscriptions` (the customers app declares the same operation for its summary columns; the
  engine calls it once for both). The list already carries each paid subscription's renewal settings, so
  `getSubscriptionRenewal` is never called;
* `listSubscriptionPreOrders` per customer;
* `getSubscriptionReservation` once per subscription the list returned (the list does not carry reservations);
  a 404 means the subscription has no scheduled change.
"""

from __future__ import annotations

from portal.core.sync import DueSoon, PerCustomer, PerItem
from subscriptions import selectors, services

RESYNC = [
    PerCustomer(
        name="subscriptions.subscriptions",
        operation_id="listSubscriptions",
        store=lambda domain_id, remote, synced_at: services.subscription_list_store(
            domain_id=domain_id, remote=remote, synced_at=synced_at
        ),
        on_not_found=lambda domain_id, at: services.subscription_list_clear(domain_id=domain_id),
    ),
    PerItem(
        name="subscriptions.reservations",
        operation_id="getSubscriptionReservation",
        parent="listSubscriptions",
        items=lambda remote: [s.subscription_id for s in getattr(remote, "subscriptions", None) or []],
        item_arg="subscription_id",
        store=lambda domain_id, remote, synced_at: services.reservation_store_all(
            domain_id=domain_id, remote=remote, synced_at=synced_at
        ),
        known=selectors.reservations_known,
    ),
    PerCustomer(
        name="subscriptions.pre_orders",
        operation_id="listSubscriptionPreOrders",
        store=lambda domain_id, remote, synced_at: services.pre_order_list_store(
            domain_id=domain_id, remote=remote, synced_at=synced_at
        ),
        on_not_found=lambda domain_id, at: services.pre_order_list_clear(domain_id=domain_id),
    ),
    DueSoon(name="subscriptions.due", customers=selectors.customers_due),
]
