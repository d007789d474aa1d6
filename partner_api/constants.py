"""Every choice the contract leaves open, in one place.

Where `openapi.yaml` marks a name or value `x-unverified`, the client follows the contract's best guess and
keeps it here, so that the day the vendor confirms (or refutes) it, one line changes.
"""

from __future__ import annotations

# --- x-unverified wire names ------------------------------------------------------------------------------
#: Body field of POST .../subscriptions/{subscriptionId}/add-license-count (addSubscriptionLicenseCount).
#: The contract chose `licenseCount`; the deprecated PATCH .../subscription/add-license-count used
#: `addLicenseCount`. Neither page of the current operation is stored.
ADD_LICENSE_COUNT_FIELD = "licenseCount"

#: Amount of one invoice line (SettlementItem) in integer yen, tax excluded. The stored page ends before it.
SETTLEMENT_ITEM_AMOUNT_FIELD = "amount"

#: Body field of PATCH .../option-products/{optionProductId}/add-quantity (addOptionProductQuantity).
ADD_OPTION_QUANTITY_FIELD = "quantity"

#: Separator between several scopes in one `scope` parameter (RFC 6749 style; not visible in the pages).
SCOPE_SEPARATOR = " "

# --- OAuth ----------------------------------------------------------------------------------------------
SCOPE_WRITE = "partner"
SCOPE_READ = "partner.read"
JWT_BEARER_GRANT_TYPE = "urn:ietf:params:oauth:grant-type:jwt-bearer"
#: The JWT assertion may live at most 60 minutes; a short life limits the damage of a leaked assertion.
JWT_ASSERTION_LIFETIME_SECONDS = 600
#: Cached access tokens are dropped this long before the server's expiry (or 10% of a short lifetime).
TOKEN_EXPIRY_MARGIN_SECONDS = 300

# --- Rate limits ----------------------------------------------------------------------------------------
#: Requests per minute per API operation (Standard/Advanced plans; the Free plan has 60).
DEFAULT_RATE_LIMIT_PER_MINUTE = 240
#: Calls of one operation that go on for longer than this keep to SUSTAINED_SHARE of the limit (the vendor's
#: rate-limit page: more than 30 minutes, half the limit; contract/parts/common.notes.md).
SUSTAINED_AFTER_SECONDS = 30 * 60
SUSTAINED_SHARE = 0.5
#: 429 responses are retried at most this many times, each wait at most this long.
MAX_RATE_LIMITED_RETRIES = 3
MAX_RATE_LIMITED_WAIT_SECONDS = 65.0

# --- Transport ------------------------------------------------------------------------------------------
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 3
RETRY_BACKOFF_BASE_SECONDS = 0.5
RETRY_BACKOFF_MAX_SECONDS = 8.0
#: Statuses after which an idempotent call (GET, PUT, DELETE) is sent again.
RETRYABLE_STATUSES = frozenset({502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "PUT", "DELETE"})

# --- Pagination -----------------------------------------------------------------------------------------
#: Largest `count` each paginated operation accepts (contract `maximum`).
MAX_PAGE_SIZE = {"listCustomers": 30, "listInvoiceDetails": 20}
#: An iterator stops with an error after this many pages rather than loop forever on a faulty cursor.
DEFAULT_MAX_PAGES = 1000
