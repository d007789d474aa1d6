"""Reads of the options cache. Never call the Partner API from here. One job a module:

- `listing`: the Options list, its filters, sorts and page (`OptionFilters`, `TRIAL`, `PAID`, `NO_RENEWAL`,
  `SORTS`, `option_list`, `option_page`).
- `customer`: one customer's options: an option or order (`option_get`, `order_get`), the customer page's
  Options section (`customer_options_section`), what a change needs (`readd_dates`, `readd_dates_of`,
  `options_affected`).
- `usage`: the usage page's month (`usage_month`, `usage_month_summary`) and an option's last day of usage
  (`latest_usage`, the renewal warning).
- `sold`: billing's readers of what is sold (`options_sold`, `options_used`, `usage_quantities`, and their
  tuples `SoldOption`, `UsedOption`, `ScheduledOption`, `OptionsSold`).
- `refresh`: what the resyncs read (`customers_due`, `renewals_known`, `renewals_guess`).

What other modules use is named here too, so `from options import selectors` reads the same as its module.
A test that replaces a function replaces it in the module that looks it up when it runs.
"""

from options.selectors.customer import (
    customer_options_section,
    option_get,
    options_affected,
    order_get,
    readd_dates,
    readd_dates_of,
)
from options.selectors.listing import NO_RENEWAL, PAID, SORTS, TRIAL, OptionFilters, option_list, option_page
from options.selectors.refresh import customers_due, renewals_guess, renewals_known
from options.selectors.sold import (
    OptionsSold,
    ScheduledOption,
    SoldOption,
    UsedOption,
    options_sold,
    options_used,
    usage_quantities,
)
from options.selectors.usage import latest_usage, usage_month, usage_month_summary

__all__ = [
    "NO_RENEWAL",
    "PAID",
    "SORTS",
    "TRIAL",
    "OptionFilters",
    "OptionsSold",
    "ScheduledOption",
    "SoldOption",
    "UsedOption",
    "customer_options_section",
    "customers_due",
    "latest_usage",
    "option_get",
    "option_list",
    "option_page",
    "options_affected",
    "options_sold",
    "options_used",
    "order_get",
    "readd_dates",
    "readd_dates_of",
    "renewals_guess",
    "renewals_known",
    "usage_month",
    "usage_month_summary",
    "usage_quantities",
]
