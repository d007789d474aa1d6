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
    data = invoice.pdf_bytes()
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
        "2026年12月31日",  # the due date
        "みずほ銀行 本店 普通 1234567",
    ):
        assert element in text, element


def test_the_english_pdf_reads_english(issued, month):
    text = _text(issued[month["beta"].domain_id].pdf_bytes())
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


def _structure(data: bytes) -> list[str]:
    """The structure types of a PDF's tag tree (its StructTreeRoot), depth first: what a screen reader reads."""
    reader = PdfReader(io.BytesIO(data))
    root = reader.trailer["/Root"]
    if "/StructTreeRoot" not in root:
        return []
    found: list[str] = []

    def walk(node) -> None:
        node = node.get_object()
        if isinstance(node, list):
            for child in node:
                walk(child)
            return
        if not hasattr(node, "get"):
            return
        if "/S" in node:
            found.append(str(node["/S"]))
        if "/K" in node:
            walk(node["/K"])

    walk(root["/StructTreeRoot"])
    return found


@pytest.mark.parametrize("customer", ["alpha", "beta"])
def test_the_invoice_pdf_is_tagged_for_screen_readers(issued, month, customer):
    """PDF/UA: a tag tree with the heading, paragraphs and the lines' table, marked as tagged, in its language."""
    invoice = issued[month[customer].domain_id]
    data = invoice.pdf_bytes()
    root = PdfReader(io.BytesIO(data)).trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])
    assert str(root["/Lang"]) == invoice.language
    tags = _structure(data)
    for tag in ("/H1", "/P", "/Table", "/TR", "/TH", "/TD"):
        assert tag in tags, tag


def test_the_credit_note_pdf_is_tagged_for_screen_readers(issued, month):
    from invoicing import document

    invoice = issued[month["alpha"].domain_id]
    note = IssuedInvoice(
        number=invoice.number + 1,
        kind="credit_note",
        original=invoice,
        year=invoice.year,
        month=invoice.month,
        domain_id=invoice.domain_id,
        customer_name=invoice.customer_name,
        language="ja",
        issue_date=invoice.issue_date,
        due_date=invoice.issue_date,
        return_date=invoice.issue_date,
        issuer=invoice.issuer,
        recipient=invoice.recipient,
        lines=invoice.lines[:1],
        per_rate=invoice.per_rate,
        subtotal=-100,
        tax=-10,
        total=-110,
        issued_at=invoice.issued_at,
    )
    tags = _structure(document.credit_note_pdf(note))
    for tag in ("/H1", "/P", "/Table", "/TD"):
        assert tag in tags, tag
