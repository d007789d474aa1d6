"""What invoicing sends the partner's own systems (portal/core/events/): an invoice, credit note or corrected
invoice issued, an invoice paid in full, an invoice fallen overdue. Each once (its number)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from invoicing.models import IssuedInvoice
from portal.core.events.outbox import emit
from portal.core.events.types import EventType

TYPES = [
    EventType(
        "invoice.issued",
        _("An invoice was issued"),
        _("An invoice, credit note or corrected invoice to a customer was issued (numbered)."),
        data=("number", "kind", "customer", "total", "due_date", "url"),
        order=30,
    ),
    EventType(
        "invoice.paid",
        _("An invoice was paid"),
        _("The payments recorded for an invoice reached what it asks."),
        data=("number", "customer", "total", "url"),
        order=31,
    ),
    EventType(
        "invoice.overdue",
        _("An invoice is overdue"),
        _("The morning after its due date, when it is not paid or credited in full."),
        data=("number", "customer", "owed", "due_date", "url"),
        order=32,
    ),
]


def _of(invoice: IssuedInvoice, **more) -> dict:
    return {
        "number": invoice.number,
        "customer": invoice.domain_id,
        "url": reverse("invoicing:issued", args=[invoice.number]),
        **more,
    }


def invoice_issued(invoice: IssuedInvoice) -> None:
    data = _of(invoice, kind=invoice.kind, total=invoice.total, due_date=invoice.due_date.isoformat())
    emit("invoice.issued", data, key=str(invoice.number))


def invoice_paid(invoice: IssuedInvoice) -> None:
    emit("invoice.paid", _of(invoice, total=invoice.total), key=str(invoice.number))


def invoice_overdue(invoice: IssuedInvoice, *, owed: int) -> None:
    emit(
        "invoice.overdue",
        _of(invoice, owed=owed, due_date=invoice.due_date.isoformat()),
        key=str(invoice.number),
    )
