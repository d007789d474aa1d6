"""Template filters of the documents the customer receives (the invoice and credit-note PDFs, the invoice mail),
and an issued invoice's sending and payment states."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from invoicing import lists
from invoicing.selectors import statement_kind_label
from portal.core.lists import draw_cell

register = template.Library()


@register.filter(name="sending_state")
def sending_state_filter(row) -> SafeString:
    """Whether an issued invoice went out by e-mail, as the month's issued list says it (`lists.sending_state`)."""
    return draw_cell(lists.sending_state(row))


@register.filter(name="payment_state")
def payment_state_filter(row) -> SafeString:
    """Whether an issued invoice is paid, as the month's issued list says it (`lists.payment_state`)."""
    return draw_cell(lists.payment_state(row))


@register.filter
def document_date(value: dt.date | str | None) -> str:
    """A date as the document's language writes it: "2026年11月26日" in Japanese, "2026-11-26" otherwise. A line's
    date is stored as ISO text; anything else that is not a date is left as it is."""
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return value
    return gettext("%(year)d-%(month)02d-%(day)02d") % {
        "year": value.year,
        "month": value.month,
        "day": value.day,
    }


@register.simple_tag
def statement_kind(kind: str) -> str:
    """A statement of account's line kind in words (invoice, credit note, corrected invoice, payment)."""
    return statement_kind_label(kind)
