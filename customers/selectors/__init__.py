"""Reads of the customers cache. Never call the Partner API from here. One job a module:

- `search`: the customer search and the rows of customers still in the API, which every list of customers'
  rows shares (`customer_search`, `customers_found`, `still_in_api`, `live_and_found`, `live_walked`,
  `count_live_and_found`); the search table, or for one short word the gram table (`searched`).
- `paging`: a searched list of customers' rows paged by customer (`page_by_customer`).
- `listing`: the Customers list, its filters, sorts and page (`CustomerFilters`, `Removed`, `SORTS`,
  `customer_list`, `customer_page`) and its export's columns (`CSV_COLUMNS`).
- `owners`: who looks after each customer: the Owner filter (`Owner`, `owned_by`, `owner_choices`,
  `owner_filter_default`, `owner_views`), the portfolio rule (`portfolio_only`, `readable`), an Account
  manager's customers (`managers_customers`), what a person leaving holds (`customers_held`, `adder_owns`) and
  one customer's owners (`customer_owner_get`, `customer_owner_section`).
- `customer`: one customer: by domainId (`customer_get`, `customer_names`), picked by name in a form
  (`customers_to_pick`, `customer_picked`, `customer_pick_label`), its page's refresh
  (`customer_refresh_state`) and Scheduled changes section (`customer_schedule_section`).
- `counts`: the home page's figure (`customer_total`) and another app's worklist of customers that lack
  something (`customers_lacking`).
- `copies`: when the customers' copies were read (`oldest_copy`, `oldest_copies`, `copies_of`).
- `billed`: who is and who was a customer, as billing reads it (`customer_departures`, `customers_billed`,
  `customers_billed_batches`, `customers_live`, `customers_removed_since`).

What other modules use is named here too, so `from customers import selectors` reads the same as its module.
A test that replaces a function replaces it in the module that looks it up when it runs.
"""

from customers.selectors.billed import (
    BilledCustomer,
    Departure,
    customer_departures,
    customers_billed,
    customers_billed_batches,
    customers_live,
    customers_removed_since,
)
from customers.selectors.copies import copies_of, oldest_copies, oldest_copy
from customers.selectors.counts import customer_total, customers_lacking
from customers.selectors.customer import (
    customer_get,
    customer_names,
    customer_pick_label,
    customer_picked,
    customer_refresh_state,
    customer_schedule_section,
    customers_to_pick,
)
from customers.selectors.listing import (
    CSV_COLUMNS,
    SORTS,
    CustomerFilters,
    Removed,
    customer_list,
    customer_page,
)
from customers.selectors.owners import (
    Owner,
    adder_owns,
    customer_owner_get,
    customer_owner_section,
    customers_held,
    managers_customers,
    owned_by,
    owner_choices,
    owner_filter_default,
    owner_views,
    portfolio_only,
    readable,
)
from customers.selectors.paging import page_by_customer
from customers.selectors.search import (
    GRAM_LENGTHS,
    count_live_and_found,
    customer_search,
    customers_found,
    live_and_found,
    live_walked,
    still_in_api,
)

__all__ = [
    "CSV_COLUMNS",
    "GRAM_LENGTHS",
    "SORTS",
    "BilledCustomer",
    "CustomerFilters",
    "Departure",
    "Owner",
    "Removed",
    "adder_owns",
    "copies_of",
    "count_live_and_found",
    "customer_departures",
    "customer_get",
    "customer_list",
    "customer_names",
    "customer_owner_get",
    "customer_owner_section",
    "customer_page",
    "customer_pick_label",
    "customer_picked",
    "customer_refresh_state",
    "customer_schedule_section",
    "customer_search",
    "customer_total",
    "customers_billed",
    "customers_billed_batches",
    "customers_found",
    "customers_held",
    "customers_lacking",
    "customers_live",
    "customers_removed_since",
    "customers_to_pick",
    "live_and_found",
    "live_walked",
    "managers_customers",
    "oldest_copies",
    "oldest_copy",
    "owned_by",
    "owner_choices",
    "owner_filter_default",
    "owner_views",
    "page_by_customer",
    "portfolio_only",
    "readable",
    "still_in_api",
]
