"""In headless Chromium: Finance goes from Customer invoices to Bank statements, imports the bank's Zengin file,
reads the proposals with their reasons, confirms the certain ones in one click, matches one by hand and explains
the bank fee; the statement is then closed, every payment matched or explained, and reads the same in Japanese.
Every page state passes axe and the Content-Security-Policy (the `page` fixture)."""

from __future__ import annotations

import datetime as dt

import pytest

from invoicing.models import BankLine, InvoicePayment
from portal.core.access import Role
from tests.fixtures.browser import in_japanese, login, screenshot
from tests.fixtures.personas import make_persona
from tests.invoicing.bank_files import zengin_file
from tests.invoicing.bank_seed import customer, invoice

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

DAY = dt.date(2026, 11, 25)


def test_finance_imports_the_bank_statement_and_closes_it(page, issuer, tmp_path):
    customer(90_100_001, "株式会社ヤマダ商事", transfer_name="ヤマダシヨウジ")
    customer(90_100_002, "タナカ株式会社")
    invoice(1001, 90_100_001, 22_000, name="ヤマダ商事")
    invoice(1002, 90_100_002, 11_000, name="タナカ")
    invoice(1003, 90_100_001, 11_000, month=9, name="ヤマダ商事")
    file = tmp_path / "nyushukkin.txt"
    file.write_bytes(
        zengin_file(
            [
                {"day": DAY, "amount": 22_000, "payer": "ｶ)ﾔﾏﾀﾞｼｮｳｼﾞ"},
                {"day": DAY, "amount": 11_000, "payer": "ﾀﾅｶ(ｶ", "memo": "1002"},
                {"day": DAY, "amount": 11_000, "payer": "ﾔﾏﾀﾞ ﾀﾛｳ"},
                {"day": DAY, "amount": 440, "payer": "ﾃｽｳﾘﾖｳ"},
                {"day": DAY, "amount": 3_000, "payer": "ATM", "credit": False},
            ]
        )
    )
    login(page, make_persona(Role.FINANCE), "/invoicing/")
    page.click('[data-testid="bank-statements"]')
    page.set_input_files("input[name=file]", str(file))
    page.click('[data-testid="bank-import"]')
    lines = page.inner_text('[data-testid="bank-lines"]')
    assert "Payer's name and amount · Certain" in lines
    assert "Invoice number and amount · Certain" in lines
    assert "Amount only: 2 candidates" in lines
    assert "1 payment out is left out." in page.inner_text("main")
    screenshot(page, "invoicing-bank-statement-en")

    page.click('[data-testid="bank-confirm-certain"]')
    assert "2 payments recorded." in page.inner_text("body")
    # The private person's transfer: Finance knows it pays No. 1003 and types it.
    row = page.locator('[data-testid="bank-line"]', has_text="ﾔﾏﾀﾞ ﾀﾛｳ")
    row.locator("input[name=number]").fill("1003")
    row.locator('[data-testid="bank-confirm"]').click()
    assert "The payment is recorded on invoice No. 1003." in page.inner_text("body")
    fee = page.locator('[data-testid="bank-line"]', has_text="ﾃｽｳﾘﾖｳ")
    fee.locator("summary").click()
    fee.locator("select[name=explanation]").select_option("bank_fee")
    fee.locator("input[name=note]").fill("振込手数料")
    fee.locator('[data-testid="bank-explain"]').click()
    assert "Every payment of this statement is matched or explained." in page.inner_text("main")
    assert page.inner_text('[data-testid="bank-open"]').strip() == "0"
    assert sorted(InvoicePayment.objects.values_list("invoice__number", flat=True)) == [1001, 1002, 1003]
    assert not BankLine.objects.filter(state="open").exists()

    with page.expect_navigation():
        in_japanese(page)
    assert "この明細の入金はすべて消込済みか、説明済みです。" in page.inner_text("main")
    page.click('a[href="?state=matched"]')
    assert "消込済み：22,000円を記録" in page.inner_text('[data-testid="bank-lines"]')
    screenshot(page, "invoicing-bank-statement-ja")

    # A bank whose statement is a CSV: its layout kept once, then offered at import.
    page.click('a[href="/invoicing/bank/"]')
    page.click('[data-testid="bank-mappings"]')
    form = page.locator('[data-testid="bank-mapping-form"]')
    form.locator("input[name=name]").fill("みずほ銀行")
    form.locator("input[name=date_column]").fill("1")
    form.locator("input[name=credit_column]").fill("2")
    form.locator("input[name=payer_column]").fill("4")
    form.locator("input[name=memo_columns]").fill("5")
    page.click('[data-testid="bank-mapping-save"]')
    assert "みずほ銀行" in page.inner_text('[data-testid="bank-mappings"]')
    screenshot(page, "invoicing-bank-mappings-ja")
