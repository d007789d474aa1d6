"""Being paid: payments received for issued invoices, never more than owed, audited."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.templatetags.billing import yen
from invoicing import events, selectors
from invoicing.models import InvoicePayment, IssuedInvoice
from invoicing.permissions import CHANGE_INVOICING
from portal.core.access import check, person
from portal.core.models import AuditEntry
from portal.core.services import audit_record


class PaymentRefused(Exception):
    """A payment that cannot be recorded, with a sentence saying why."""


def payment_record(*, actor, number: int, amount: int, paid_on: dt.date) -> InvoicePayment:
    """Record a payment received for an issued invoice: all of what it still owes, or part. Never more than it
    owes (`selectors.owed`: its total less what is paid and credited), checked with the invoice's row locked, so
    two people recording the same transfer at once cannot both pass. One audit entry."""
    check(actor, CHANGE_INVOICING)
    if amount <= 0:
        raise PaymentRefused(_("A payment is an amount above zero."))
    with transaction.atomic():
        invoice = IssuedInvoice.objects.select_for_update().filter(number=number).first()
        if invoice is None:
            raise PaymentRefused(_("No such invoice."))
        owed = selectors.owed(invoice)
        if amount > owed:
            raise PaymentRefused(
                _("%(amount)s is more than the invoice still owes (%(owed)s).")
                % {"amount": yen(amount), "owed": yen(owed)}
            )
        payment = InvoicePayment.objects.create(
            invoice=invoice,
            amount=amount,
            paid_on=paid_on,
            recorded_at=timezone.now(),
            recorded_by=person(actor),
        )
        audit_record(
            actor=actor,
            operation_id="portal.recordInvoicePayment",
            outcome=AuditEntry.Outcome.SUCCEEDED,
            domain_id=invoice.domain_id,
            sent={
                "number": invoice.number,
                "amount": amount,
                "paid_on": paid_on.isoformat(),
                "owed_before": owed,
                "owed_after": owed - amount,
            },
        )
        if owed == amount:
            events.invoice_paid(invoice)
    return payment
