"""Sending an invoice again after it was sent (the customer lost it, its address was put right): a confirmation
that names the address and when it was last sent, then one more attempt kept beside the others; sent once per
confirmation (a double click, a second user on the same page); the month's "send all" still sends only the
invoices never sent. And a failure stored as a kind, its sentence written in the reader's language."""

from __future__ import annotations

import smtplib
import socket

import pytest
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone, translation

from invoicing import document, services
from invoicing.models import CustomerBilling, InvoiceSending, IssuedInvoice, SendFailure
from invoicing.services import sending
from portal.core.access import Role
from portal.core.models import AuditEntry
from tests.fixtures.personas import make_persona
from tests.invoicing.conftest import M


@pytest.fixture
def sent(month):
    """Alpha's invoice of the month, issued and sent once to ap@alpha.example."""
    CustomerBilling.objects.filter(domain_id=month["alpha"].domain_id).update(
        invoice_email="ap@alpha.example"
    )
    finance = make_persona(Role.FINANCE)
    run = services.month_issue_request(user=finance, **M)
    services.month_issue(run_id=run.pk)
    invoice = IssuedInvoice.objects.get(domain_id=month["alpha"].domain_id)
    services.invoice_send(user=finance, number=invoice.number)
    mail.outbox.clear()
    return invoice


def _confirmation(client, number: int) -> tuple[str, dict]:
    """The confirmation page and the form it holds, as the browser would post it."""
    page = client.get(reverse("invoicing:send_again", kwargs={"number": number}))
    assert page.status_code == 200
    form = page.context["form"]
    data = {name: form[name].value() for name in ("idempotency_key", "to", "times_sent")}
    return page.content.decode(), {**data, "reason": "The customer lost it"}


def test_a_sent_invoice_is_sent_again_once_per_confirmation_and_its_history_kept(client_as, sent):
    client = client_as(Role.FINANCE)
    issued_url = reverse("invoicing:issued", kwargs={"number": sent.number})
    assert 'data-testid="send-again"' in client.get(issued_url).content.decode()
    body, data = _confirmation(client, sent.number)
    assert "ap@alpha.example" in body and 'data-testid="last-sent"' in body
    assert not mail.outbox, "nothing is sent before the confirmation"

    url = reverse("invoicing:send_again", kwargs={"number": sent.number})
    done = client.post(url, data, follow=True).content.decode()
    assert f"Invoice No. {sent.number} is sent again to ap@alpha.example." in done
    again = client.post(url, data, follow=True).content.decode()  # the double click
    assert "This form was already sent" in again
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["ap@alpha.example"]
    assert document.sha256(mail.outbox[0].attachments[0][1]) == sent.pdf_sha256

    # A second user who confirmed the same page (sent once then) sends nothing more.
    other = client_as(Role.ADMIN)
    _body, other_data = _confirmation(other, sent.number)
    other_data["times_sent"] = "1"
    refused = other.post(url, other_data, follow=True).content.decode()
    assert "sent again or is being sent again already" in refused
    assert len(mail.outbox) == 1

    rows = list(InvoiceSending.objects.order_by("pk").values_list("outcome", "round", "idempotency_key"))
    assert rows == [("sent", 0, None), ("sent", 1, data["idempotency_key"])]
    entry = AuditEntry.objects.filter(operation_id="portal.sendCustomerInvoice").latest("pk")
    assert entry.request_summary["again"] == 1 and entry.reason == "The customer lost it"
    page = client.get(issued_url).content.decode()
    assert "sent 2 times" in page and page.count("ap@alpha.example") >= 3


def test_the_month_s_send_all_leaves_out_an_invoice_sent_already_even_when_sending_it_again_failed(
    sent, settings
):
    finance = make_persona(Role.FINANCE)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", s.getsockname()[1]
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 5
    attempt = services.invoice_send(user=finance, number=sent.number, again=1, key="a" * 32)
    assert attempt.outcome == "failed"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert not services.unsent(**M).exists()
    with pytest.raises(services.SendRefused, match="sent already"):
        services.month_send_request(user=finance, **M)
    assert not mail.outbox
    # Sending it again is retried from its page: the same round, a new confirmation.
    assert services.invoice_send(user=finance, number=sent.number, again=1, key="b" * 32).outcome == "sent"
    assert len(mail.outbox) == 1


