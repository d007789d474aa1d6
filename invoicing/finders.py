"""What the search box finds of the partner's invoices to its customers (contributed as `finders` from
`InvoicingConfig.ready()`): an issued invoice, and a credit note, by its number (the digits, or the number as
the partner writes it, `IssuedInvoice.number_written`), one row by its unique key."""

from __future__ import annotations

import re

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from invoicing.models import DocumentKind
from invoicing.permissions import VIEW_INVOICING
from invoicing.selectors.issued import issued_get
from portal.core.finders import Finder, Found, Result, whole_number

#: The digits a written number ends with ("INV-2026-00012": 12).
_TRAILING_DIGITS = re.compile(r"(\d{1,18})$")


def _document(q: str, *, user, credit_note: bool) -> Found:
    """The issued document whose number is `q` (digits alone, or as written), of the kind asked."""
    text = q
    number = whole_number(text)
    written = number is None
    if written:
        trailing = _TRAILING_DIGITS.search(text)
        number = int(trailing.group(1)) if trailing else None
    if number is None:
        return Found()
    found = issued_get(user=user, number=number)
    if found is None or (found.kind == DocumentKind.CREDIT_NOTE) != credit_note:
        return Found()
    shown = found.number_written
    if written and shown.casefold() != text.casefold():
        return Found()
    result = Result(
        label=shown,
        detail=f"{found.customer_name} · {found.year}-{found.month:02d}",
        url=reverse("invoicing:issued", args=[found.number]),
        exact=True,
    )
    return Found(results=(result,))


def invoices_find(q: str, *, user, limit: int) -> Found:
    """The customer invoice (of a month's run, or a corrected one) numbered `q`."""
    return _document(q, user=user, credit_note=False)


def credit_notes_find(q: str, *, user, limit: int) -> Found:
    """The credit note numbered `q`."""
    return _document(q, user=user, credit_note=True)


FINDERS = [
    Finder(key="invoices", label=_("Customer invoices"), perm=VIEW_INVOICING, find=invoices_find, order=40),
    Finder(
        key="credit-notes", label=_("Credit notes"), perm=VIEW_INVOICING, find=credit_notes_find, order=41
    ),
]
