"""What the subscriptions app declares to the resync engine (portal.core.sync).

* a store for `listSubscriptions` (the customers app registers the same operation for its summary columns;
  the engine calls it once for both). The list already carries each paid subscription's renewal settings, so
  `getSubscriptionRenewal` is never called;
* the per-customer call `listSubscriptionPreOrders`;
* the per-item call `getSubscriptionReservation`, once per subscription the list returned (the list does not
  carry reservations); a 404 means the subscription has no scheduled task.

Stores run in the engine's thread, inside a transaction; fetches run in pool threads and only call the client.
"""

from __future__ import annotations

from typing import Any

from portal.core import sync


def _fetch_subscriptions(client, domain_id: int):
    return client.list_subscriptions(domain_id=domain_id)


def _store_subscriptions(domain_id: int, remote, synced_at) -> None:
    from subscriptions import services

    services.subscription_list_store(domain_id=domain_id, remote=remote, synced_at=synced_at)


def _clear_subscriptions(domain_id: int, synced_at) -> None:
    from subscriptions import services

    services.subscription_list_clear(domain_id=domain_id)


def _subscription_ids(remote) -> list[int]:
    return [s.subscription_id for s in getattr(remote, "subscriptions", None) or []]


def _fetch_reservation(client, domain_id: int, subscription_id: int):
    return client.get_subscription_reservation(domain_id=domain_id, subscription_id=subscription_id)


def _store_reservations(domain_id: int, remote: dict[int, Any], synced_at) -> None:
    from subscriptions import services

    services.reservation_store_all(domain_id=domain_id, remote=remote, synced_at=synced_at)


def _fetch_pre_orders(client, domain_id: int):
    return client.list_subscription_pre_orders(domain_id=domain_id)


def _store_pre_orders(domain_id: int, remote, synced_at) -> None:
    from subscriptions import services

    services.pre_order_list_store(domain_id=domain_id, remote=remote, synced_at=synced_at)


def _clear_pre_orders(domain_id: int, synced_at) -> None:
    from subscriptions import services

    services.pre_order_list_clear(domain_id=domain_id)


def register() -> None:
    sync.register_customer_call(
        name="subscriptions.subscriptions",
        operation_id="listSubscriptions",
        fetch=_fetch_subscriptions,
        store=_store_subscriptions,
        on_not_found=_clear_subscriptions,
    )
    sync.register_item_call(
        name="subscriptions.reservations",
        operation_id="getSubscriptionReservation",
        parent="listSubscriptions",
        items=_subscription_ids,
        fetch=_fetch_reservation,
        store=_store_reservations,
    )
    sync.register_customer_call(
        name="subscriptions.pre_orders",
        operation_id="listSubscriptionPreOrders",
        fetch=_fetch_pre_orders,
        store=_store_pre_orders,
        on_not_found=_clear_pre_orders,
    )
