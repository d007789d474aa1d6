"""Resyncs: the apps declare the Partner API calls that fill their cache tables (declarations.py); the engine
makes them, paced, guarded and recorded, one module a job: running.py (a run's record, retries, lock), fanout.py
(the per-customer calls side by side), full.py (the full and the one-customer resync), refresh.py (the continuous
refresh, in the order need.py gives), partner.py (the partner-wide walks), requests.py (what pages and services
ask for, enqueued on commit) and tasks.py (the Celery tasks). Callers use the names below.

Guarantees of a run:

* **calls made = calls needed**: each declared operation is called once per customer (or item, or page);
  two stores of one operation share one call;
* **overlap-guarded**: a full resync holds a lock in the shared cache (Redis in production) with a short
  time-to-live that a heartbeat thread renews while the run lives. A run whose process died (kill -9, lost
  machine) stops renewing it, so its lock lapses within LOCK_TTL_SECONDS and the next resync takes over,
  closing the dead run as interrupted;
* **idempotent**: stores upsert by remote id, so running twice leaves the same cache;
* **bounded by the rate limit, concurrent across operations**: each operation has its own small thread pool;
  the client's limiter paces each operation, so independent operations proceed side by side;
* **fault tolerant**: retryable errors are retried with backoff; a customer whose calls still fail is recorded
  in the run's errors and skipped, never stopping the run;
* **recorded**: a `SyncRun` with total/done, counts, errors, duration, and every request sent per operation
  (the client's own retries included: counted where the client sends them, `partner_api.transport.requests_sent`).

Threads only call the API; every database write happens in the thread that runs the engine.
"""

from portal.core.sync.declarations import (
    CustomerListing,
    DueSoon,
    PartnerWide,
    PerCustomer,
    PerItem,
    calls_needed,
    customer_calls,
    customer_listing,
    item_calls,
    method_name,
)
from portal.core.sync.fanout import WORKERS_PER_OPERATION
from portal.core.sync.full import SyncAlreadyRunning, resync_customer, resync_full
from portal.core.sync.partner import resync_partner_wide, resync_partner_wide_fresh
from portal.core.sync.refresh import looked_at_oldest, refresh_mark_opened, refresh_plan, resync_refresh
from portal.core.sync.requests import (
    QUEUED_GRACE_SECONDS,
    resync_customer_queued,
    resync_customer_request,
    resync_full_request,
    resync_partner_wide_request,
)
from portal.core.sync.running import (
    CUSTOMER,
    FULL,
    LOCK_KEY,
    LOCK_TTL_SECONDS,
    PARTNER,
    REFRESH,
    RETRY_ATTEMPTS,
    RETRY_BACKOFF_SECONDS,
    full_resync_running,
)

__all__ = [
    "CUSTOMER",
    "FULL",
    "LOCK_KEY",
    "LOCK_TTL_SECONDS",
    "PARTNER",
    "QUEUED_GRACE_SECONDS",
    "REFRESH",
    "RETRY_ATTEMPTS",
    "RETRY_BACKOFF_SECONDS",
    "WORKERS_PER_OPERATION",
    "CustomerListing",
    "DueSoon",
    "PartnerWide",
    "PerCustomer",
    "PerItem",
    "SyncAlreadyRunning",
    "calls_needed",
    "customer_calls",
    "customer_listing",
    "full_resync_running",
    "looked_at_oldest",
    "refresh_mark_opened",
    "refresh_plan",
    "item_calls",
    "method_name",
    "resync_customer",
    "resync_customer_queued",
    "resync_customer_request",
    "resync_full",
    "resync_full_request",
    "resync_partner_wide",
    "resync_partner_wide_fresh",
    "resync_partner_wide_request",
    "resync_refresh",
]
