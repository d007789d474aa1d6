"""What the customer sees of the partner (issue 53, item 11): the partner's billing details set the sender's name
and reply-to address of the invoice mail and how the invoice number is written; a Japanese invoice writes its
dates as 2026年11月2日, on the PDF and in the mail."""

from __future__ import annotations

import io
from email.utils import parseaddr

import pytest
from django.core import mail
from django.urls import reverse
from pypdf import PdfReader

from invoicing import rules, services
from invoicing.models import CustomerBilling, IssuedInvoice, IssuerDetails
from portal.core.access import Role
from portal.core.models import AuditEntry
from tests.fixtures.personas import make_persona
from tests.invoicing.conftest import TODAY, M

FIN = Role.FINANCE


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def partner_identity(client_as, issuer):
    """The partner's billing details saved on their page with a sender name, a reply-to and a number format."""
    details = {
        "registered_name": issuer.registered_name,
        "address": issuer.address,
        "corporation": "on",
        "registration_number": issuer.registration_number,
        "bank_account": issuer.bank_account,
        "payment_terms": issuer.payment_terms,
        "billing_basis": issuer.billing_basis,
        "sender_name": "パートナー株式会社 請求窓口",
        "reply_to": "billing@partner.example",
        "number_format": "INV-{year}-{number:5}",
    }
    answer = client_as(FIN).post(reverse("invoicing:issuer"), details)
    assert answer.status_code == 302
    return details


def _issue(month) -> dict[int, IssuedInvoice]:
    CustomerBilling.objects.filter(domain_id=month["alpha"].domain_id).update(
        invoice_email="ap@alpha.example"
    )
    CustomerBilling.objects.create(
        domain_id=month["beta"].domain_id,
        bill_to_name="Beta Clinic",
        bill_to_address="Kobe",
        invoice_email="ap@beta.example",
        language="en",
    )
    run = services.month_issue_request(user=make_persona(FIN), **M)
    services.month_issue(run_id=run.pk)
    return {i.domain_id: i for i in IssuedInvoice.objects.all()}


def test_the_invoice_mail_comes_from_the_partner_and_answers_go_to_its_billing_address(
    partner_identity, month
):
    alpha = _issue(month)[month["alpha"].domain_id]
    services.invoice_send(user=make_persona(FIN), number=alpha.number)
    [message] = mail.outbox
    name, address = parseaddr(message.message()["From"])
    from email.header import decode_header, make_header

    assert str(make_header(decode_header(name))) == "パートナー株式会社 請求窓口"
    assert address == parseaddr(message.from_email)[1] and "Partner Portal" not in message.from_email
    assert message.reply_to == ["billing@partner.example"]
    assert message.message()["Reply-To"] == "billing@partner.example"
    # The number as the partner writes it, in the subject, the body and the attachment's name.
    written = f"INV-2026-{alpha.number:05d}"
    assert written in message.subject and written in message.body
    assert message.attachments[0][0] == f"invoice-{written}.pdf"


def test_without_a_sender_name_the_mail_comes_from_the_registered_name(month):
    alpha = _issue(month)[month["alpha"].domain_id]
    services.invoice_send(user=make_persona(FIN), number=alpha.number)
    [message] = mail.outbox
    assert "Partner Portal" not in message.from_email
    assert "パートナー株式会社" in message.from_email and not message.reply_to


def test_the_pdf_writes_the_number_as_the_partner_does_and_keeps_it_when_the_format_changes(
    partner_identity, client_as, month
):
    issued = _issue(month)
    alpha, beta = issued[month["alpha"].domain_id], issued[month["beta"].domain_id]
    text = _text(alpha.pdf_bytes())
    assert f"INV-2026-{alpha.number:05d}" in text
    assert f"INV-2026-{beta.number:05d}" in _text(beta.pdf_bytes())
    page = client_as(FIN).get(reverse("invoicing:issued", kwargs={"number": alpha.number})).content.decode()
    assert f"INV-2026-{alpha.number:05d}" in page  # Finance reads the number the customer quotes
    # The download is named as the mail's attachment is: by the number the customer reads.
    download = client_as(FIN).get(reverse("invoicing:pdf", kwargs={"number": alpha.number}))
    assert download["Content-Disposition"] == f'inline; filename="invoice-INV-2026-{alpha.number:05d}.pdf"'
    # Changed later: what was issued keeps the number it was issued with (it is final), the next one the new.
    IssuerDetails.objects.filter(pk=1).update(number_format="P{number}")
    alpha.refresh_from_db()
    assert alpha.number_written == f"INV-2026-{alpha.number:05d}"
    note = services.credit_note_issue(
        user=make_persona(FIN),
        number=alpha.number,
        credits={0: 500},
        return_date=TODAY,
        reason="",
        key="k" * 32,
    )
    note_text = _text(note.pdf_bytes())
    assert (
        f"P{note.number}" in note_text and f"INV-2026-{alpha.number:05d}" in note_text
    )  # it names the original


def test_a_japanese_invoice_writes_its_dates_in_japanese_and_an_english_one_does_not(month):
    issued = _issue(month)
    alpha, beta = issued[month["alpha"].domain_id], issued[month["beta"].domain_id]
    text = _text(alpha.pdf_bytes())
    assert "2026年11月2日" in text and "2026年12月31日" in text  # the invoice date and the due date
    assert "2026-11-02" not in text and "2026-12-31" not in text
    assert "2026年10月1日" in text  # a line's first day
    english = _text(beta.pdf_bytes())
    assert "2026年" not in english
    services.invoice_send(user=make_persona(FIN), number=alpha.number)
    services.invoice_send(user=make_persona(FIN), number=beta.number)
    japanese_mail, english_mail = sorted(mail.outbox, key=lambda m: m.to[0])
    assert "2026年12月31日" in japanese_mail.body and "2026-12-31" not in japanese_mail.body
    assert "2026年" not in english_mail.body


@pytest.mark.parametrize(
    ("written", "problem"),
    [
        ("INV-{numbr}", "{numbr}"),
        ("INV-{year}", "{number}"),
        ("{number}-{number}", "once"),
        ("INV-{number:99}", "{number:99}"),
        ("INV-{number", "{"),
        ("請求\x07{number}", "character"),
    ],
)
def test_a_number_format_the_portal_cannot_write_is_refused_in_words(client_as, issuer, written, problem):
    assert problem in rules.number_format_problem(written)
    client = client_as(FIN)
    details = {
        "registered_name": issuer.registered_name,
        "address": issuer.address,
        "corporation": "on",
        "registration_number": issuer.registration_number,
        "bank_account": issuer.bank_account,
        "payment_terms": issuer.payment_terms,
        "billing_basis": issuer.billing_basis,
        "number_format": written,
        "reply_to": "not an address",
    }
    answer = client.post(reverse("invoicing:issuer"), details)
    assert answer.status_code == 200
    body = answer.content.decode()
    assert body.count('aria-invalid="true"') == 2  # the format and the reply-to address
    assert not AuditEntry.objects.filter(operation_id="portal.setIssuerDetails").exists()


def test_the_number_format_and_the_sender_are_audited_like_every_billing_detail(partner_identity):
    entry = AuditEntry.objects.get(operation_id="portal.setIssuerDetails")
    changed = entry.request_summary["changed"]
    assert changed["number_format"] == {"before": "", "after": "INV-{year}-{number:5}"}
    assert changed["reply_to"]["after"] == "billing@partner.example"
    assert (
        rules.number_written("INV-{year}-{month}-{number:5}", 42, year=2026, month=11) == "INV-2026-11-00042"
    )
    assert rules.number_written("", 42, year=2026, month=11) == "42"
