"""In headless Chromium: Finance opens the month's issued invoices from its drafts, sees which customer has no
e-mail address, sends one invoice (its state turns to Sent), reads the confirmation of sending the rest, records
a part payment on an invoice's page (a too-large amount refused first), then reads both pages in Japanese."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from billing import rules as billing_rules
from billing.models import PriceEntry
from invoicing import services
from invoicing.models import CustomerBilling, IssuedInvoice, IssuerDetails, IssueRun
from invoicing.services import issuing
from portal.core import clock
from portal.core.access import Role
from tests.billing.factories import make_invoice, make_item
from tests.customers.factories import make_customer
from tests.fixtures.browser import in_japanese, login, screenshot
from tests.fixtures.personas import make_persona

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ALPHA, BETA = 90_300_001, 90_300_002


def issued_month(*, with_beta: bool) -> tuple[int, int, dict[int, int], object]:
    """Last closed month issued by Finance: Alpha Trading (English, an e-mail for invoices) and, `with_beta`,
    Beta Clinic (Japanese, no e-mail). (year, month, invoice number by domainId, the Finance user)."""
    year, month = billing_rules.last_closed_month(clock.today())
    make_invoice(year=year, month=month)
    PriceEntry.objects.create(item_id="STD", plan="", cost=450, price=600, effective_from=dt.date(2020, 1, 1))
    IssuerDetails.objects.create(
        pk=1,
        registered_name="Sakura Partner K.K.",
        address="1-1 Marunouchi, Chiyoda-ku, Tokyo",
        registration_number="T1180301018771",
        bank_account="Sakura Bank, Head Office, Ordinary 1234567",
    )
    alpha = make_customer(company_name="Alpha Trading K.K.", domain_id=ALPHA)
    make_item(alpha, year=year, month=month, license_count=10, amount=4_500)
    CustomerBilling.objects.create(
        domain_id=alpha.domain_id,
        bill_to_name="Alpha Trading K.K., Accounting",
        bill_to_address="2-2 Umeda, Kita-ku, Osaka",
        invoice_email="ap@alpha.example",
        language="en",
    )
    if with_beta:
        beta = make_customer(company_name="Beta Clinic", domain_id=BETA)
        make_item(beta, year=year, month=month, license_count=5, amount=2_250)
        CustomerBilling.objects.create(
            domain_id=beta.domain_id,
            bill_to_name="ベータクリニック",
            bill_to_address="神戸市中央区1-1",
            language="ja",
        )
    finance = make_persona(Role.FINANCE)
    run = services.month_issue_request(user=finance, year=year, month=month)
    services.month_issue(run_id=run.pk)
    return year, month, {i.domain_id: i.number for i in IssuedInvoice.objects.all()}, finance


def test_send_then_record_a_payment(page):
    year, month, numbers, finance = issued_month(with_beta=True)

    page.set_viewport_size({"width": 1366, "height": 860})
    login(page, finance, f"/invoicing/{year}/{month}/")
    page.click('[data-testid="issued-month"]')
    page.wait_for_selector('[data-testid="issued"]')
    assert "1 customer has no e-mail address" in page.inner_text('[data-testid="without-email"]')
    beta_row = page.locator(f'tr[data-number="{numbers[BETA]}"]')
    assert "No e-mail address" in beta_row.inner_text()
    page.click('[data-testid="send-month"]')
    assert "1 invoice is sent by e-mail" in page.inner_text('[data-testid="consequences"]')
    # The confirmation opens with the focus on its button (not a dozen Tabs away, behind the navigation).
    page.wait_for_function("id => document.activeElement.dataset.testid === id", arg="confirm-send")
    assert "cannot be called back" in page.inner_text('[data-testid="consequences"]')
    screenshot(page, "invoicing-send-confirm-en")
    page.get_by_role("link", name="Back").click()
    page.wait_for_selector('[data-testid="issued"]')
    assert not mail.outbox, "nothing is sent before the confirmation"
    page.click(f'[data-testid="send-{numbers[ALPHA]}"]')
    alpha_row = page.locator(f'tr[data-number="{numbers[ALPHA]}"]')
    alpha_row.get_by_text("Sent", exact=True).wait_for()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ap@alpha.example"]
    assert page.locator('[data-testid="send-month"]').count() == 0  # nothing left that can be sent
    screenshot(page, "invoicing-issued-month-en")

    alpha_row.get_by_role("link", name=f"No. {numbers[ALPHA]}").click()
    page.wait_for_selector('[data-testid="payment-form"]')
    page.fill("input[name=amount]", "999999")
    page.fill("input[name=paid_on]", clock.today().isoformat())
    page.click('[data-testid="payment-save"]')
    page.wait_for_selector('[aria-invalid="true"]')
    assert "more than the invoice still owes" in page.inner_text("main")
    page.fill("input[name=amount]", "3000")
    page.click('[data-testid="payment-save"]')
    page.get_by_text("The payment is recorded.").wait_for()
    assert "Partly paid" in page.inner_text('[data-testid="amounts"]')
    assert "ap@alpha.example" in page.inner_text('[data-testid="sendings"]')
    screenshot(page, "invoicing-issued-invoice-en")

    with page.expect_navigation():
        in_japanese(page)
    main = page.inner_text("main")
    assert "一部入金" in main and "送信済み" in main and "未入金額" in main
    screenshot(page, "invoicing-issued-invoice-ja")
    page.goto(f"/invoicing/{year}/{month}/issued/")
    assert "メールアドレスなし" in page.inner_text("main")
    screenshot(page, "invoicing-issued-month-ja")


def test_an_invoice_whose_pdf_is_not_made_yet_and_a_month_without_invoices(page, monkeypatch):
    """A worker died between the number and the PDF: the drafts page and the PDF's address say "being prepared",
    and the retry button makes it; a month without an issued invoice has no sales journal, and says so."""
    year, month = billing_rules.last_closed_month(clock.today())
    alpha = make_customer(company_name="Alpha Trading K.K.", domain_id=90_300_001)
    make_invoice(year=year, month=month)
    PriceEntry.objects.create(item_id="STD", plan="", cost=450, price=600, effective_from=dt.date(2020, 1, 1))
    make_item(alpha, year=year, month=month, license_count=10, amount=4_500)
    IssuerDetails.objects.create(
        pk=1,
        registered_name="Sakura Partner K.K.",
        address="1-1 Marunouchi, Chiyoda-ku, Tokyo",
        registration_number="T1180301018771",
        bank_account="Sakura Bank, Head Office, Ordinary 1234567",
    )
    CustomerBilling.objects.create(
        domain_id=alpha.domain_id, bill_to_name="Alpha Trading K.K.", bill_to_address="Osaka", language="ja"
    )
    finance = make_persona(Role.FINANCE)
    run = services.month_issue_request(user=finance, year=year, month=month)
    with monkeypatch.context() as patched:
        patched.setattr(issuing, "invoice_pdf_render", lambda invoice: False)  # the worker dies here
        patched.setattr(issuing, "month_pdfs_render", lambda **kwargs: 0)
        services.month_issue(run_id=run.pk)
    number = IssuedInvoice.objects.get().number

    page.set_viewport_size({"width": 1366, "height": 860})
    login(page, finance, f"/invoicing/{year}/{month}/")
    assert "PDF being prepared" in page.inner_text('[data-testid="drafts"]')
    assert "1 issued invoice has no PDF yet" in page.inner_text('[data-testid="pdfs-missing"]')
    # The run stays open while a PDF is missing: numbered vs rendered.
    assert "0 PDFs ready of 1 numbered" in page.inner_text('[data-testid="issue-run"]')
    screenshot(page, "invoicing-pdf-missing-en")
    page.goto(f"/invoicing/issued/{number}.pdf")
    assert "its PDF is being prepared" in page.inner_text('[data-testid="pdf-preparing"]')
    screenshot(page, "invoicing-pdf-preparing-en")
    page.goto(f"/invoicing/{year - 1}/{month}/sales-journal/")
    assert "No invoice issued for" in page.inner_text("main")
    screenshot(page, "invoicing-sales-journal-missing-en")

    with page.expect_navigation():
        in_japanese(page)
    assert "発行済みの請求書" in page.inner_text("main")
    screenshot(page, "invoicing-sales-journal-missing-ja")
    page.goto(f"/invoicing/issued/{number}.pdf")
    assert "PDFを作成中です" in page.inner_text("main")
    screenshot(page, "invoicing-pdf-preparing-ja")
    page.goto(f"/invoicing/{year}/{month}/")
    assert "PDF作成中" in page.inner_text('[data-testid="drafts"]')
    assert "採番済み1件中0件のPDFを作成しました" in page.inner_text('[data-testid="issue-run"]')
    screenshot(page, "invoicing-pdf-missing-ja")
    page.click('[data-testid="pdfs-render"]')  # the retry: queued (no worker here), the run resumes it
    page.wait_for_selector('[data-testid="issue-run"]')
    retry = IssueRun.objects.get(finished_at=None)
    services.month_issue(run_id=retry.pk)  # what the queued task does
    assert IssuedInvoice.objects.get().pdf_ready


def test_send_an_invoice_again_after_it_was_sent(page, settings):
    """Finance sends a sent invoice again: its page offers "Send again", the confirmation names the address and
    when it was last sent, and confirmed, the attempts list both sendings; a failed attempt to send it again
    reads in Japanese to a Japanese reader, though an English-speaking user made it."""
    _year, _month, numbers, finance = issued_month(with_beta=False)
    number = numbers[ALPHA]
    services.invoice_send(user=finance, number=number)
    mail.outbox.clear()

    page.set_viewport_size({"width": 1366, "height": 860})
    login(page, finance, f"/invoicing/issued/{number}/")
    page.click('[data-testid="send-again"]')
    page.wait_for_selector('[data-testid="send-again-form"]')
    assert "ap@alpha.example" in page.inner_text('[data-testid="consequences"]')
    assert page.inner_text('[data-testid="last-sent"]').strip()
    assert not mail.outbox, "nothing is sent before the confirmation"
    page.fill("textarea[name=reason], input[name=reason]", "The customer lost it")
    screenshot(page, "invoicing-send-again-en")
    page.click('[data-testid="confirm-send-again"]')
    page.get_by_text(f"Invoice No. {number} is sent again to ap@alpha.example.").wait_for()
    assert len(mail.outbox) == 1
    assert page.inner_text('[data-testid="sendings"]').count("ap@alpha.example") == 2
    assert "sent 2 times" in page.inner_text("main")
    screenshot(page, "invoicing-sent-again-en")

    # Sending it again once more, to a mail server that cannot be reached (English user), read in Japanese.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 5
    page.click('[data-testid="send-again"]')
    page.click('[data-testid="confirm-send-again"]')
    page.get_by_text("The mail server could not be reached").first.wait_for()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with page.expect_navigation():
        in_japanese(page)
    main = page.inner_text("main")
    assert "再送信失敗" in main and "メールサーバーに接続できませんでした" in main and "could not" not in main
    screenshot(page, "invoicing-send-again-failed-ja")
    page.click('[data-testid="send-again"]')
    page.wait_for_selector('[data-testid="send-again-form"]')
    assert "もう一度メールで送信します" in page.inner_text('[data-testid="consequences"]')
    screenshot(page, "invoicing-send-again-ja")
