"""Why a bank line was proposed an invoice, in the reader's words (the reason is stored as a code)."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from invoicing.bank import matching


def line_reason(line) -> str:
    """The sentence of a line's proposal: "number and amount", "amount only: 2 candidates", ..."""
    n = line.candidates
    words = {
        matching.NUMBER_AMOUNT: lambda: _("Invoice number and amount"),
        matching.NUMBER_AMOUNT_OTHER_NAME: lambda: _(
            "Invoice number and amount; the payer's name is another customer's"
        ),
        matching.NUMBER_ONLY: lambda: _("Invoice number; the amount differs"),
        matching.NUMBERS: lambda: (
            ngettext("Invoice numbers: %(n)s candidate", "Invoice numbers: %(n)s candidates", n) % {"n": n}
        ),
        matching.NAME_AMOUNT: lambda: _("Payer's name and amount"),
        matching.NAME_AMOUNT_SEVERAL: lambda: (
            ngettext("Payer's name and amount: %(n)s invoice", "Payer's name and amount: %(n)s invoices", n)
            % {"n": n}
        ),
        matching.NAME_ONLY: lambda: (
            ngettext(
                "Payer's name; the amount differs (%(n)s open invoice)",
                "Payer's name; the amount differs (%(n)s open invoices)",
                n,
            )
            % {"n": n}
        ),
        matching.SHARED_NAME_AMOUNT: lambda: _("Amount, and a payer's name several customers share"),
        matching.AMOUNT_ONLY: lambda: _("Amount only"),
        matching.AMOUNT_SEVERAL: lambda: (
            ngettext("Amount only: %(n)s candidate", "Amount only: %(n)s candidates", n) % {"n": n}
        ),
        matching.SAME_INVOICE: lambda: _("Another line pays the same invoice"),
        matching.NOTHING: lambda: _("No invoice fits"),
    }
    said = words.get(line.reason)
    return said() if said else ""


def confidence_words(level: int) -> str:
    return {
        matching.CERTAIN: _("Certain"),
        matching.LIKELY: _("Likely"),
        matching.POSSIBLE: _("Possible"),
    }.get(level, "")
