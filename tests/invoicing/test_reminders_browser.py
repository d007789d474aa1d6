"""In headless Chromium: Finance opens the payment reminders' schedule from the drafts page, is refused a schedule
out of order, saves one (its first step at 5 days), then opens an overdue invoice, sends its next reminder now
after the confirmation, and reads it in the invoice's reminders and history; the pages again in Japanese."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from invoicing.models import IssuedInvoice, PaymentReminder
from invoicing.selectors.reminders import steps_stored
from tests.fixtures.browser import in_japanese, login, screenshot
from tests.fixtures.portal_api import pin_business_today
from tests.invoicing.test_sending_browser import ALPHA, issued_month

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_finance_sets_the_schedule_and_sends_a_reminder_now(page, monkeypatch):
    year, month, numbers, finance = issued_month(with_beta=False)
    invoice = IssuedInvoice.objects.get(number=numbers[ALPHA])
    pin_business_today(monkeypatch, invoice.due_date + dt.timedelta(days=6))

    login(page, finance, f"/invoicing/{year}/{month}/")
    page.click('[data-testid="reminders"]')
    page.wait_for_selector('[data-testid="reminders-form"]')
    page.fill("input[name=days_1]", "5")
    page.fill("input[name=days_2]", "4")
    page.click('[data-testid="reminders-save"]')
    page.wait_for_selector('[aria-invalid="true"], .alert-danger, [role="alert"]')
    assert "Each step comes later than the one before it." in page.inner_text("main")
    page.fill("input[name=days_2]", "20")
    page.click('[data-testid="reminders-save"]')
    page.get_by_text("The payment reminders' schedule is saved.").wait_for()
    assert [step.days for step in steps_stored()] == [5, 20, 45]
    screenshot(page, "invoicing-reminders-en")

    page.goto(f"/invoicing/issued/{invoice.number}/")
    page.click('[data-testid="remind"]')
    page.wait_for_selector('[data-testid="remind-form"]')
    assert "Reminder 1 (Gentle" in page.inner_text('[data-testid="remind-step"]')
    assert not mail.outbox, "nothing is sent before the confirmation"
    screenshot(page, "invoicing-remind-confirm-en")
    page.click('[data-testid="confirm-remind"]')
    page.get_by_text(f"Reminder 1 of invoice No. {invoice.number} is sent to ap@alpha.example.").wait_for()
    assert len(mail.outbox) == 1 and mail.outbox[0].subject.startswith("Payment reminder: invoice No.")
    assert PaymentReminder.objects.get().step_id == 1
    assert "ap@alpha.example" in page.inner_text('[data-testid="reminders"]')
    assert "Payment reminder 1 (Gentle) sent by e-mail to ap@alpha.example" in page.inner_text(
        '[data-testid="history"]'
    )
    screenshot(page, "invoicing-issued-reminded-en")

    with page.expect_navigation():
        in_japanese(page)
    assert "入金催促 1（穏やか）を ap@alpha.example にメールで送信" in page.inner_text(
        '[data-testid="history"]'
    )
    page.goto("/invoicing/reminders/")
    assert "スケジュール" in page.inner_text("main")
    screenshot(page, "invoicing-reminders-ja")
