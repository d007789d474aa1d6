"""The invoice as a PDF: a Django template (`invoicing/invoice_pdf.html`) rendered by WeasyPrint, A4, in the
invoice's own language, with the Japanese face of the system's Noto Sans CJK fonts (fonts-noto-cjk:
scripts/system-packages.sh), cut down to each document's characters (`invoicing.pdf_fonts`).

WeasyPrint was chosen because it lays out HTML and CSS (the portal's own way of writing a page, templates and
translations included) into a PDF with real, extractable text and embedded subset fonts, is pure Python over
Pango (a Debian package), and is maintained (CourtBouillon). The PDF is rendered once, right after the invoice
is numbered, from its stored facts (the same facts render the same bytes), and stored with its SHA-256: what the
customer received is those bytes, never a new rendering.
"""

from __future__ import annotations

import hashlib

from django.template.loader import render_to_string
from django.utils import translation

from invoicing import pdf_fonts


def _render(template: str, context: dict, language: str) -> bytes:
    """A PDF template rendered in `language`, with its fonts subset to its own characters."""
    with translation.override(language):
        html = render_to_string(template, context)
    return pdf_from_html(html)


def pdf_from_html(html: str) -> bytes:
    """The PDF WeasyPrint lays out of a rendered template. The same HTML always gives the same bytes (no date or
    random id is written into the file), which is what lets a stored PDF's SHA-256 be checked against a new
    rendering of its facts. Tagged (PDF/UA-1), so a screen reader reads its headings, paragraphs and tables."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    fonts = pdf_fonts.DocumentFonts(html)
    fetcher, font_config = fonts.fetcher(), FontConfiguration()
    faces = CSS(string=fonts.css, font_config=font_config, url_fetcher=fetcher)
    # PDF/UA-1: tagged (headings, paragraphs, the lines' table) in the document's language, for screen readers.
    return HTML(string=html, url_fetcher=fetcher).write_pdf(
        stylesheets=[faces], font_config=font_config, pdf_variant="pdf/ua-1"
    )


def invoice_pdf(invoice) -> bytes:
    """The PDF of an invoice (an `IssuedInvoice`, saved or about to be), in its language."""
    return _render("invoicing/invoice_pdf.html", {"invoice": invoice}, invoice.language)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def credit_note_pdf(note) -> bytes:
    """The PDF of a credit note (適格返還請求書): the invoice it credits (number and date), the date of the return,
    the original transaction's month, what is credited and the amounts and tax per rate, in its language."""
    return _render("invoicing/credit_note_pdf.html", {"note": note, "original": note.original}, note.language)


def pdf_of(row) -> bytes:
    """The PDF of an issued document of any kind, from its stored facts: a credit note's or an invoice's."""
    from invoicing.models import DocumentKind

    return credit_note_pdf(row) if row.kind == DocumentKind.CREDIT_NOTE else invoice_pdf(row)


def statement_pdf(*, statement, company: str, billing, issuer, language: str) -> bytes:
    """A customer's statement of account (取引明細・残高) as a PDF in `language`: to its bill-to name and address
    (`billing`, a `CustomerBilling` or None: the company's name then), from the partner (`issuer`), each line with
    the balance after it. Rendered when asked, never stored: it states the records of the moment."""
    context = {"statement": statement, "company": company, "billing": billing, "issuer": issuer}
    return _render("invoicing/statement_pdf.html", context, language)
