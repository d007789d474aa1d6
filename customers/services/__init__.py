"""Writes of the customers domain. One job a module:

- `store`: the cached customer written from the API's replies: the resync's stores (`customer_store`,
  `customer_usage_store`, `customer_subscription_summary_upsert`, `customer_mark_removed_except`) and what a
  declared change's `apply` writes after the API answered (customers/changes.py).
- `refresh`: a customer read again now (`customer_refresh`), when its page opens on an old copy
  (`customer_refresh_if_old`) or after a write (`customer_refresh_later`).
- `checks`: reads through the API that check a change before it is made and change nothing
  (`customer_domain_verify`, `upgrade_domain_get`, `potential_customer_get`).
- `owners`: who looks after each customer, the partner's own data (`customer_owner_set`,
  `customer_owner_adder`, `customer_owners_hand_over`).

The changes themselves are declared in customers/changes.py and sent by the change pipeline
(portal.core.changes). What other modules use is named here too, so `from customers import services` reads the
same as its module. A test that replaces a function replaces it in the module that looks it up when it runs.
"""

from customers.services.checks import customer_domain_verify, potential_customer_get, upgrade_domain_get
from customers.services.owners import (
    OwnerChangeRefused,
    customer_owner_adder,
    customer_owner_set,
    customer_owners_hand_over,
)
from customers.services.refresh import customer_refresh, customer_refresh_if_old, customer_refresh_later
from customers.services.store import (
    customer_columns_of,
    customer_domain_set,
    customer_mark_removed,
    customer_mark_removed_except,
    customer_renewal_clear,
    customer_store,
    customer_subscription_summary_clear,
    customer_subscription_summary_upsert,
    customer_upsert,
    customer_usage_store,
    customer_usage_upsert,
)

__all__ = [
    "OwnerChangeRefused",
    "customer_columns_of",
    "customer_domain_set",
    "customer_domain_verify",
    "customer_mark_removed",
    "customer_mark_removed_except",
    "customer_owner_adder",
    "customer_owner_set",
    "customer_owners_hand_over",
    "customer_refresh",
    "customer_refresh_if_old",
    "customer_refresh_later",
    "customer_renewal_clear",
    "customer_store",
    "customer_subscription_summary_clear",
    "customer_subscription_summary_upsert",
    "customer_upsert",
    "customer_usage_store",
    "customer_usage_upsert",
    "potential_customer_get",
    "upgrade_domain_get",
]