def test_sending_again_is_refused_when_the_address_changed_since_the_confirmation(client_as, sent, month):
    client = client_as(Role.FINANCE)
    _body, data = _confirmation(client, sent.number)
    CustomerBilling.objects.filter(domain_id=month["alpha"].domain_id).update(
        invoice_email="new@alpha.example"
    )
    url = reverse("invoicing:send_again", kwargs={"number": sent.number})
    refused = client.post(url, data, follow=True).content.decode()
    assert "changed since the confirmation" in refused and not mail.outbox
    body, _data = _confirmation(client, sent.number)
    assert "new@alpha.example" in body and 'data-testid="address-changed"' in body


def test_the_month_s_list_says_where_a_sent_invoice_went_and_its_page_where_a_send_again_goes(
    client_as, sent, month
):
    """The customer's address put right after the invoice went out: the month's list shows the address it went
    to (and reads no billing details for a page of invoices all sent); its own page, the one a send again uses."""
    from django.test.utils import CaptureQueriesContext

    CustomerBilling.objects.filter(domain_id=month["alpha"].domain_id).update(
        invoice_email="new@alpha.example"
    )
    client = client_as(Role.FINANCE)
    with CaptureQueriesContext(connection) as read:
        listed = client.get(reverse("invoicing:issued_month", kwargs=M)).content.decode()
    row = listed[listed.index(f'data-number="{sent.number}"') :].split("</tr>")[0]
    assert "ap@alpha.example" in row and "new@alpha.example" not in row and 'data-testid="last-sent"' in row
    assert not [q for q in read.captured_queries if "invoicing_customerbilling" in q["sql"]]
    own = client.get(reverse("invoicing:issued", kwargs={"number": sent.number})).content.decode()
    assert "new@alpha.example" in own
    body, _data = _confirmation(client, sent.number)
    assert "Send again to new@alpha.example" in body and 'data-testid="address-changed"' in body


def test_an_invoice_never_sent_has_no_send_again_and_its_page_sends_it_normally(client_as, month):
    finance = make_persona(Role.FINANCE)
    run = services.month_issue_request(user=finance, **M)
    services.month_issue(run_id=run.pk)
    invoice = IssuedInvoice.objects.get(domain_id=month["alpha"].domain_id)
    CustomerBilling.objects.filter(domain_id=invoice.domain_id).update(invoice_email="ap@alpha.example")
    client = client_as(Role.FINANCE)
    url = reverse("invoicing:send_again", kwargs={"number": invoice.number})
    page = client.get(url).content.decode()
    assert "This invoice was not sent yet" in page and 'data-testid="send-again-form"' not in page
    answer = client.post(url, {"idempotency_key": "c" * 32, "to": "ap@alpha.example", "times_sent": "1"})
    assert answer["Location"] == reverse("invoicing:issued", kwargs={"number": invoice.number})
    with pytest.raises(services.SendRefused):
        services.invoice_send(user=finance, number=invoice.number, again=1, key="d" * 32)
    assert client_as(Role.SUPPORT).get(url).status_code == 403
    assert not InvoiceSending.objects.exists()


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (smtplib.SMTPRecipientsRefused({"x@y.example": (550, b"no such user")}), SendFailure.ADDRESS_REFUSED),
        (smtplib.SMTPAuthenticationError(535, b"bad credentials"), SendFailure.LOGIN_REFUSED),
        (smtplib.SMTPDataError(554, b"spam"), SendFailure.MESSAGE_REFUSED),
        (ConnectionRefusedError(111, "Connection refused"), SendFailure.UNREACHABLE),
        (smtplib.SMTPServerDisconnected("gone"), SendFailure.UNREACHABLE),
        (socket.gaierror(-2, "Name or service not known"), SendFailure.UNREACHABLE),
        (TimeoutError("timed out"), SendFailure.TIMEOUT),
        (ValueError("odd"), SendFailure.OTHER),
    ],
)
def test_each_failure_is_stored_as_a_kind_with_its_technical_detail(error, kind):
    found, detail = sending.send_failure(error)
    assert found == kind and detail


