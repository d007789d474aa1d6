"""Fetching a month of invoice details from a sandbox: calls made vs pages needed, time vs the rate limit.

listInvoiceDetails returns at most 20 customers a page, so a month of N billed customers needs ceil(N / 20)
calls. Run through ``python -m bench.billing fetch``. Environment: BENCH_CUSTOMERS (sandbox size, default
2000), BENCH_RATE_LIMIT (L requests/minute/operation, default 240, the contract's).
"""

from __future__ import annotations

import datetime as dt
import os
import time

from bench.portal_env import portal_on
from sandbox.testing import start_sandbox

CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "2000"))
LIMIT = int(os.environ.get("BENCH_RATE_LIMIT", "240"))


def main() -> None:
    t0 = time.perf_counter()
    sandbox = start_sandbox(seed_customers=CUSTOMERS, seed=4, rate_limit=LIMIT)
    print(
        f"sandbox with {CUSTOMERS} customers, rate limit L = {LIMIT}/min/operation, ready in {time.perf_counter() - t0:.1f} s"
    )
    try:
        os.environ.update(
            {
                "DJANGO_SETTINGS_MODULE": "portal.settings",
                **portal_on(sandbox, rate_limit=LIMIT),
            }
        )
        import django

        django.setup()
        from django.core.cache import cache
        from django.core.management import call_command

        from billing import rules
        from billing.models import InvoiceItem
        from billing.rules import INVOICE_DETAILS
        from portal.core import partner, sync

        call_command("migrate", verbosity=0)
        cache.delete_many([f"{partner.CACHE_PREFIX}:token:service:{s}" for s in ("partner", "partner.read")])
        today = dt.date.fromisoformat(sandbox.clock()["today"])
        year, month = rules.last_closed_month(today)
        sandbox.clear_requests()
        started = time.perf_counter()
        run = sync.resync_partner_wide(name=INVOICE_DETAILS, params={"year": year, "month": month})
        elapsed = time.perf_counter() - started
        sent = [r for r in sandbox.requests(limit=1_000_000) if r.get("operationId") == "listInvoiceDetails"]
        customers = InvoiceItem.objects.filter(year=year, month=month).values("domain_id").distinct().count()
        pages = -(-customers // rules.DETAILS_PAGE_SIZE)
        bound = pages / LIMIT * 60
        print(
            f"run {run.pk}: {run.get_status_display()}, month {year}-{month:02d}, {customers} customers billed, "
            f"{InvoiceItem.objects.filter(year=year, month=month).count()} items stored"
        )
        print(
            f"pages needed {pages}, calls made {run.calls.get('listInvoiceDetails', 0)} (server log {len(sent)}): "
            f"{'equal' if run.calls.get('listInvoiceDetails') == pages == len(sent) else 'NOT equal'}"
        )
        refused = sum(1 for r in sent if r.get("status") == 429)
        print(
            f"elapsed {elapsed:.1f} s vs rate-limit bound {bound:.1f} s (pages / L); "
            f"answers 429 (over the limit): {refused}"
        )
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()
