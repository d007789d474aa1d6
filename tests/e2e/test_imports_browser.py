"""In headless Chromium: Finance downloads the customers' billing details as a workbook, fills two customers in
with openpyxl (as a spreadsheet program would), uploads it, reads the dry run row by row and applies it; then
the price book, in Japanese, from its Shift_JIS CSV: a refused row first, then the file corrected and applied."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest

from billing.models import PriceEntry
from invoicing.models import CustomerBilling
from portal.core.access import Role
from portal.core.models import AuditEntry
from tests.customers.factories import make_customer
from tests.fixtures.browser import login, screenshot
from tests.fixtures.personas import make_persona

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_finance_sets_up_billing_details_from_a_workbook(page, tmp_path):
    for number, name in enumerate(("Alpha K.K.", "ベータ株式会社", "Gamma K.K."), start=1):
        make_customer(company_name=name, domain_id=90_500_000 + number)
    CustomerBilling.objects.create(domain_id=90_500_003, bill_to_name="Gamma", bill_to_address="Kyoto")
    finance = make_persona(Role.FINANCE)
    page.set_viewport_size({"width": 1366, "height": 900})
    login(page, finance, "/invoicing/customers/import/")
    page.wait_for_selector('[data-testid="import-form"]')
    with page.expect_download() as download:
        page.click('[data-testid="import-download-xlsx"]')
    book = openpyxl.load_workbook(io.BytesIO(download.value.path().read_bytes()))
    for cells in book.worksheets[0].iter_rows(min_row=2):
        if cells[0].value in (90_500_001, 90_500_002):
            cells[4].value, cells[5].value = f"{cells[1].value} 御中", "東京都千代田区1-1"
            cells[6].value = f"ap{cells[0].value}@example.com"
    edited = tmp_path / "billing-details.xlsx"
    book.save(edited)
    screenshot(page, "import-upload-en")

    page.set_input_files('input[name="file"]', str(edited))
    page.click('[data-testid="dry-run-button"]')
    page.wait_for_selector('[data-testid="dry-run"]')
    rows = page.locator('[data-testid="dry-run-rows"] tbody tr')
    assert rows.count() == 2
    assert [rows.nth(i).get_attribute("data-status") for i in range(2)] == ["added", "added"]
    assert "ap90500001@example.com" in rows.first.inner_text()
    assert "1 unchanged" in page.inner_text('[data-testid="dry-run-counts"]')
    assert not CustomerBilling.objects.filter(domain_id=90_500_001).exists()
    screenshot(page, "import-dry-run-en")

    page.click('[data-testid="apply"]')
    page.wait_for_load_state()
    assert "The file is applied: 2 rows changed (2 new)" in page.inner_text("body")
    assert CustomerBilling.objects.get(domain_id=90_500_002).bill_to_name == "ベータ株式会社 御中"
    assert AuditEntry.objects.filter(operation_id="portal.importBillingDetails", actor=finance).count() == 1


def test_finance_adds_prices_from_the_shift_jis_file_in_japanese(page, tmp_path):
    PriceEntry.objects.create(item_id="STD", plan="", cost=450, price=600, effective_from=dt.date(2026, 1, 1))
    finance = make_persona(Role.FINANCE)
    login(page, finance, "/billing/prices/")
    page.context.add_cookies([{"name": "django_language", "value": "ja", "url": page.url}])
    page.goto("/billing/prices/")
    page.click('[data-testid="prices-import"]')
    page.wait_for_selector('[data-testid="import-form"]')
    with page.expect_download() as download:
        page.click('[data-testid="import-download-csv-sjis"]')
    rows = list(csv.reader(io.StringIO(download.value.path().read_bytes().decode("cp932"), newline="")))
    assert rows[0][0] == "商品・オプション"
    rows[1][10] = "700"  # a price in force: never rewritten
    rows.append(["", "ADV", "", "", "", "", "", "", "2027/1/1", "800", "1,100"])
    edited = tmp_path / "prices.csv"
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    edited.write_bytes(out.getvalue().encode("cp932"))

    page.set_input_files('input[name="file"]', str(edited))
    page.click('[data-testid="dry-run-button"]')
    page.wait_for_selector('[data-testid="refused-note"]')
    assert "2行目" in page.inner_text('[data-testid="dry-run-rows"]')
    assert page.locator('[data-testid="apply"]').count() == 0
    screenshot(page, "import-refused-ja")

    rows[1][10] = "600"
    out = io.StringIO(newline="")
    csv.writer(out).writerows(rows)
    edited.write_bytes(out.getvalue().encode("cp932"))
    page.click('[data-testid="upload-again"]')
    page.set_input_files('input[name="file"]', str(edited))
    page.click('[data-testid="dry-run-button"]')
    page.wait_for_selector('[data-testid="apply"]')
    assert page.locator('[data-testid="dry-run-rows"] [data-status="added"]').count() == 1
    page.click('[data-testid="apply"]')
    page.wait_for_selector('[data-testid="prices"]')
    assert PriceEntry.objects.filter(item_id="ADV", price=1100, effective_from=dt.date(2027, 1, 1)).exists()
