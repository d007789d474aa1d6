"""In headless Chromium: Finance opens a customer's statement of account from its billing details, reads the
twelve months to today, narrows the period to two months (the balance brought forward and at the end change with
it), downloads the PDF and the workbook, and reads the page in Japanese."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from invoicing.models import CustomerBilling, DocumentKind, IssuerDetails
from portal.core.access import Role
from tests.customers.factories import make_customer
from tests.fixtures.browser import in_japanese, login, screenshot
from tests.fixtures.personas import make_persona
from tests.invoicing.test_statements import ALPHA, _document, _paid

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_statement_of_account_over_a_period_as_a_page_a_pdf_and_a_workbook(page):
    make_customer(company_name="Alpha K.K.", domain_id=ALPHA)
    IssuerDetails.objects.create(
        pk=1,
        registered_name="Sakura Partner K.K.",
        address="1-1 Marunouchi, Chiyoda-ku, Tokyo",
        registration_number="T1180301018771",
        bank_account="Sakura Bank, Head Office, Ordinary 1234567",
    )
    CustomerBilling.objects.create(
        domain_id=ALPHA, bill_to_name="Alpha K.K.", bill_to_address="Osaka", language="en"
    )
    august = _document(101, dt.date(2026, 8, 1), 11_000)
    _paid(august, 5_000, dt.date(2026, 8, 20))
    september = _document(102, dt.date(2026, 9, 1), 22_000)
    _document(103, dt.date(2026, 9, 10), -2_200, kind=DocumentKind.CREDIT_NOTE, original=september)
    _paid(september, 10_000, dt.date(2026, 9, 30))
    _document(104, dt.date(2026, 10, 1), 5_500)

    page.set_viewport_size({"width": 1366, "height": 860})
    login(page, make_persona(Role.FINANCE), f"/invoicing/customers/{ALPHA}/")
    page.click('[data-testid="customer-statement"]')
    table = page.locator('[data-testid="statement"]')
    table.wait_for()
    assert "¥21,300" in page.inner_text('[data-testid="statement-closing"]')  # nothing owed before a year ago
    page.fill("input[name=start]", "2026-09-01")
    page.fill("input[name=end]", "2026-10-31")
    page.click('[data-testid="statement-show"]')
    page.get_by_role("heading", name="From 2026-09-01 until 2026-10-31").wait_for()
    assert "¥6,000" in page.inner_text('[data-testid="statement-opening"]')
    assert "¥21,300" in page.inner_text('[data-testid="statement-closing"]')
    assert "Credit note" in table.inner_text() and "for No. 102" in table.inner_text()
    screenshot(page, "invoicing-statement-en")

    with page.expect_download() as pdf:
        page.click('[data-testid="statement-pdf"]')
    assert pdf.value.suggested_filename == f"statement-{ALPHA}-20260901-20261031.pdf"
    assert pdf.value.path().read_bytes().startswith(b"%PDF-")
    with page.expect_download() as workbook:
        page.click('[data-testid="statement-xlsx"]')
    sheet = load_workbook(io.BytesIO(workbook.value.path().read_bytes())).worksheets[0]
    assert [row[-1] for row in sheet.iter_rows(values_only=True)][1:] == [
        6_000,
        28_000,
        25_800,
        15_800,
        21_300,
        21_300,
    ]

    with page.expect_navigation():
        in_japanese(page)
    assert "前期繰越残高" in page.inner_text('[data-testid="statement"]')
    assert "21,300円" in page.inner_text('[data-testid="statement-closing"]')
    screenshot(page, "invoicing-statement-ja")
