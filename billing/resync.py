"""What the billing app declares to the resync engine (portal.core.sync):

* `listInvoices` as a partner-wide call for a year (one page: the API does not paginate it); the year's
  invoices are replaced with the list;
* `listInvoiceDetails` as a partner-wide cursor walk for a usage month (count 20, the contract's maximum):
  the engine hands the store every item only once the walk completed, in one transaction, so a failed walk
  leaves the stored month as it was;
* `listCustomerUsages` once per customer in every full resync, for the current business month (snapshots
  accumulate day by day; the customer page draws the last 90 days).
"""

from __future__ import annotations

from billing import rules, services
from portal.core import clock
from portal.core.sync import PartnerWide, PerCustomer

RESYNC = [
    PartnerWide(
        name=rules.INVOICES,
        label=rules.invoices_label,
        operation_id="listInvoices",
        store=lambda params, items, synced_at: services.invoice_year_store(
            year=params["year"], remote=items, synced_at=synced_at
        ),
        items_of=lambda page: page.invoices,
    ),
    PartnerWide(
        name=rules.INVOICE_DETAILS,
        label=rules.invoice_details_label,
        operation_id="listInvoiceDetails",
        store=lambda params, items, synced_at: services.invoice_month_store(
            year=params["year"], month=params["month"], remote=items, synced_at=synced_at
        ),
        items_of=lambda page: page.invoice_details,
        cursor_of=lambda page: page.response_meta_data.next_cursor if page.response_meta_data else None,
        count=rules.DETAILS_PAGE_SIZE,
    ),
    PerCustomer(
        name="billing.usages",
        operation_id="listCustomerUsages",
        args=clock.this_month,
        store=lambda domain_id, remote, synced_at: services.usage_store(
            domain_id=domain_id, remote=remote, synced_at=synced_at
        ),
        on_not_found=lambda domain_id, at: services.usage_clear(domain_id=domain_id),
    ),
]
