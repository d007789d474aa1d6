"""Reads of the billing cache (access checked here too); never HTTP. One job a module:

- `invoices`: LINE WORKS' invoices to the partner (`invoice_list`, `invoice_get`, `invoice_chart`,
  `month_summary`), the months fetched and the latest fetches (`months_fetched`, `fetch_runs`), and the month
  invoiced last (`last_closed_month`).
- `items`: a month's invoice details item by item (`item_list`, `item_page`, `ItemFilters`, `ITEM_SORTS`).
- `findings`: the month's check as its page reads it (`finding_list`, `finding_page`, `FindingFilters`,
  `FINDING_SORTS`, `finding_get`, `customers_unchecked`).
- `prices`: the price book's page and the entries its form checks against (`price_entry_page`,
  `price_entry_on`, `price_entry_next`), and the book as its download and import read it (`price_book_rows`,
  `price_entries_of`).
- `customer_page`: the customer page's Billing section (`customer_billing_section`, `usage_chart`).
- `costs`: costs learned from LINE WORKS' invoices as Finance's page reads them (`cost_proposal`, `cost_month_latest`), and why
  the estimate has no price for an item (`unpriced_why`, `Unpriced`).
- `closing`: the months Finance closed (`closed_months`, `month_is_closed`, `month_closing_state`).
- `estimate`: the estimate as billing's pages read it (`estimates`, `estimate_kept_state`, `kept_margins`, `month_estimate`,
  `estimate_against_invoice`).
- `charged`: what invoicing reads of billing: the month's items as charged on (`ChargedItem`,
  `month_charged_items`, `month_estimated_items`), `ESTIMATE_UNKNOWABLE`, and the stamps of what they are made
  from (`price_book_stamp`, `month_details_stamp`).

What other modules use is named here too, so `from billing import selectors` reads the same as its module. A test
that replaces a function replaces it in the module that looks it up when it runs.
"""

from billing.selectors.charged import (
    ESTIMATE_UNKNOWABLE,
    PRICED_TYPES,
    ChargedItem,
    month_charged_items,
    month_details_stamp,
    month_estimated_items,
    price_book_stamp,
)
from billing.selectors.closing import closed_months, month_closing_state, month_closings, month_is_closed
from billing.selectors.costs import Unpriced, cost_month_latest, cost_proposal, unpriced_why
from billing.selectors.customer_page import customer_billing_section, usage_chart
from billing.selectors.estimate import (
    estimate_against_invoice,
    estimate_kept_state,
    estimates,
    kept_margins,
    month_estimate,
)
from billing.selectors.findings import (
    FINDING_SORTS,
    FindingFilters,
    customers_unchecked,
    finding_get,
    finding_list,
    finding_page,
)
from billing.selectors.invoices import (
    fetch_runs,
    invoice_chart,
    invoice_get,
    invoice_list,
    last_closed_month,
    month_summary,
    months_fetched,
)
from billing.selectors.items import ITEM_SORTS, ItemFilters, item_list, item_page, item_values
from billing.selectors.prices import (
    price_book_rows,
    price_entries_of,
    price_entry_next,
    price_entry_on,
    price_entry_page,
)

__all__ = [
    "ChargedItem",
    "FINDING_SORTS",
    "FindingFilters",
    "ESTIMATE_UNKNOWABLE",
    "ITEM_SORTS",
    "ItemFilters",
    "PRICED_TYPES",
    "Unpriced",
    "closed_months",
    "cost_month_latest",
    "cost_proposal",
    "customer_billing_section",
    "customers_unchecked",
    "estimate_against_invoice",
    "kept_margins",
    "estimate_kept_state",
    "estimates",
    "fetch_runs",
    "finding_get",
    "finding_list",
    "finding_page",
    "invoice_chart",
    "invoice_get",
    "invoice_list",
    "item_list",
    "item_page",
    "item_values",
    "last_closed_month",
    "month_charged_items",
    "month_closing_state",
    "month_closings",
    "month_details_stamp",
    "month_estimate",
    "month_estimated_items",
    "month_is_closed",
    "month_summary",
    "months_fetched",
    "price_book_stamp",
    "price_entry_next",
    "price_entry_on",
    "price_book_rows",
    "price_entries_of",
    "price_entry_page",
    "unpriced_why",
    "usage_chart",
]
