"""Writes of the billing domain. One job a module:

- `invoices`: LINE WORKS' invoices as the resync stores them, a year of invoices (`invoice_year_store`) and a
  month of invoice details (`invoice_month_store`, all or nothing, then the month's check), and the fetch of a
  month the pages ask for (`month_fetch_request`).
- `usage`: a customer's daily usage snapshots stored, marked and thinned (`usage_store`, `usage_thin`,
  `USAGE_KEEP_DAYS`).
- `findings`: the variance check run on a month's facts and stored (`finding_month_check`), a finding
  explained (`finding_explain`); the facts and kinds of finding are billing/findings.py.
- `prices`: a price added to the price book (`price_entry_create`); the book and pricing are billing/prices.py.
- `costs`: what a month's invoice says each product or option costs, learned when the month is stored
  (`invoice_cost_learn`), and Finance accepting it into the price book (`invoice_cost_accept`); the rules of
  what is a price are billing/costs.py.
- `closing`: a month closed and reopened (`month_close`, `month_reopen`); a write to a closed month refused
  (`refuse_if_closed`, `MonthClosed`).

What other modules use is named here too, so `from billing import services` reads the same as its module. A test
that replaces a function replaces it in the module that looks it up when it runs.
"""

from billing.services.closing import (
    MonthClosed,
    MonthNotClosable,
    month_close,
    month_reopen,
    refuse_if_closed,
)
from billing.services.costs import NothingToAccept, invoice_cost_accept, invoice_cost_learn
from billing.services.findings import FindingNotFound, finding_explain, finding_month_check
from billing.services.invoices import invoice_month_store, invoice_year_store, month_fetch_request
from billing.services.prices import price_entry_create
from billing.services.usage import USAGE_KEEP_DAYS, usage_clear, usage_store, usage_thin

__all__ = [
    "USAGE_KEEP_DAYS",
    "FindingNotFound",
    "MonthClosed",
    "MonthNotClosable",
    "NothingToAccept",
    "finding_explain",
    "finding_month_check",
    "invoice_cost_accept",
    "invoice_cost_learn",
    "invoice_month_store",
    "invoice_year_store",
    "month_close",
    "month_fetch_request",
    "month_reopen",
    "price_entry_create",
    "refuse_if_closed",
    "usage_clear",
    "usage_store",
    "usage_thin",
]
