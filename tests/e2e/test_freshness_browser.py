"""In headless Chromium, with a real Celery worker and the sandbox: Support opens a customer whose copy is an hour
old; the page says it is reading it again, and the fresh copy (the sandbox's real company name) replaces the old
one in place, with "Updated just now"."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from customers import services
from customers.models import Customer
from portal.core.access import Role
from portal.core.partner import get_client
from tests.fixtures.browser import login, screenshot
from tests.fixtures.personas import make_persona

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_old_customer_page_refreshes_itself_in_place(
    worker_on_sandbox, celery_worker_process, page, settings
):
    settings.REFRESH_ON_OPEN_MINUTES = 10
    remote = next(iter(get_client().iter_customers()))
    services.customer_refresh(domain_id=remote.domain_id)
    Customer.objects.filter(pk=remote.domain_id).update(
        company_name="一時間前の名前株式会社", synced_at=timezone.now() - dt.timedelta(hours=1)
    )

    login(page, make_persona(Role.SUPPORT), f"/customers/{remote.domain_id}/")
    banner = page.locator("[data-testid=freshness]")
    assert "in the background" in banner.inner_text()
    assert "一時間前の名前株式会社" in page.locator("#customer-fresh").inner_text()

    page.wait_for_function(
        "() => document.querySelector('[data-testid=freshness]').textContent.includes('Updated just now')",
        timeout=90_000,  # the page gives up after REFRESH_ON_OPEN_WAIT_SECONDS
    )
    fresh = page.locator("#customer-fresh").inner_text()
    assert remote.company_name in fresh and "一時間前の名前株式会社" not in fresh
    assert page.locator("h1").inner_text().startswith(remote.company_name)
    assert (
        page.locator("[data-testid=freshness]").get_attribute("role") == "status"
    )  # announced, not only shown
    screenshot(page, "customers-refreshed-on-open")