@pytest.mark.django_db
def test_a_failure_recorded_by_an_english_user_reads_in_japanese_to_a_japanese_reader(
    client_as, sent, settings
):
    attempt = InvoiceSending.objects.create(
        invoice=sent,
        to="ap@alpha.example",
        round=1,
        attempted_at=timezone.now(),
        outcome="failed",
        failure=SendFailure.ADDRESS_REFUSED,
        detail="550 5.1.1 <ap@alpha.example>: Recipient address rejected",
    )
    with translation.override("en"):
        english = attempt.failure_sentence()
    assert english.startswith("The mail server refused the address ap@alpha.example")
    with translation.override("ja"):
        japanese = attempt.failure_sentence()
    assert "ap@alpha.example" in japanese and "メールサーバー" in japanese and "refused" not in japanese
    client = client_as(Role.FINANCE)
    page = client.get(
        reverse("invoicing:issued", kwargs={"number": sent.number}), HTTP_ACCEPT_LANGUAGE="ja"
    ).content.decode()
    assert japanese in page and english not in page and "Recipient address rejected" not in page
    month_page = client.get(reverse("invoicing:issued_month", kwargs=M), HTTP_ACCEPT_LANGUAGE="ja")
    assert japanese in month_page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_keeps_an_old_failure_s_words_as_its_detail_and_calls_it_other(month):
    before, after = (
        [("invoicing", "0008_billing_basis")],
        [("invoicing", "0009_resend_and_failure_kinds")],
    )
    # Issued with today's code and schema, before going back: the invoice's row outlives the way down and up.
    finance = make_persona(Role.FINANCE)
    run = services.month_issue_request(user=finance, **M)
    services.month_issue(run_id=run.pk)
    invoice_id = IssuedInvoice.objects.values_list("pk", flat=True).first()
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(before)
        old = executor.loader.project_state(before).apps
        Sending = old.get_model("invoicing", "InvoiceSending")
        now = timezone.now()
        Sending.objects.create(
            invoice_id=invoice_id,
            to="a@b.example",
            attempted_at=now,
            outcome="failed",
            reason="The mail server did not answer in time: try again later.",
        )
        Sending.objects.create(invoice_id=invoice_id, to="a@b.example", attempted_at=now, outcome="sent")
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        new = executor.loader.project_state(after).apps.get_model("invoicing", "InvoiceSending")
        rows = list(new.objects.order_by("pk").values_list("outcome", "failure", "detail", "round"))
        assert rows == [
            ("failed", "other", "The mail server did not answer in time: try again later.", 0),
            ("sent", "", "", 0),
        ]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"idempotency_key": "x", "to": "not an address", "times_sent": "abc"},
        {"idempotency_key": "e" * 32, "to": "ap@alpha.example", "times_sent": "99999999"},
        {"idempotency_key": "e" * 32, "to": "ap@alpha.example", "times_sent": "-1"},
        {"idempotency_key": "e" * 32, "to": "ap@alpha.example", "times_sent": "7"},
    ],
)
def test_a_tampered_confirmation_sends_nothing_and_is_never_a_500(client_as, sent, data):
    url = reverse("invoicing:send_again", kwargs={"number": sent.number})
    answer = client_as(Role.FINANCE).post(url, data, follow=True)
    assert answer.status_code == 200
    assert not mail.outbox and InvoiceSending.objects.count() == 1
    if data.get("times_sent") == "7":
        assert "does not match the invoice" in answer.content.decode()
