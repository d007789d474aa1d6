"""Fixtures of the billing tests: the portal pointed at the session sandbox (real HTTP, no mocks); the clock is
the sandbox's own, and the portal's business date is pinned to it."""

from __future__ import annotations

import datetime as dt

import pytest

from billing import rules
from tests.fixtures.portal_api import pin_business_today, quick_retries
from tests.fixtures.sandbox import sandbox_of_its_own

# A sandbox that bills more customers than one page of listInvoiceDetails holds (20).
own_sandbox = sandbox_of_its_own(seed_customers=60, seed=12, scope="package")


@pytest.fixture
def billing_sandbox(own_sandbox, portal_api, monkeypatch):
    quick_retries(monkeypatch)
    own_sandbox.configure(resetRateLimits=True)
    portal_api(own_sandbox)
    today = dt.date.fromisoformat(own_sandbox.clock()["today"])
    pin_business_today(monkeypatch, today)
    return own_sandbox


@pytest.fixture
def closed_month(billing_sandbox) -> dict[str, int]:
    today = dt.date.fromisoformat(billing_sandbox.clock()["today"])
    year, month = rules.last_closed_month(today)
    return {"year": year, "month": month}


@pytest.fixture
def read_month_usage(billing_sandbox, closed_month):
    """A function that reads the closed month's usage snapshots of the customers billed in it from the sandbox
    (a full resync reads the running month's only) and checks the month again: what the check compares the
    month's licences with."""
    from django.utils import timezone

    from billing import services
    from billing.models import InvoiceItem
    from portal.core.partner import get_client

    def read() -> None:
        client = get_client()
        billed = InvoiceItem.objects.filter(**closed_month).values_list("domain_id", flat=True).distinct()
        for domain_id in sorted(set(billed)):
            services.usage_store(
                domain_id=domain_id,
                remote=client.list_customer_usages(domain_id=domain_id, **closed_month),
                synced_at=timezone.now(),
            )
        services.finding_month_check(**closed_month)

    return read
