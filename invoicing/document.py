"""The invoice as a PDF: a Django template (`invoicing/invoice_pdf.html`) rendered by WeasyPrint, A4, in the
invoice's own language, with the system's Noto Sans CJK fonts (fonts-noto-cjk: scripts/system-packages.sh).

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


def invoice_pdf(invoice) -> bytes:
    """The PDF of an invoice (an `IssuedInvoice`, saved or about to be), in its language."""
    from weasyprint import HTML

    with translation.override(invoice.language):
        html = render_to_string("invoicing/invoice_pdf.html", {"invoice": invoice})
    return HTML(string=html).write_pdf()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def credit_note_pdf(note) -> bytes:
    """The PDF of a credit note (適格返還請求書): the invoice it credits (number and date), the date of the return,
    the original transaction's month, what is credited and the amounts and tax per rate, in its language."""
    from weasyprint import HTML

    with translation.override(note.language):
        html = render_to_string("invoicing/credit_note_pdf.html", {"note": note, "original": note.original})
    return HTML(string=html).write_pdf()


def pdf_of(row) -> bytes:
    """The PDF of an issued document of any kind, from its stored facts: a credit note's or an invoice's."""
    from invoicing.models import DocumentKind

    return credit_note_pdf(row) if row.kind == DocumentKind.CREDIT_NOTE else invoice_pdf(row)
