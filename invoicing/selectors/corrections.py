"""Credit notes and corrected invoices: those that refer to an invoice (`corrections_of`), what is left
to credit and what a credit note would say (`credit_left`, `credit_preview`), and the document a form submission
issued already (`issued_by_submission`)."""

from __future__ import annotations

import re

from django.conf import settings

from invoicing import corrections
from invoicing.models import DocumentKind, IssuedInvoice
from invoicing.permissions import VIEW_INVOICING
from portal.core.access import check


def corrections_of(*, user, invoice: IssuedInvoice) -> list[IssuedInvoice]:
    """The credit notes and corrected invoices that refer to `invoice`, in number order (without their PDFs),
    with who issued each."""
    check(user, VIEW_INVOICING)
    return list(IssuedInvoice.objects.filter(original=invoice).select_related("issued_by").order_by("number"))


def credit_left(invoice: IssuedInvoice) -> list[int]:
    """What is left to credit on each of `invoice`'s lines (its amounts less its credit notes')."""
    notes = IssuedInvoice.objects.filter(original=invoice, kind=DocumentKind.CREDIT_NOTE).values_list(
        "lines", flat=True
    )
    return corrections.remaining(invoice.lines, list(notes))


def credit_preview(invoice: IssuedInvoice, credits: dict[int, int]) -> dict:
    """What a credit note of `credits` (line index → yen) of `invoice` would say: its lines, totals per rate
    and total (the service computes it again under the counter's lock when it issues)."""
    earlier = list(
        IssuedInvoice.objects.filter(original=invoice, kind=DocumentKind.CREDIT_NOTE).values_list(
            "lines", "per_rate"
        )
    )
    lines = corrections.credit_lines(
        invoice.lines, credits, corrections.remaining(invoice.lines, [e[0] for e in earlier])
    )
    per_rate = corrections.credit_per_rate(
        original_lines=invoice.lines,
        original_per_rate=invoice.per_rate,
        earlier=earlier,
        lines=lines,
        rounding=settings.INVOICE_TAX_ROUNDING,
    )
    return {"lines": lines, "per_rate": per_rate, "total": sum(r["amount"] + r["tax"] for r in per_rate)}


def issued_by_submission(*, user, key: str) -> IssuedInvoice | None:
    """The document a form submission (its idempotency key) issued already: a double submit finds it."""
    check(user, VIEW_INVOICING)
    if not re.fullmatch(r"[0-9a-f]{32}", key or ""):
        return None  # not a key the forms make (`ChangeForm.idempotency_key`): nothing was issued by it
    return IssuedInvoice.objects.filter(idempotency_key__in=[key, f"{key}+"]).order_by("-number").first()
