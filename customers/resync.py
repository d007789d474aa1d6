"""What the customers app declares to the resync engine (portal.core.sync).

* the customer source: `listCustomers` (pages of 30, the contract's maximum) stored by `customer_upsert`,
  `getCustomer` for a one-customer refresh, and vanished customers marked removed;
* the per-customer call `getUsageStatus` (max users, member count, scheduled changes, cancellation);
* a store for `listSubscriptions` that keeps the list's plan / contract type / trial-end columns. The
  subscriptions app registers its own store for the same operation; the engine calls it once for both.

Stores run in the engine's thread, inside a transaction; fetches run in pool threads and only call the client.
"""

from __future__ import annotations

from typing import Any

from partner_api import constants
from portal.core import sync


def _fetch_page(client, cursor: str | None) -> tuple[list[Any], str | None]:
    page = client.list_customers(count=constants.MAX_PAGE_SIZE["listCustomers"], cursor=cursor)
    meta = page.response_meta_data
    return list(page.customers), (meta.next_cursor if meta is not None else None) or None


def _store_page(customers: list[Any], synced_at) -> list[int]:
    from customers import services

    return [services.customer_store(remote=c, synced_at=synced_at) for c in customers]


def _mark_removed(seen: set[int], removed_at) -> int:
    from customers import services

    return services.customer_mark_removed_except(present=seen, removed_at=removed_at)


def _mark_one_removed(domain_id: int, removed_at) -> None:
    from customers import services

    services.customer_mark_removed(domain_id=domain_id, removed_at=removed_at)


def _store_one(customer: Any, synced_at) -> None:
    from customers import services

    services.customer_store(remote=customer, synced_at=synced_at)


def _fetch_usage(client, domain_id: int):
    return client.get_usage_status(domain_id=domain_id)


def _store_usage(domain_id: int, usage, synced_at) -> None:
    from customers import services

    services.customer_usage_store(domain_id=domain_id, remote=usage, synced_at=synced_at)


def _fetch_subscriptions(client, domain_id: int):
    return client.list_subscriptions(domain_id=domain_id)


def _store_subscription_summary(domain_id: int, subscriptions, synced_at) -> None:
    from customers import services

    services.customer_subscription_summary_upsert(domain_id=domain_id, remote=subscriptions)


def _clear_subscription_summary(domain_id: int, synced_at) -> None:
    from customers import services

    services.customer_subscription_summary_clear(domain_id=domain_id)


def register() -> None:
    sync.register_customer_source(
        sync.CustomerSource(
            list_operation_id="listCustomers",
            fetch_page=_fetch_page,
            store_page=_store_page,
            mark_removed=_mark_removed,
            get_operation_id="getCustomer",
            fetch_one=lambda client, domain_id: client.get_customer(domain_id=domain_id),
            store_one=_store_one,
            mark_one_removed=_mark_one_removed,
        )
    )
    sync.register_customer_call(
        name="customers.usage_status",
        operation_id="getUsageStatus",
        fetch=_fetch_usage,
        store=_store_usage,
        # The customer was deleted between the listing and this call.
        on_not_found=_mark_one_removed,
    )
    sync.register_customer_call(
        name="customers.subscription_summary",
        operation_id="listSubscriptions",
        fetch=_fetch_subscriptions,
        store=_store_subscription_summary,
        # No subscription resource for this customer: nothing to summarise.
        on_not_found=_clear_subscription_summary,
    )
