"""In headless Chromium at 1366 px: Finance finds an issued invoice in the search (by customer), opens it, issues
a credit note of part of it (checked first), follows the links between the two, then, in Japanese, searches
again and replaces the invoice with a corrected one after the price book was put right."""

from __future__ import annotations

import datetime as dt

import pytest

from billing.models import PriceEntry
from invoicing import services
from invoicing.models import IssuedInvoice
from portal.core.access import Role
from tests.fixtures.browser import in_japanese, login, screenshot
from tests.fixtures.personas import make_persona
from tests.invoicing.conftest import M

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_search_credit_note_and_corrected_invoice(page, month):
    finance = make_persona(Role.FINANCE)
    run = services.month_issue_request(user=finance, **M)
    services.month_issue(run_id=run.pk)
    page.set_viewport_size({"width": 1366, "height": 860})

    login(page, finance, "/invoicing/2026/10/")
    page.click('[data-testid="issued-search"]')
    page.fill("#main input[name=q]", "Alpha")
    page.wait_for_selector('[data-testid="result-count"]:has-text("1 document")')
    page.fill("input[name=total_min]", "7000")
    page.press("input[name=total_min]", "Enter")
    # The first search's results hold the same row: the click waits until the second search has answered (its
    # address is in the bar), so that its answer can neither swap the row out nor interrupt the page the click opens.
    page.wait_for_url("**total_min=7000**")
    page.wait_for_selector('tr[data-number="1"]')
    screenshot(page, "invoicing-search-en")

    page.locator('tr[data-number="1"]').get_by_role("link", name="1", exact=True).click()
    assert "¥7,621" in page.inner_text('[data-testid="total"]')
    screenshot(page, "invoicing-issued-en")
    page.click('[data-testid="credit-note"]')
    page.fill("input[name=line_0]", "1000")
    page.fill("input[name=line_1]", "0")
    page.fill("textarea[name=customer_note]", "Discount for licences not used in October")
    page.fill("input[name=reason]", "Discount agreed: ticket #4711")
    screenshot(page, "invoicing-credit-note-form-en")
    page.click('[data-testid="review"]')
    assert "-¥1,100" in page.inner_text('[data-testid="preview-total"]')
    assert "not used in October" in page.inner_text('[data-testid="customer-note"]')
    assert "final" in page.inner_text('[data-testid="consequences"]')
    assert IssuedInvoice.objects.count() == 1  # nothing issued before the confirmation
    screenshot(page, "invoicing-credit-note-check-en")
    page.click('[data-testid="confirm"]')
    page.wait_for_selector('h1:has-text("Credit note No. 2")')
    page.locator('[data-testid="original"]').get_by_role("link").click()
    page.wait_for_selector('[data-testid="corrections"]')
    assert "Credit note No. 2" in page.inner_text('[data-testid="corrections"]')

    with page.expect_navigation():
        in_japanese(page)
    screenshot(page, "invoicing-issued-ja")
    PriceEntry.objects.create(
        item_id="STD", plan="", cost=450, price=700, effective_from=dt.date(2026, 10, 1)
    )
    page.click('[data-testid="correct"]')
    assert "8,892円" in page.inner_text('[data-testid="corrected-total"]')
    screenshot(page, "invoicing-correct-ja")
    # Issuing a corrected invoice renders two PDFs (its credit note and itself) before the page answers.
    page.click('[data-testid="confirm"]', timeout=60_000)
    page.wait_for_selector('h1:has-text("訂正請求書 No. 4")')
    assert sorted(IssuedInvoice.objects.values_list("number", flat=True)) == [1, 2, 3, 4]

    page.goto("/invoicing/issued/")
    page.wait_for_selector('tr[data-number="4"]')
    main = page.inner_text("main")
    assert "発行済みの請求書" in main and "返還請求書" in main and "訂正請求書" in main
    screenshot(page, "invoicing-search-ja")
    # At 200 % zoom (683 CSS px) the page does not scroll sideways (the table scrolls in its own box).
    page.set_viewport_size({"width": 683, "height": 860})
    assert page.evaluate("document.documentElement.scrollWidth") <= 683
    page.goto("/invoicing/issued/1/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 683


def test_a_price_changed_on_a_draft(page, month):
    page.set_viewport_size({"width": 1366, "height": 860})
    login(page, make_persona(Role.FINANCE), f"/invoicing/2026/10/{month['alpha'].domain_id}/")
    page.click('[data-testid="draft-prices"]')
    page.fill("input[name=price_0]", "500.5")
    page.click('[data-testid="prices-save"]')
    page.wait_for_selector('[aria-invalid="true"]')
    screenshot(page, "invoicing-draft-prices-error-en")
    page.fill("input[name=price_0]", "500")
    page.click('[data-testid="prices-save"]')
    page.wait_for_selector('[data-testid="price-changed"]')
    assert "Changed from ¥600 (price book)" in page.inner_text('[data-testid="lines"]')
    assert page.inner_text('[data-testid="draft-total"]') == "¥6,351"
    screenshot(page, "invoicing-draft-price-changed-en")
    with page.expect_navigation():
        in_japanese(page)
    page.click('[data-testid="draft-prices"]')
    assert "価格表：月額 600 円" in page.inner_text("main")
    screenshot(page, "invoicing-draft-prices-ja")
