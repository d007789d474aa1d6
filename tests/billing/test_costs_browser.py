"""In headless Chromium at 1366 px, against the portal filled from the sandbox with an empty price book: Finance
sees the estimate's ¥0 cost and why, opens the month's Costs from LINE WORKS from its findings, ticks one, then
accepts all after the confirmation; the price book and the estimate have them (English), and the page reads in
Japanese."""

from __future__ import annotations

import pytest

from billing.estimate import KEEPER, months_kept
from billing.models import PriceEntry
from billing.rules import INVOICE_DETAILS, INVOICES
from portal.core import clock, kept, sync
from portal.core.access import Role
from portal.core.models import AuditEntry
from tests.fixtures.browser import in_japanese, login, screenshot
from tests.fixtures.personas import make_persona

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.mark.long
def test_finance_sets_up_the_costs_of_the_price_book_without_typing_a_price(
    page, billing_sandbox, closed_month
):
    assert sync.resync_full().status == "succeeded"
    assert (
        sync.resync_partner_wide(name=INVOICES, params={"year": closed_month["year"]}).status == "succeeded"
    )
    assert sync.resync_partner_wide(name=INVOICE_DETAILS, params=closed_month).status == "succeeded"
    _keep_estimates()
    finance = make_persona(Role.FINANCE)
    year, month = closed_month["year"], closed_month["month"]
    page.set_viewport_size({"width": 1366, "height": 900})

    # The empty book: the estimate's cost is nothing, and each item without a price says why.
    login(page, finance, "/billing/?estimate=1")
    why = page.locator('[data-testid="estimate-unpriced"]').first
    assert "not accepted into the price book yet" in why.inner_text()
    screenshot(page, "costs-estimate-empty-en")

    page.goto(f"/billing/{year}/{month}/findings/")
    page.click('[data-testid="costs-link"]')
    page.wait_for_selector('[data-testid="costs"]')
    rows = page.locator('[data-testid="costs"] tbody tr')
    proposed = rows.count()
    assert proposed >= 4 and page.locator('[data-testid="costs"] [data-status="new"]').count() == proposed
    assert "STD" not in page.inner_text("main") and "MONTHLY" not in page.inner_text("main")
    screenshot(page, "costs-proposal-en")

    # One ticked, confirmed: one price.
    rows.first.locator("input[type=checkbox]").check()
    page.click('[data-testid="accept-ticked"]')
    page.wait_for_selector('[data-testid="costs-confirm"]')
    assert page.locator('[data-testid="costs-chosen"] tbody tr').count() == 1
    page.click('[data-testid="confirm-accept"]')
    page.wait_for_selector('[data-testid="costs"]')
    assert PriceEntry.objects.count() == 1
    assert page.locator('[data-testid="costs"] [data-status="same"]').count() == 1

    # The rest, all at once.
    page.click('[data-testid="accept-all"]')
    page.wait_for_selector('[data-testid="costs-confirm"]')
    assert page.locator('[data-testid="costs-chosen"] tbody tr').count() == proposed - 1
    screenshot(page, "costs-confirm-en")
    page.click('[data-testid="confirm-accept"]')
    page.wait_for_selector('[data-testid="costs-all-in-book"]')
    assert "are in the price book" in page.inner_text("body")
    assert PriceEntry.objects.count() == proposed
    assert (
        AuditEntry.objects.filter(operation_id="portal.acceptInvoiceCost", actor=finance).count() == proposed
    )
    screenshot(page, "costs-accepted-en")

    page.click('.page-head a[href="/billing/prices/"]')
    page.wait_for_selector('[data-testid="prices"]')
    assert page.locator('[data-testid="price-not-set"]').count() >= 1
    _keep_estimates()
    page.goto("/billing/?estimate=1")
    costs = page.locator('[data-testid="estimate-cost"]')
    assert costs.count() >= 1 and "¥0" not in [costs.nth(i).inner_text() for i in range(costs.count())]
    screenshot(page, "costs-estimate-priced-en")

    with page.expect_navigation():
        in_japanese(page)
    page.goto(f"/billing/{year}/{month}/costs/")
    page.wait_for_selector('[data-testid="costs"]')
    assert "LINE WORKS の請求書からの仕入単価" in page.inner_text("h1")
    assert "価格にならない明細" in page.inner_text("main")
    screenshot(page, "costs-proposal-ja")
    page.goto("/billing/?estimate=1")
    page.wait_for_selector('[data-testid="estimate-cost"]')
    screenshot(page, "costs-estimate-priced-ja")


def _keep_estimates() -> None:
    """The worker's minute: every month the Invoices page estimates, kept."""
    for year, month in months_kept(clock.today()):
        kept.keep_month(KEEPER.name, year=year, month=month)
