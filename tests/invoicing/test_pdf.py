"""The issued invoice's PDF, read back as text (pypdf): every element a qualified invoice must state, in
Japanese and in English, and the SHA-256 it was stored with."""

from __future__ import annotations

import base64
import hashlib
import io

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from pypdf import PdfReader

from invoicing import services
from invoicing.models import CustomerBilling, IssuedInvoice
from portal.core.access import Role
from tests.fixtures.personas import make_persona
from tests.invoicing.conftest import M


def _text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def issued(month):
    CustomerBilling.objects.create(
        domain_id=month["beta"].domain_id,
        bill_to_name="Beta Clinic",
        bill_to_address="1 Kobe Road",
        language="en",
    )
    run = services.month_issue_request(user=make_persona(Role.FINANCE), **M)
    services.month_issue(run_id=run.pk)
    return {i.domain_id: i for i in IssuedInvoice.objects.all()}


def test_the_japanese_pdf_states_every_element_of_a_qualified_invoice(issued, month):
    invoice = issued[month["alpha"].domain_id]
    data = bytes(invoice.pdf)
    assert data.startswith(b"%PDF-") and hashlib.sha256(data).hexdigest() == invoice.pdf_sha256
    reader = PdfReader(io.BytesIO(data))
    width, height = (float(v) for v in reader.pages[0].mediabox.upper_right)
    assert (round(width * 25.4 / 72), round(height * 25.4 / 72)) == (210, 297)  # A4
    text = _text(data)
    for element in (
        "請求書",
        "パートナー株式会社",  # the issuer's name
        "T7000012050002",  # and registration number
        "2026年10月",  # the transaction date (the month of service)
        "スタンダード／年額（ライセンス）",  # what was sold
        "10%対象 合計",  # the amounts totalled per rate, with the rate
        "6,929円",
        "10%対象 消費税",  # the tax per rate
        "692円",
        "7,621円",
        "Alpha K.K. 経理部 御中",  # the recipient
        "請求書番号",
        str(invoice.number),
        "2026-12-31",  # the due date
        "みずほ銀行 本店 普通 1234567",
    ):
        assert element in text, element


def test_the_english_pdf_reads_english(issued, month):
    text = _text(bytes(issued[month["beta"].domain_id].pdf))
    for element in (
        "Invoice",
        "Beta Clinic",
        "1 Kobe Road",
        "Registration number",
        "T7000012050002",
        "Total at 10%",
    ):
        assert element in text, element
    assert "御中" not in text


def test_the_pdf_is_downloaded_as_stored(client_as, issued, month):
    invoice = issued[month["alpha"].domain_id]
    response = client_as(Role.FINANCE).get(reverse("invoicing:pdf", kwargs={"number": invoice.number}))
    assert response["Content-Type"] == "application/pdf"
    digest = hashlib.sha256(response.content)
    assert digest.hexdigest() == invoice.pdf_sha256
    assert response["Repr-Digest"] == f"sha-256=:{base64.b64encode(digest.digest()).decode()}:"


def test_the_same_html_gives_the_same_pdf_bytes(issued, month):
    """Two layouts of one invoice's HTML by WeasyPrint itself (not the test processes' memo of it) are the same
    bytes: the stored SHA-256 can be checked against a new rendering, and the memo changes no test's result."""
    from invoicing import document

    laid_out = document.pdf_from_html.laid_out
    html = render_to_string("invoicing/invoice_pdf.html", {"invoice": issued[month["beta"].domain_id]})
    first, second = laid_out(html), laid_out(html)
    assert first.startswith(b"%PDF-") and first == second
    assert laid_out(html.replace("Beta Clinic", "Gamma Clinic")) != first
