"""In headless Chromium, with a real Celery worker: Finance switches the partner to billing in advance on its
billing details, finds the running month's drafts made from the estimate (the page says so and what the estimate
cannot know), issues them in one step, then reads the page in Japanese."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from billing.models import PriceEntry
from invoicing.models import CustomerBilling, IssuedInvoice, IssuerDetails
from portal.core import clock
from portal.core.access import Role
from subscriptions.models import Subscription
from tests.customers.factories import make_customer
from tests.fixtures.browser import in_japanese, login, screenshot
from tests.fixtures.personas import make_persona

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_switch_to_billing_in_advance_then_issue_from_the_estimate(page, celery_worker_process):
    # The worker reads the real date: the running month is its own.
    today = clock.today()
    harbor = make_customer(company_name="Blue Harbor Clinic", domain_id=90_230_001, plan="ANNUAL_LICENSE")
    Subscription.objects.create(
        subscription_id=902_300_011,
        customer=harbor,
        product_id="STD",
        plan="ANNUAL_LICENSE",
        plan_start_date=today - dt.timedelta(days=400),
        plan_end_date=today + dt.timedelta(days=400),
        license_count=10,
        status="ACTIVE",
        renewal_type="STAY",
        synced_at=timezone.now(),
    )
    PriceEntry.objects.create(
        item_id="STD", plan="ANNUAL_LICENSE", cost=450, price=600, effective_from=dt.date(2020, 1, 1)
    )
    IssuerDetails.objects.create(
        pk=1,
        registered_name="Sakura Partner K.K.",
        address="1-1 Marunouchi, Chiyoda-ku, Tokyo",
        corporation=True,
        registration_number="T1180301018771",
        bank_account="Sakura Bank, Head Office, Ordinary 1234567",
    )
    CustomerBilling.objects.create(
        domain_id=harbor.domain_id,
        bill_to_name="Blue Harbor Clinic, Accounting",
        bill_to_address="2-2 Umeda, Kita-ku, Osaka",
        language="en",
    )
    page.set_viewport_size({"width": 1366, "height": 860})
    login(page, make_persona(Role.FINANCE), "/invoicing/")
    basis = page.locator('[data-testid="basis"]')
    assert "From LINE WORKS' invoice for" in basis.inner_text()
    assert page.locator('[data-testid="advance-cannot-know"]').count() == 0

    page.click('[data-testid="issuer-details"]')
    assert page.is_checked("input[name=billing_basis][value=after_invoice]")
    page.check("input[name=billing_basis][value=in_advance]")
    screenshot(page, "invoicing-advance-issuer-en")
    page.click('[data-testid="issuer-save"]')
    page.wait_for_selector('[data-testid="advance-cannot-know"]')
    running = f"{today.year}-{today.month:02d}"
    assert f"From the estimate of {running}." in basis.inner_text()
    assert "Usage-based charges" in page.inner_text('[data-testid="advance-cannot-know"]')
    row = page.locator(f'tr[data-domain="{harbor.domain_id}"]')
    assert "Ready" in row.inner_text() and "¥6,600" in row.inner_text()
    screenshot(page, "invoicing-advance-drafts-en")

    page.click('[data-testid="issue-month"]')
    page.click('[data-testid="confirm-issue"]')
    page.wait_for_selector('text="Issued No. 1"', timeout=60_000)
    page.wait_for_selector(f'tr[data-domain="{harbor.domain_id}"] a[href$=".pdf"]', timeout=60_000)
    invoice = IssuedInvoice.objects.get()
    assert (invoice.number, invoice.year, invoice.month, invoice.total) == (1, today.year, today.month, 6_600)

    with page.expect_navigation():
        in_japanese(page)
    assert f"{today.year}年{today.month}月の見込みから作成。" in page.inner_text('[data-testid="basis"]')
    assert "見込みで分からないこと" in page.inner_text('[data-testid="advance-cannot-know"]')
    screenshot(page, "invoicing-advance-drafts-ja")
