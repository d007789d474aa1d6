"""In headless Chromium: Finance enters a customer's direct debit account on its billing details' page (full-width
kana made half-width), goes from Customer invoices to Direct debit, chooses the debit date, makes the request of
the two open invoices, downloads its file (the SHA-256 the page shows), imports the bank's result with one debit
collected and one refused, and sees the payment recorded and the refusal in words; the run reads the same in
Japanese. Every page state passes axe and the Content-Security-Policy (the `page` fixture)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest

from invoicing.models import DebitAccount, DebitRun, InvoicePayment, OpenInvoice
from invoicing.services import debit as debit_writes
from portal.core.access import Role
from tests.customers.factories import make_customer
from tests.fixtures.browser import in_japanese, login, screenshot
from tests.fixtures.personas import make_persona
from tests.fixtures.portal_api import pin_business_today
from tests.invoicing.bank_seed import customer, invoice
from tests.invoicing.debit_files import collector_on, result_file

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TODAY = dt.date(2026, 11, 27)


def test_finance_collects_two_invoices_by_direct_debit(page, issuer, settings, monkeypatch, tmp_path):
    pin_business_today(monkeypatch, TODAY)
    collector_on(settings)
    make_customer(company_name="Yamada K.K.", domain_id=90_100_001)
    make_customer(company_name="Tanaka K.K.", domain_id=90_100_002)
    customer(90_100_001, "株式会社ヤマダ商事")
    customer(90_100_002, "タナカ株式会社")
    invoice(1001, 90_100_001, 22_000, name="ヤマダ商事")
    invoice(1002, 90_100_002, 11_000, name="タナカ")
    finance = make_persona(Role.FINANCE)
    debit_writes.debit_account_set(
        actor=finance,
        domain_id=90_100_002,
        bank_code="0009",
        branch_code="456",
        deposit_kind="2",
        account_number="2222222",
        holder="ﾀﾅｶ(ｶ",
        customer_number="",
        new=False,
        active=True,
    )

    login(page, finance, "/invoicing/customers/90100001/")
    form = page.locator('[data-testid="debit-account-form"]')
    form.locator("[name=debit-bank_code]").fill("0005")
    form.locator("[name=debit-branch_code]").fill("123")
    form.locator("[name=debit-account_number]").fill("1111111")
    form.locator("[name=debit-holder]").fill("ヤマダショウジ（カ")
    form.locator('[data-testid="debit-account-save"]').click()
    assert "The direct debit account of Yamada K.K. is saved." in page.inner_text("body")
    assert DebitAccount.objects.get(customer_id=90_100_001).holder == "ﾔﾏﾀﾞｼﾖｳｼﾞ(ｶ"
    screenshot(page, "invoicing-debit-account-en")

    page.goto(page.url.split("/invoicing/")[0] + "/invoicing/")
    page.click('[data-testid="direct-debit"]')
    page.fill("input[name=debit_date]", "2026-12-05")
    page.click('[data-testid="debit-show"]')
    assert "the next day they are open is 2026-12-07" in page.inner_text("main")
    page.fill("input[name=debit_date]", "2026-12-07")
    page.click('[data-testid="debit-show"]')
    table = page.inner_text('[data-testid="debit-collectable"]')
    assert "ヤマダ商事" in table and "タナカ" in table and "First debit" in table
    screenshot(page, "invoicing-debit-collectable-en")
    page.click('[data-testid="debit-make"]')
    assert "The request of 2 debits (¥33,000) is made" in page.inner_text("body")
    shown = page.inner_text('[data-testid="debit-sha"]').strip()
    with page.expect_download() as download:
        page.click('[data-testid="debit-download"]')
    data = Path(download.value.path()).read_bytes()
    assert hashlib.sha256(data).hexdigest() == shown == DebitRun.objects.get().request_sha256

    answer = tmp_path / "kekka.txt"
    answer.write_bytes(result_file(data, ["0", "1"]))
    page.set_input_files("input[name=file]", str(answer))
    page.click('[data-testid="debit-import"]')
    assert "The bank's result is imported" in page.inner_text("body")
    results = page.inner_text('[data-testid="debit-items"]')
    assert "Collected: ¥22,000 recorded" in results
    assert "Not enough funds: the invoice stays owed" in results
    assert list(InvoicePayment.objects.values_list("invoice__number", "amount")) == [(1001, 22_000)]
    assert list(OpenInvoice.objects.values_list("number", flat=True)) == [1002]
    screenshot(page, "invoicing-debit-run-en")

    with page.expect_navigation():
        in_japanese(page)
    results = page.inner_text('[data-testid="debit-items"]')
    assert "振替済み：22,000円を記録" in results
    assert "資金不足：請求書は未入金のままです" in results
    screenshot(page, "invoicing-debit-run-ja")


def test_finance_reopens_an_explained_bank_line_after_confirming(page):
    """The bank fee explained by mistake (it was a customer's payment): its statement's page reopens it, behind a
    confirmation that says what it does, and it is to match again."""
    from invoicing.models import BankLine
    from invoicing.services import bank as bank_writes
    from tests.invoicing.bank_files import zengin_file

    admin = make_persona(Role.ADMIN)
    statement = bank_writes.bank_statement_import(
        actor=admin, data=zengin_file([{"day": TODAY, "amount": 440, "payer": "ﾔﾏﾀﾞ ﾀﾛｳ"}]), file_name="s.txt"
    )
    line = statement.lines.get()
    bank_writes.bank_line_explain(actor=admin, line_id=line.pk, explanation="bank_fee")
    login(page, make_persona(Role.FINANCE), f"/invoicing/bank/{statement.pk}/?state=explained")
    row = page.locator('[data-testid="bank-line"]', has_text="ﾔﾏﾀﾞ ﾀﾛｳ")
    row.locator('[data-testid="bank-reopen"] summary').click()
    assert "Take back the explanation: the payment is to match again." in row.inner_text()
    screenshot(page, "invoicing-bank-reopen-en")
    row.locator('[data-testid="bank-reopen-yes"]').click()
    assert "The line is to match again." in page.inner_text("body")
    assert BankLine.objects.get().state == BankLine.State.OPEN
