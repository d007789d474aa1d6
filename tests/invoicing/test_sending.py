"""Sending issued invoices by e-mail with their PDFs (Django's mail: locmem in tests, and a real SMTP backend
pointed at a closed port for the failure): one at a time or all of the month's not sent yet, in the invoice's
language, each attempt recorded; a failure is shown with a reason and retried; never sent twice; an invoice
without an e-mail address is shown as such and not attempted."""

from __future__ import annotations

import re
import socket

import pytest
from django.core import mail
from django.urls import reverse

from invoicing import document, services
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
    assert document.sha256(content) == alpha.pdf_sha256, "the stored bytes, not a new rendering"
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
    assert (run.done, run.failed, run.finished_at is not None) == (2, 0, True)
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


def test_the_month_s_page_is_a_list_filtered_by_sending_and_counts_what_is_left_from_the_unsent_table(
    client_as, issued, month, settings
):
    """The month's issued invoices are paged on the list machinery and filtered by whether each went out (not
    sent, failed, sent) and by customer; what is left to send is the kept table of documents not sent
    (`UnsentInvoice`, kept by triggers): an attempt under way or sent takes a row away, a failed one puts it
    back as failed."""
    from invoicing.models import UnsentInvoice

    alpha, beta = issued[month["alpha"].domain_id], issued[month["beta"].domain_id]
    assert set(UnsentInvoice.objects.values_list("number", "failed")) == {
        (alpha.number, False),
        (beta.number, False),
    }
    client = client_as(Role.FINANCE)
    url = reverse("invoicing:issued_month", kwargs=M)

    def numbers(**query) -> set[int]:
        found = client.get(url, query, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results")
        assert found.status_code == 200
        return {n for n in (alpha.number, beta.number) if f'data-number="{n}"' in found.content.decode()}

    assert numbers() == numbers(sending="not_sent") == {alpha.number, beta.number}
    assert numbers(sending="sent") == numbers(sending="failed") == set()
    assert numbers(q="Alpha") == {alpha.number}
    # Searched, in customer order, paged by customer (as every searched list is); by number when asked.
    for query, order in (({"q": "K.K."}, [alpha, beta]), ({"q": "K.K.", "sort": "-customer"}, [beta, alpha])):
        body = client.get(url, query).content.decode()
        assert [int(n) for n in re.findall(r'<tr data-number="(\d+)"', body)] == [i.number for i in order]
    assert "Send 1 invoice not sent yet" in client.get(url).content.decode()

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _closed_port()
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 5
    client.post(reverse("invoicing:send", kwargs={"number": alpha.number}))
    assert UnsentInvoice.objects.get(pk=alpha.pk).failed
    assert numbers(sending="failed") == {alpha.number}

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client.post(reverse("invoicing:send", kwargs={"number": alpha.number}))
    assert not UnsentInvoice.objects.filter(pk=alpha.pk).exists()
    assert numbers(sending="sent") == {alpha.number}
    assert numbers(sending="not_sent") == {beta.number} and numbers(sending="failed") == set()
    page = client.get(url).content.decode()
    assert 'data-testid="send-month"' not in page and "1 customer has no e-mail address" in page


def test_a_page_s_rows_read_as_a_range_of_invoices_keep_to_their_own_attempts(issued, month):
    """The rows of a page read the attempts to send its invoices as one range of ids when they run without a
    gap (`of_invoices`): an invoice inside the range but not on the page lends none of its own."""
    from invoicing.selectors.issued import issued_rows, of_invoices

    alpha, beta = issued[month["alpha"].domain_id], issued[month["beta"].domain_id]
    services.invoice_send(user=make_persona(Role.FINANCE), number=alpha.number)
    first, second = sorted([alpha, beta], key=lambda i: i.pk)
    assert of_invoices("invoice_id", [first.pk, second.pk]).children[0][0] == "invoice_id__gte"
    rows = {r.invoice.pk: r for r in issued_rows([beta])}
    assert not rows[beta.pk].sent and rows[beta.pk].last_sending is None
    both = {r.invoice.pk: r for r in issued_rows([alpha, beta])}
    assert both[alpha.pk].sent and not both[beta.pk].sent


def test_a_page_s_invoices_are_read_as_a_range_for_each_run_of_ids_and_a_list_for_the_rest():
    """A page searched by customer holds runs of ids (customers numbered together) and a few far apart: each is one
    range of the index (one descent, not one per id) spanning at most about twice its ids, the rest a list."""
    from invoicing.selectors.issued import of_invoices, runs_of

    assert runs_of([405, 12, 10, 11, 400, 401, 403, 900, 10]) == [[10, 11, 12], [400, 401, 403, 405], [900]]
    assert runs_of([1, 4, 9]) == [[1, 4], [9]]
    wanted = of_invoices("invoice_id", [10, 11, 12, 400, 401, 403, 405, 900, 2_000])
    assert wanted.connector == "OR" and len(wanted.children) == 3
    assert ("invoice_id__in", [900, 2_000]) in wanted.children
    assert of_invoices("invoice_id", []).children == [("invoice_id__in", [])]


def test_what_is_left_to_send_follows_addresses_and_pdfs_and_is_counted_from_the_unsent_table_alone(
    issued, month
):
    """What is left to send of a month (`selectors.month_sending`) counts the documents a send takes (an e-mail
    address and the PDF) and the ones without an address from the rows of the unsent table, which triggers keep
    as a document's PDF and its customer's billing details change: no count reads the documents or the billing
    details, and each stops at the cap."""
    from django.db import connection, models
    from django.test.utils import CaptureQueriesContext

    from invoicing import selectors

    finance = make_persona(Role.FINANCE)
    alpha, beta = issued[month["alpha"].domain_id], issued[month["beta"].domain_id]

    def left() -> tuple[int, int, int]:
        with CaptureQueriesContext(connection) as queries:
            found = selectors.month_sending(user=finance, **M)
        counts = [q["sql"].lower() for q in queries.captured_queries if "unsentinvoice" in q["sql"].lower()]
        assert len(counts) == 3
        for sql in counts:
            assert "customerbilling" not in sql and "issuedinvoice" not in sql and "limit" in sql, sql
        return found.unsent, found.sendable, found.without_email

    assert alpha.pdf_sha256 and beta.pdf_sha256
    assert left() == (2, 1, 1), "Beta has no e-mail address"
    CustomerBilling.objects.filter(domain_id=beta.domain_id).update(invoice_email="ap@beta.example")
    assert left() == (2, 2, 0), "its billing details gave it one"
    # Alpha as it was numbered, before its PDF was rendered (the one write an issued invoice undergoes).
    models.QuerySet.update(IssuedInvoice.objects.filter(pk=alpha.pk), pdf="", pdf_sha256="")
    assert left() == (2, 1, 0), "Alpha's PDF is not there"
    CustomerBilling.objects.filter(domain_id=beta.domain_id).delete()
    assert left() == (2, 0, 1), "Beta's billing details are gone, and it was issued to no address"
    IssuedInvoice.objects.filter(pk=alpha.pk).pdf_store_once(name=alpha.pdf.name, sha256=alpha.pdf_sha256)
    assert left() == (2, 1, 1), "Alpha's PDF is rendered"
    services.invoice_send(user=finance, number=alpha.number)
    assert left() == (1, 0, 1), "Alpha went out"
