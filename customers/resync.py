"""What the customers app declares to the resync engine (portal.core.sync):

* the customer listing: `listCustomers` (pages of 30, the contract's maximum) stored by `customer_store`,
  `getCustomer` for a one-customer refresh, and customers the listing no longer returns marked removed;
* `getUsageStatus` per customer (max users, member count, scheduled changes, cancellation);
* a store for `listSubscriptions` that keeps the list's product / plan / trial-end columns. The
  subscriptions app declares its own store for the same operation; the engine calls it once for both.
"""

from __future__ import annotations

from typing import Any

from customers import selectors, services
from partner_api import constants
from portal.core.sync import CustomerListing, PerCustomer


def _fetch_page(client, cursor: str | None) -> tuple[list[Any], str | None]:
    page = client.list_customers(count=constants.MAX_PAGE_SIZE["listCustomers"], cursor=cursor)
    meta = page.response_meta_data
    return list(page.customers), (meta.next_cursor if meta is not None else None) or None


RESYNC = [
    CustomerListing(
        operation_id="listCustomers",
        fetch_page=_fetch_page,
        store_page=lambda customers, synced_at: [
            services.customer_store(remote=c, synced_at=synced_at) for c in customers
        ],
        remove_missing=lambda seen, at: services.customer_mark_removed_except(present=seen, removed_at=at),
        get_operation_id="getCustomer",
        store_one=lambda customer, synced_at: services.customer_store(remote=customer, synced_at=synced_at),
        mark_one_removed=lambda domain_id, at: services.customer_mark_removed(
            domain_id=domain_id, removed_at=at
        ),
        oldest_first=selectors.oldest_copies,
        copies_of=selectors.copies_of,
    ),
    PerCustomer(
        name="customers.usage_status",
        operation_id="getUsageStatus",
        store=lambda domain_id, usage, synced_at: services.customer_usage_store(
            domain_id=domain_id, remote=usage, synced_at=synced_at
        ),
        # The customer was deleted between the listing and this call.
        on_not_found=lambda domain_id, at: services.customer_mark_removed(domain_id=domain_id, removed_at=at),
    ),
    PerCustomer(
        name="customers.subscription_summary",
        operation_id="listSubscriptions",
        store=lambda domain_id, remote, synced_at: services.customer_subscription_summary_upsert(
            domain_id=domain_id, remote=remote
        ),
        # No subscription resource for this customer: nothing to summarise.
        on_not_found=lambda domain_id, at: services.customer_subscription_summary_clear(domain_id=domain_id),
    ),
]
