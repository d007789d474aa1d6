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
