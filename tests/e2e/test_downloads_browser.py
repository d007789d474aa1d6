"""In headless Chromium: Support downloads the searched customer list as an Excel workbook (read back by
openpyxl: the code keeps its leading zeros), asks for Shift_JIS when a name holds a character it cannot, is
shown what would be lost and takes the workbook instead; an Account manager turns the morning digest off and on
from the user menu."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from portal.core.access import Role
from tests.customers.factories import make_customer
from tests.fixtures.browser import login, screenshot
from tests.fixtures.personas import make_persona

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _rows(download) -> list[tuple]:
    assert download.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(Path(download.path()).read_bytes())).worksheets[0]
    return list(sheet.iter_rows(values_only=True))


def test_support_downloads_a_workbook_and_is_told_what_shift_jis_cannot_hold(page):
    make_customer(company_name="株式会社𠮷田商店", customer_code="0042")
    make_customer(company_name="株式会社みなと精機", customer_code="0007")
    make_customer(company_name="Blue Ocean KK", customer_code="0100")
    login(page, make_persona(Role.SUPPORT), "/customers/")
    page.fill("#main input[name=q]", "株式会社")
    page.wait_for_function("() => document.querySelectorAll('#results tbody tr').length === 2")
    # As a person would: once the search's answers have all arrived (a later one swaps the links again).
    page.wait_for_load_state("networkidle")

    with page.expect_download() as download:
        page.click("[data-testid=export-xlsx]")
    rows = _rows(download.value)
    header = rows[0]
    codes = {row[header.index("Company")]: row[header.index("Customer code")] for row in rows[1:]}
    assert codes == {"株式会社𠮷田商店": "0042", "株式会社みなと精機": "0007"}  # the search held, zeros kept

    page.click("[data-testid=export-csv-sjis]")
    page.wait_for_selector("[data-testid=lost-characters]")
    assert page.locator("h1").inner_text() == "Shift_JIS cannot hold some characters"
    cells = page.locator("[data-testid=lost-characters] tbody td").all_inner_texts()
    assert cells[1:] == ["Company", "株式会社𠮷田商店", "𠮷 (U+20BB7)"]
    screenshot(page, "downloads-lost-characters")
    with page.expect_download() as download:
        page.click("[data-testid=lost-workbook]")
    assert "株式会社𠮷田商店" in [row[header.index("Company")] for row in _rows(download.value)[1:]]


def test_an_account_manager_turns_the_morning_digest_off_and_on_from_the_user_menu(page):
    """Off on their Notices page (the user menu), on again from the digest's own page (each e-mail's link)."""
    manager = make_persona(Role.ACCOUNT_MANAGER)
    manager.email = "am@example.com"
    manager.save()
    login(page, manager)
    page.click(".usermenu summary")
    page.click(".usermenu a[href='/notices/']")
    digest = page.locator("[data-kind=digest]")
    assert digest.locator("legend").inner_text() == "Morning digest"
    assert digest.locator("input[value=email]").is_checked()
    digest.locator("input[value=none]").check()
    page.click("[data-testid=notice-choices] button[type=submit]")
    page.goto("/digest/")
    assert page.locator("[data-testid=digest-state]").inner_text() == "The digest is off"
    screenshot(page, "digest-off")
    page.click("[data-testid=digest-on]")
    page.wait_for_selector("[data-testid=digest-off]")
    assert page.locator("[data-testid=digest-state]").inner_text() == "The digest is on"
    page.goto("/notices/")
    assert page.locator("[data-kind=digest] input[value=email]").is_checked()


@pytest.mark.parametrize(
    ("language", "heading", "button"),
    [("en", "No invoice for 2026-09", "Invoices"), ("ja", "2026年9月分の請求書はありません", "請求書")],
)
def test_finance_asking_the_journal_of_a_month_without_an_invoice_is_told_why_and_led_to_the_invoices(
    page, language, heading, button
):
    """No file at all (an empty journal would import as nothing): a page that says there is no invoice yet
    and leads to where it is fetched."""
    finance = make_persona(Role.FINANCE)
    login(page, finance)
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.url}])
    page.goto("/billing/2026/9/journal/")
    assert page.locator("h1").inner_text() == heading
    screenshot(page, f"billing-journal-missing-{language}")
    page.locator("[data-testid=to-invoices]").click()
    page.wait_for_url("**/billing/")
    assert page.locator("[data-testid=to-invoices]").count() == 0
    assert button in page.locator("h1").inner_text()
