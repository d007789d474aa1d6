"""What the options app declares to the resync engine (portal.core.sync):

* `listOptionProducts` per customer (the options in use);
* `getOptionProductRenewal` once per option that list returned (a 404 means a Trial option: no settings);
* `listOptionProductOrders` per customer (the scheduled orders);
* `listOptionProductUsages` per customer for the current business month (the usage chart).
"""

from __future__ import annotations

from options import selectors, services
from partner_api.models import wire_text
from portal.core import clock
from portal.core.sync import DueSoon, PerCustomer, PerItem

RESYNC = [
    PerCustomer(
        name="options.options",
        operation_id="listOptionProducts",
        store=lambda domain_id, remote, synced_at: services.option_list_store(
            domain_id=domain_id, remote=remote, synced_at=synced_at
        ),
        on_not_found=lambda domain_id, at: services.option_list_clear(domain_id=domain_id),
    ),
    PerItem(
        name="options.renewals",
        operation_id="getOptionProductRenewal",
        parent="listOptionProducts",
        items=lambda remote: [
            wire_text(o.option_product_id)
            for o in getattr(remote, "option_products", None) or []
            if wire_text(o.plan) != "TRIAL"
        ],
        item_arg="option_product_id",
        store=lambda domain_id, remote, synced_at: services.renewal_store_all(
            domain_id=domain_id, remote=remote, synced_at=synced_at
        ),
        known=selectors.renewals_known,
        guess=selectors.renewals_guess,
        # A customer read for a decision due: the renewal settings of the options that end then (the store
        # updates the options it is given and leaves the others as they are).
        due_items=lambda remote, first, last: [
            wire_text(o.option_product_id)
            for o in getattr(remote, "option_products", None) or []
            if o.plan_end_date is not None and first <= o.plan_end_date <= last
        ],
    ),
    PerCustomer(
        name="options.orders",
        operation_id="listOptionProductOrders",
        store=lambda domain_id, remote, synced_at: services.order_list_store(
            domain_id=domain_id, remote=remote, synced_at=synced_at
        ),
        on_not_found=lambda domain_id, at: services.order_list_clear(domain_id=domain_id),
    ),
    PerCustomer(
        name="options.usages",
        operation_id="listOptionProductUsages",
        store=lambda domain_id, remote, synced_at: services.usage_list_store(
            domain_id=domain_id, remote=remote, synced_at=synced_at
        ),
        args=clock.this_month,
    ),
    DueSoon(name="options.due", customers=selectors.customers_due),
]
