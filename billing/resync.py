"""What the billing app declares to the resync engine (portal.core.sync):

* `listInvoices` as a partner-wide call for a year (one page: the API does not paginate it); the year's
  invoices are replaced with the list;
* `listInvoiceDetails` as a partner-wide cursor walk for a usage month (count 20, the contract's maximum):
  the engine hands the store every item only once the walk completed, in one transaction, so a failed walk
  leaves the stored month as it was;
* `listCustomerUsages` once per customer in every full resync, for the current business month (snapshots
  accumulate day by day; the customer page draws the last 90 days).

Kept fresh (`keep_fresh`: beat and `manage.py resync --partner-wide`): the invoices of the last closed month's
year and of the running month's year (their payment, the 12-month chart), and the last closed month's invoice
details unless Finance closed it. The running month has no details to read: its invoice is issued on the 1st
of the next month (listInvoices); its usage is read by every full resync.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from billing import rules, selectors, services
from portal.core import clock
from portal.core.sync import PartnerWide, PerCustomer


def fresh_invoice_years(today: dt.date) -> list[dict[str, Any]]:
    """The years of invoices to read: the last closed month's and the running month's (the same in all but
    January)."""
    closed_year, _month = rules.last_closed_month(today)
    return [{"year": year} for year in sorted({closed_year, today.year})]


def fresh_detail_months(today: dt.date) -> list[dict[str, Any]]:
    """The last closed month's details, unless Finance closed it (a closed month keeps what it was checked
    with)."""
    year, month = rules.last_closed_month(today)
    return [] if selectors.month_is_closed(year=year, month=month) else [{"year": year, "month": month}]


RESYNC = [
    PartnerWide(
        name=rules.INVOICES,
        label=rules.invoices_label,
        operation_id="listInvoices",
        store=lambda params, items, synced_at: services.invoice_year_store(
            year=params["year"], remote=items, synced_at=synced_at
        ),
        items_of=lambda page: page.invoices,
        keep_fresh=fresh_invoice_years,
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
        keep_fresh=fresh_detail_months,
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
