"""In headless Chromium, with a real Celery worker: Finance finds the invoicing room blocked by missing details,
saves the partner's billing details (a wrong check digit refused first) and a customer's, reviews the month's
drafts and a preview, and issues the month in one step, watching the progress; then reads the page in Japanese."""

from __future__ import annotations

import datetime as dt

import pytest

from billing import rules as billing_rules
from billing.models import PriceEntry
from invoicing.models import IssuedInvoice
from portal.core import clock
from portal.core.access import Role
from tests.billing.factories import make_invoice, make_item
from tests.customers.factories import make_customer
from tests.fixtures.browser import in_japanese, login, screenshot
from tests.fixtures.personas import make_persona

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_details_then_drafts_then_issue(page, celery_worker_process):
    # The month the worker issues is its own last closed month (it reads the real date).
    year, month = billing_rules.last_closed_month(clock.today())
    alpha = make_customer(company_name="Alpha Trading K.K.", domain_id=90_200_001)
    beta = make_customer(company_name="Beta Clinic", domain_id=90_200_002)
    make_invoice(year=year, month=month)
    PriceEntry.objects.create(item_id="STD", plan="", cost=450, price=600, effective_from=dt.date(2020, 1, 1))
    make_item(alpha, year=year, month=month, license_count=10, amount=4_500)
    make_item(beta, year=year, month=month, license_count=5, amount=2_250)

    login(page, make_persona(Role.FINANCE))
    assert "Customers without billing details" in page.inner_text("main")
    page.get_by_role("link", name="Customer invoices").first.click()
    page.wait_for_selector('[data-testid="issuer-missing"]')
    assert page.locator('[data-testid="issue-month"]').count() == 0

    page.click('[data-testid="issuer-details"]')
    page.fill("input[name=registered_name]", "Sakura Partner K.K.")
    page.fill("textarea[name=address]", "1-1 Marunouchi, Chiyoda-ku, Tokyo")
    page.check("input[name=corporation]")
    page.fill("input[name=registration_number]", "T1180301018772")
    page.fill(
        "textarea[name=bank_account]", "Sakura Bank, Head Office, Ordinary 1234567, Sakura Partner K.K."
    )
    page.select_option("select[name=payment_terms]", "end_of_next_month")
    page.click('[data-testid="issuer-save"]')
    page.wait_for_selector('[aria-invalid="true"]')
    assert "not a corporate number" in page.inner_text("main")
    screenshot(page, "invoicing-issuer-error-en")
    page.fill("input[name=registration_number]", "T1180301018771")
    page.click('[data-testid="issuer-save"]')
    page.wait_for_selector('[data-testid="drafts"]')
    assert "No billing details" in page.inner_text('[data-testid="drafts"]')

    # Alpha's details from its row; back on the drafts, Alpha is ready and Beta still blocked.
    page.locator(f'tr[data-domain="{alpha.domain_id}"]').get_by_role("link", name="Billing details").click()
    page.fill("input[name=bill_to_name]", "Alpha Trading K.K., Accounting")
    page.fill("textarea[name=bill_to_address]", "2-2 Umeda, Kita-ku, Osaka")
    page.fill("input[name=invoice_email]", "ap@alpha.example")
    page.click('[data-testid="customer-billing-save"]')
    page.wait_for_selector('[data-testid="issue-month"]')
    assert "Issue 1 invoice" in page.inner_text('[data-testid="issue-month"]')
    screenshot(page, "invoicing-drafts-en")

    page.locator(f'tr[data-domain="{alpha.domain_id}"]').get_by_role(
        "link", name="Alpha Trading K.K."
    ).click()
    assert "T1180301018771" in page.inner_text('[data-testid="parties"]')
    assert page.inner_text('[data-testid="draft-total"]') == "¥6,600"
    screenshot(page, "invoicing-draft-en")
    page.go_back()

    page.click('[data-testid="issue-month"]')
    assert "final" in page.inner_text('[data-testid="consequences"]')
    # The confirmation opens with the focus on its button (not a dozen Tabs away, behind the navigation).
    page.wait_for_function("id => document.activeElement.dataset.testid === id", arg="confirm-issue")
    assert IssuedInvoice.objects.count() == 0  # nothing issued before the confirmation
    page.click('[data-testid="confirm-issue"]')
    page.wait_for_selector('text="Issued No. 1"', timeout=60_000)
    assert "1 invoice issued of 1" in page.inner_text('[data-testid="issue-run"]')
    assert page.locator('[data-testid="issue-month"]').count() == 0
    assert IssuedInvoice.objects.get().number == 1
    screenshot(page, "invoicing-issued-en")

    with page.expect_navigation():
        in_japanese(page)
    main = page.inner_text("main")
    assert "顧客への請求書" in main and "発行済み（No. 1）" in main and "請求先の情報がありません" in main
    screenshot(page, "invoicing-issued-ja")
