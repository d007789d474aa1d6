"""In headless Chromium, against the portal filled from the sandbox: finance opens the invoices, a month's
details, filters to flagged items, marks a finding explained and exports the month (English and Japanese)."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from billing.models import Finding
from billing.rules import INVOICE_DETAILS, INVOICES
from portal.core import sync
from portal.core.access import Role
from portal.core.models import AuditEntry
from tests.billing.factories import make_invoice
from tests.customers.factories import make_customer
from tests.fixtures.browser import in_japanese, login, screenshot
from tests.fixtures.personas import make_persona

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.django_db(transaction=True)]
SCREENS = Path("/work/screens/billing")


def _keep(path: Path, page=None) -> None:
    """With `page`, also the first screen of the page beside the screenshot (what a 1366 px wide window
    shows); a copy of both where the team looks at them (outside the repository), when that place exists."""
    top = path.with_name(f"{path.stem}-top.png")
    if page is not None:
        page.screenshot(path=str(top), full_page=False)
    if SCREENS.parent.exists():
        SCREENS.mkdir(exist_ok=True)
        for kept in (path, top) if page is not None else (path,):
            shutil.copy(kept, SCREENS / kept.name)


@pytest.mark.long
def test_finance_closes_a_month(page, billing_sandbox, closed_month, read_month_usage):
    assert sync.resync_full().status == "succeeded"
    assert (
        sync.resync_partner_wide(name=INVOICES, params={"year": closed_month["year"]}).status == "succeeded"
    )
    assert sync.resync_partner_wide(name=INVOICE_DETAILS, params=closed_month).status == "succeeded"
    read_month_usage()  # the licences sold in the month: its own usage snapshots
    finance = make_persona(Role.FINANCE)
    login(page, finance)
    month = f"{closed_month['year']}-{closed_month['month']}"

    page.click("nav.mainnav a[data-nav=billing]")
    page.wait_for_selector('[data-testid="invoice-chart"]')
    _keep(screenshot(page, "billing-invoices-en"), page)
    assert "JST JST" not in page.inner_text("main")
    page.click(f'tr[data-month="{month}"] [data-testid="details-link"]')
    page.wait_for_selector("#results table.data")
    page.set_viewport_size({"width": 1366, "height": 900})
    _keep(screenshot(page, "billing-details-en"), page)

    all_rows = page.locator("#results tbody tr").count()
    page.check("input[name=flagged]")
    page.wait_for_url("**flagged=on**")
    page.wait_for_function(
        "() => { const rows = document.querySelectorAll('#results tbody tr');"
        " return rows.length > 0 && Array.from(rows).every(r => r.classList.contains('row-flagged')); }"
    )
    flagged_rows = page.locator("#results tbody tr").count()
    assert 2 <= flagged_rows < all_rows

    with page.expect_download() as download:
        page.click('[data-testid="export-csv-sjis"]')
    text = Path(download.value.path()).read_bytes().decode("cp932")
    assert len(text.strip().splitlines()) == 1 + page.locator("#results tbody tr").count()

    flagged_url = page.url
    # Finance keeps the price book: a price from the month's first day shows in the book and in the margins.
    page.goto("/billing/prices/")
    page.select_option("select[name=item_id]", "STD")
    page.fill("input[name=cost]", "450")
    page.fill("input[name=price]", "600")
    page.fill("input[name=effective_from]", f"{closed_month['year']}-{closed_month['month']:02d}-01")
    page.click('[data-testid="price-form"] button[type=submit]')
    page.wait_for_selector('[data-testid="prices"] tbody tr')
    assert "¥450" in page.inner_text('[data-testid="prices"]')
    _keep(screenshot(page, "billing-prices-en"))
    domain_id = Finding.objects.filter(kind=Finding.Kind.LICENCES, **closed_month).get().domain_id
    page.goto(f"/customers/{domain_id}/")
    page.wait_for_selector('[data-testid="usage-chart"]')
    assert page.locator('[data-testid="customer-billing"] .badge-danger').count() >= 1
    page.locator("#section-billing").scroll_into_view_if_needed()
    _keep(screenshot(page, "billing-customer-en"), page)
    page.goto(flagged_url)
    page.wait_for_selector("#results table.data")

    # A flag leads to its customer's findings of the month: the findings list filtered to the customer.
    flag = page.locator("#results [data-testid=flag]").first
    flagged_customer = parse_qs(urlsplit(flag.get_attribute("href")).query)["domain_id"][0]
    flag.click()
    page.wait_for_selector('[data-testid="findings"] tbody tr')
    assert page.input_value("input[name=domain_id]") == flagged_customer
    shown = page.locator('[data-testid="findings"] tbody tr')
    assert {shown.nth(i).get_attribute("data-domain-id") for i in range(shown.count())} == {flagged_customer}
    _keep(screenshot(page, "billing-findings-en"), page)
    # The month's findings to explain, narrowed to a kind in place (htmx), then one explained.
    page.click('form.filters a:has-text("Clear")')
    page.wait_for_selector('[data-testid="findings"] tbody tr')
    page.select_option("select[name=kind]", "licences")
    page.wait_for_function(
        "() => { const rows = document.querySelectorAll('#results tbody tr');"
        " return rows.length === 1 && rows[0].dataset.kind === 'licences'; }"
    )
    page.locator('[data-kind="licences"] [data-testid="explain"]').click()
    page.fill("textarea[name=note]", "3 licences added by the vendor in error; credit requested (ticket 812)")
    _keep(screenshot(page, "billing-explain-en"))
    page.click('[data-testid="explain-submit"]')
    page.wait_for_selector('[data-testid="findings"]')
    assert page.locator('[data-kind="licences"]').count() == 0  # explained: no longer among those to explain
    page.select_option("select[name=status]", "explained")
    page.wait_for_selector('[data-kind="licences"] .badge-ok')
    finding = Finding.objects.get(kind=Finding.Kind.LICENCES, **closed_month)
    assert finding.explained and finding.explained_by == finance
    assert AuditEntry.objects.filter(operation_id="billing.explainFinding", actor=finance).exists()

    # The language switch is one button naming the other language in that language.
    with page.expect_navigation():
        in_japanese(page)
    assert page.locator("html").get_attribute("lang") == "ja"
    assert "確認済み" in page.inner_text('[data-kind="licences"]')
    _keep(screenshot(page, "billing-findings-ja"), page)
    page.goto("/billing/")
    assert "請求書" in page.inner_text("h1")
    _keep(screenshot(page, "billing-invoices-ja"), page)
    assert "（日本時間）（日本時間）" not in page.inner_text("main")
    page.goto(f"/billing/{closed_month['year']}/{closed_month['month']}/")
    _keep(screenshot(page, "billing-details-ja"), page)
    page.goto("/billing/prices/")
    _keep(screenshot(page, "billing-prices-ja"))
    page.goto(f"/customers/{domain_id}/")
    page.wait_for_selector('[data-testid="customer-billing"]')
    page.locator("#section-billing").scroll_into_view_if_needed()
    _keep(screenshot(page, "billing-customer-ja"), page)


def test_the_findings_page_says_what_the_check_could_not_know(page, billing_sandbox, closed_month):
    """Fetched without the month's usage (a full resync reads the running month's), the closed month's billed
    customers could not be checked for licences and periods: the page says how many, in both languages."""
    assert sync.resync_full().status == "succeeded"
    assert sync.resync_partner_wide(name=INVOICE_DETAILS, params=closed_month).status == "succeeded"
    page.set_viewport_size({"width": 1366, "height": 900})
    login(
        page, make_persona(Role.FINANCE), f"/billing/{closed_month['year']}/{closed_month['month']}/findings/"
    )
    note = page.locator('[data-testid="unchecked"]')
    assert "customers billed in the month have no usage of the month" in note.inner_text()
    _keep(screenshot(page, "billing-findings-unchecked-en"), page)
    with page.expect_navigation():
        in_japanese(page)
    assert "ライセンス数と期間を照合できませんでした" in note.inner_text()
    _keep(screenshot(page, "billing-findings-unchecked-ja"), page)


def test_finance_reads_the_estimate_and_sets_it_beside_the_invoice(page, billing_sandbox, closed_month):
    """The Invoices page estimates this month (what LINE WORKS will bill, what the customers are charged) and says
    what it cannot know; its CSV holds every customer; the closed month's estimate stands beside its invoice,
    in English and Japanese."""
    from billing.models import PriceEntry

    assert sync.resync_full().status == "succeeded"
    assert (
        sync.resync_partner_wide(name=INVOICES, params={"year": closed_month["year"]}).status == "succeeded"
    )
    assert sync.resync_partner_wide(name=INVOICE_DETAILS, params=closed_month).status == "succeeded"
    PriceEntry.objects.create(item_id="STD", plan="", cost=450, price=600, effective_from=dt.date(2000, 1, 1))
    finance = make_persona(Role.FINANCE)
    login(page, finance, "/billing/")
    section = page.locator('[data-testid="estimate"]')
    section.wait_for()
    page.set_viewport_size({"width": 1366, "height": 900})
    section.scroll_into_view_if_needed()
    _keep(screenshot(page, "billing-estimate-en"), page)
    assert "What the estimate cannot know" in section.inner_text()
    assert page.locator('[data-testid="estimate-customers"] tbody tr').count() > 0
    with page.expect_download() as download:
        section.locator('[data-testid="estimate-export-csv"]').first.click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("Company,Product or option,Plan")
    assert "No price" in text  # the options the book has no price for

    month = f"{closed_month['year']}-{closed_month['month']}"
    page.click(f'tr[data-month="{month}"] [data-testid="estimate-invoice-link"]')
    page.wait_for_selector('[data-testid="estimate-totals"]')
    assert page.locator('[data-testid="estimate-against"] tbody tr').count() > 0
    _keep(screenshot(page, "billing-estimate-invoice-en"), page)

    with page.expect_navigation():
        in_japanese(page)
    assert "見込みと請求書の比較" in page.inner_text("h1")
    _keep(screenshot(page, "billing-estimate-invoice-ja"), page)
    page.goto("/billing/")
    assert "見込みで分からないこと" in page.inner_text('[data-testid="estimate"]')
    _keep(screenshot(page, "billing-estimate-ja"), page)


def test_finance_pages_searches_and_narrows_the_months_findings(page):
    """The month's findings in the browser, a list like every other: a page at a time (the pager swaps the list
    in place and the address follows), searched as one types, narrowed to those explained; in Japanese too."""
    month = {"year": 2025, "month": 10}
    make_invoice(**month)
    for n in range(30):
        customer = make_customer(company_name="Sakura Trading K.K." if n == 7 else f"Customer {n:02d} K.K.")
        Finding.objects.create(
            **month,
            domain_id=customer.domain_id,
            customer_name=customer.company_name,
            kind=Finding.Kind.LICENCES,
            subject="1",
            expected="12",
            billed="10",
            checked_at=timezone.now(),
        )
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, make_persona(Role.FINANCE), "/billing/2025/10/findings/?per_page=25")
    rows = page.locator('[data-testid="findings"] tbody tr')
    assert rows.count() == 25 and "30 findings" in page.inner_text('[data-testid="result-count"]')
    page.click('[data-focus-id="page-next"]')
    page.wait_for_function("() => document.querySelectorAll('#results tbody tr').length === 5")
    assert "page=2" in page.url
    assert "Customer 26 K.K." in rows.first.inner_text()  # by name: the 26th customer named so, then Sakura
    _keep(screenshot(page, "billing-findings-page-2-en"), page)
    page.fill("form.filters input[name=q]", "sakura")
    page.wait_for_function("() => document.querySelectorAll('#results tbody tr').length === 1")
    assert "Sakura Trading K.K." in rows.first.inner_text()
    page.select_option("select[name=status]", "explained")
    page.wait_for_selector('[data-testid="findings"] .empty-state')
    assert "status=explained" in page.url
    page.select_option("select[name=status]", "")
    page.wait_for_selector('[data-testid="findings"] tbody tr')
    # The language switch keeps the filters chosen through htmx since the page was loaded (the address it shows).
    with page.expect_navigation():
        in_japanese(page)
    assert "1 件の差異" in page.inner_text('[data-testid="result-count"]')
    assert "未確認" in page.inner_text("select[name=status]")
    _keep(screenshot(page, "billing-findings-searched-ja"), page)
