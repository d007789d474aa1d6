"""Sending issued invoices by e-mail with their PDFs (Django's mail: locmem in tests, and a real SMTP backend
pointed at a closed port for the failure): one at a time or all of the month's not sent yet, in the invoice's
language, each attempt recorded; a failure is shown with a reason and retried; never sent twice; an invoice
without an e-mail address is shown as such and not attempted."""

from __future__ import annotations

import socket

import pytest
from django.core import mail
from django.urls import reverse

from invoicing import services
from invoicing.models import CustomerBilling, InvoiceSending, IssuedInvoice, SendRun
from portal.core.access import Role
from portal.core.models import AuditEntry
from tests.fixtures.personas import make_persona
from tests.invoicing.conftest import M


@pytest.fixture
def issued(month):
    """Alpha (Japanese, with an e-mail for invoices) and Beta (English, without one), both issued."""
    CustomerBilling.objects.filter(domain_id=month["alpha"].domain_id).update(
        invoice_email="ap@alpha.example"
    )
    CustomerBilling.objects.create(
        domain_id=month["beta"].domain_id, bill_to_name="Beta Clinic", bill_to_address="Kobe", language="en"
    )
    run = services.month_issue_request(user=make_persona(Role.FINANCE), **M)
    services.month_issue(run_id=run.pk)
    return {i.domain_id: i for i in IssuedInvoice.objects.all()}


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_one_invoice_is_sent_with_its_pdf_in_its_language_once(client_as, issued, month):
    alpha = issued[month["alpha"].domain_id]
    client = client_as(Role.FINANCE)
    url = reverse("invoicing:send", kwargs={"number": alpha.number})
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 302  # the double click
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ap@alpha.example"]
    assert message.subject == f"パートナー株式会社からの請求書 No. {alpha.number}（2026年10月分）"
    assert "Alpha K.K. 経理部 御中" in message.body and "7,621円" in message.body
    [(name, content, kind)] = message.attachments
    assert (name, kind) == (f"invoice-{alpha.number}.pdf", "application/pdf")
    assert services.document.sha256(content) == alpha.pdf_sha256, "the stored bytes, not a new rendering"
    attempt = InvoiceSending.objects.get()
    assert (attempt.outcome, attempt.to) == ("sent", "ap@alpha.example")
    assert attempt.attempted_by is not None and attempt.attempted_by.groups.get().name == "Finance"
    assert AuditEntry.objects.filter(operation_id="portal.sendCustomerInvoice").count() == 1
    page = client.get(reverse("invoicing:issued", kwargs={"number": alpha.number})).content.decode()
    assert "Sent" in page and "ap@alpha.example" in page and 'data-testid="send"' not in page
    follow = client.post(url, follow=True).content.decode()
    assert "This invoice is sent or being sent already." in follow


def test_an_invoice_without_an_e_mail_address_is_shown_so_and_not_attempted(client_as, issued, month):
    beta = issued[month["beta"].domain_id]
    client = client_as(Role.FINANCE)
    page = client.get(reverse("invoicing:issued_month", kwargs=M)).content.decode()
    assert "No e-mail address" in page and "1 customer has no e-mail address for invoices" in page
    assert f'data-testid="send-{beta.number}"' not in page
    answer = client.post(reverse("invoicing:send", kwargs={"number": beta.number}), follow=True)
    assert "no e-mail address for invoices" in answer.content.decode()
    assert not InvoiceSending.objects.exists() and not mail.outbox


def test_the_month_s_invoices_not_sent_yet_go_in_one_run_with_progress(
    client_as, issued, month, django_capture_on_commit_callbacks
):
    CustomerBilling.objects.filter(domain_id=month["beta"].domain_id).update(invoice_email="ap@beta.example")
    client = client_as(Role.FINANCE)
    url = reverse("invoicing:send_month", kwargs=M)
    confirm = client.get(url).content.decode()
    assert "2 invoices are sent by e-mail" in confirm and 'data-testid="confirm-send"' in confirm
    assert not SendRun.objects.exists()
    with django_capture_on_commit_callbacks():
        assert client.post(url, {"confirmed": "1"}).status_code == 302
        assert client.post(url, {"confirmed": "1"}).status_code == 302  # a double click: the same run
    run = SendRun.objects.get()
    body = client.get(reverse("invoicing:issued_month", kwargs=M)).content.decode()
    assert 'data-hx-trigger="every 2s"' in body and "0 invoices sent of 2" in body
    services.month_send(run_id=run.pk)  # what the task does
    services.month_send(run_id=run.pk)  # redelivered: nothing more
    assert len(mail.outbox) == 2
    english = next(m for m in mail.outbox if m.to == ["ap@beta.example"])
    assert english.subject.startswith("Invoice No.") and "Beta Clinic" in english.body
    run.refresh_from_db()
    assert (run.sent, run.failed, run.finished_at is not None) == (2, 0, True)
    poll = client.get(
        reverse("invoicing:issued_month", kwargs=M), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="send-run"
    )
    assert poll["HX-Refresh"] == "true"


def test_a_mail_server_that_cannot_be_reached_is_a_failure_shown_and_retried_not_a_500(
    client_as, issued, month, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _closed_port()
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 5
    alpha = issued[month["alpha"].domain_id]
    client = client_as(Role.FINANCE)
    answer = client.post(reverse("invoicing:send", kwargs={"number": alpha.number}), follow=True)
    assert answer.status_code == 200
    body = answer.content.decode()
    assert "could not be sent: The mail server could not be reached" in body
    attempt = InvoiceSending.objects.get()
    assert (attempt.outcome, attempt.failure) == ("failed", "unreachable")
    assert "Connection refused" in attempt.detail and "Connection refused" not in body
    entry = AuditEntry.objects.get(operation_id="portal.sendCustomerInvoice")
    assert entry.outcome == "failed" and entry.response_body["failure"] == "unreachable"
    month_page = client.get(reverse("invoicing:issued_month", kwargs=M)).content.decode()
    assert "Sending failed" in month_page and "Try again" in month_page

    # The month's run fails the same way, per invoice, and stops cleanly.
    run = services.month_send_request(user=attempt.attempted_by, **M)
    assert services.month_send(run_id=run.pk).failed == 1

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    retry = client.post(reverse("invoicing:send", kwargs={"number": alpha.number}), follow=True)
    assert len(mail.outbox) == 1 and "is sent to ap@alpha.example" in retry.content.decode()
    assert list(InvoiceSending.objects.order_by("pk").values_list("outcome", flat=True)) == [
        "failed",
        "failed",
        "sent",
    ]
    page = client.get(reverse("invoicing:issued", kwargs={"number": alpha.number})).content.decode()
    assert page.count("The mail server could not be reached") == 2 and 'data-testid="sendings"' in page
    assert 'data-testid="send-detail"' not in page, "the technical detail is for Admins"
    as_admin = client_as(Role.ADMIN).get(reverse("invoicing:issued", kwargs={"number": alpha.number}))
    assert as_admin.content.decode().count("Connection refused") == 2
