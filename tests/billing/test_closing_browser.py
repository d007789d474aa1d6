"""In headless Chromium: Finance closes a month and finds it read-only; an Admin reopens it with a reason on its
confirmation page, and the month's page shows the reopening (English, then the Japanese of the same page)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from billing.models import Finding, MonthClosing
from portal.core.access import Role
from portal.core.models import AuditEntry
from tests.billing.factories import make_invoice, make_item
from tests.customers.factories import make_customer
from tests.fixtures.browser import in_japanese, login, screenshot
from tests.fixtures.personas import make_persona

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
#: A month long over whatever day the test runs.
MONTH = {"year": 2025, "month": 10}


def test_close_see_read_only_reopen_with_a_reason(page):
    make_invoice(**MONTH)
    make_item(**MONTH)
    make_customer(company_name="Blue Harbor Clinic", domain="blueharbor.example")
    make_customer(company_name="Green Field K.K.", domain="greenfield.example")
    finding = Finding.objects.create(
        **MONTH,
        domain_id=10_000_001,
        customer_name="Example K.K.",
        kind=Finding.Kind.LICENCES,
        subject="1",
        expected="12",
        billed="10",
        checked_at=timezone.now(),
    )
    findings_url = f"/billing/{MONTH['year']}/{MONTH['month']}/findings/"
    login(page, make_persona(Role.FINANCE), findings_url)
    page.click('[data-testid="close-month"]')
    page.wait_for_selector('[data-testid="month-closed"]')
    assert page.locator('[data-testid="explain"]').count() == 0
    assert page.locator('[data-testid="run-check"]').count() == 0
    assert page.locator('[data-testid="reopen-month"]').count() == 0  # Finance does not reopen
    screenshot(page, "billing-month-closed-en")
    # The price book picks the customer by name from what was typed; a price in force in the closed month is
    # refused in words.
    page.goto("/billing/prices/")
    page.select_option("select[name=item_id]", "STD")
    page.locator("input[name=customer]").press_sequentially("harb", delay=30)
    page.wait_for_function(
        "() => document.querySelectorAll('#price-customers option').length === 1"
        " && document.querySelector('#price-customers option').value.startsWith('Blue Harbor Clinic')"
    )
    page.fill("input[name=customer]", page.locator("#price-customers option").get_attribute("value"))
    page.fill("input[name=cost]", "450")
    page.fill("input[name=price]", "600")
    page.fill("input[name=effective_from]", f"{MONTH['year']}-{MONTH['month']:02d}-15")
    page.click('[data-testid="price-form"] button[type=submit]')
    page.wait_for_selector('[aria-invalid="true"], .errorlist, [role=alert]')
    assert "which Finance has closed" in page.inner_text("main")
    page.fill("input[name=effective_from]", f"{MONTH['year'] + 1}-01-01")
    page.click('[data-testid="price-form"] button[type=submit]')
    page.wait_for_selector('[data-testid="prices"] tbody tr')
    assert "Blue Harbor Clinic" in page.inner_text('[data-testid="prices"]')
    screenshot(page, "billing-prices-picked-en")
    # Typed by hand, the explanation's address refuses in words.
    page.goto(f"/billing/findings/{finding.pk}/explain/")
    assert "is closed" in page.inner_text('[data-testid="refusal"]')
    assert page.locator('[data-testid="explain-submit"]').count() == 0

    page.context.clear_cookies()  # signed out: the Admin signs in on the same browser
    login(page, make_persona(Role.ADMIN), findings_url)
    page.click('[data-testid="reopen-month"]')
    page.wait_for_selector('[data-testid="consequences"]')
    assert MonthClosing.objects.get().reopened_at is None  # nothing changes before the confirmation
    page.fill("textarea[name=reason]", "Credit note 4711 from the vendor for two licences")
    screenshot(page, "billing-month-reopen-en")
    page.click('[data-testid="confirm-reopen"]')
    page.wait_for_selector('[data-testid="reopened"]')
    assert "Credit note 4711" in page.inner_text('[data-testid="closing-history"]')
    assert page.locator('[data-testid="month-closed"]').count() == 0
    assert page.locator('[data-testid="explain"]').count() == 1  # open again
    screenshot(page, "billing-month-reopened-en")
    with page.expect_navigation():
        in_japanese(page)
    assert "締めを解除" in page.inner_text('[data-testid="closing-history"]')
    screenshot(page, "billing-month-reopened-ja")
    assert (
        AuditEntry.objects.filter(operation_id="portal.reopenBillingMonth")
        .get()
        .reason.startswith("Credit note 4711")
    )
