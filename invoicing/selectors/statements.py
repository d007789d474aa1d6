"""A customer's statement of account (取引明細・残高) over a period: what was owed at its start, each invoice, credit
note and payment in it with the balance after it, and what is owed at its end. Read from the issued documents
(their totals as issued, a credit note's negative) and the payments recorded against them, along the customer's
index of documents by date (`invoicing_issued_customer`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils.translation import pgettext

from invoicing.models import DocumentKind, InvoicePayment, IssuedInvoice
from invoicing.permissions import VIEW_INVOICING
from portal.core.access import check

#: A statement line that is a payment (a document's line has its `DocumentKind`).
PAYMENT = "payment"


@dataclass(frozen=True)
class StatementLine:
    """One line: `kind` a `DocumentKind` value or PAYMENT; `number` the document's (a payment's: the invoice it
    pays); `written` the number as the documents print it; `charged` an invoice's total, `credited` a credit
    note's (as a positive amount), `received` a payment's; `balance` what is owed after the line."""

    date: dt.date
    kind: str
    number: int
    written: str
    charged: int
    credited: int
    received: int
    balance: int


@dataclass(frozen=True)
class Statement:
    domain_id: int
    start: dt.date
    end: dt.date
    opening: int
    lines: list[StatementLine]

    @property
    def closing(self) -> int:
        return self.lines[-1].balance if self.lines else self.opening

    @property
    def charged(self) -> int:
        return sum(line.charged for line in self.lines)

    @property
    def credited(self) -> int:
        return sum(line.credited for line in self.lines)

    @property
    def received(self) -> int:
        return sum(line.received for line in self.lines)


def customer_statement(*, user, domain_id: int, start: dt.date, end: dt.date) -> Statement:
    """The customer's statement from `start` to `end`, both included (documents by their date of issue,
    payments by the day they were paid)."""
    check(user, VIEW_INVOICING)
    documents = IssuedInvoice.objects.filter(domain_id=domain_id)
    payments = InvoicePayment.objects.filter(invoice__domain_id=domain_id)
    before = documents.filter(issue_date__lt=start).aggregate(t=Coalesce(Sum("total"), 0))["t"]
    paid_before = payments.filter(paid_on__lt=start).aggregate(t=Coalesce(Sum("amount"), 0))["t"]
    events: list[tuple] = []
    for document in documents.filter(issue_date__range=(start, end)).order_by("issue_date", "number"):
        events.append(
            (document.issue_date, 0, document.number, document.kind, document.number_written, document.total)
        )
    in_period = (
        payments.filter(paid_on__range=(start, end)).select_related("invoice").order_by("paid_on", "pk")
    )
    for payment in in_period:
        invoice = payment.invoice
        events.append((payment.paid_on, 1, invoice.number, PAYMENT, invoice.number_written, payment.amount))
    balance = before - paid_before
    opening, lines = balance, []
    for date, _order, number, kind, written, amount in sorted(events, key=lambda event: event[:3]):
        charged = amount if kind != PAYMENT and amount >= 0 else 0
        credited = -amount if kind != PAYMENT and amount < 0 else 0
        received = amount if kind == PAYMENT else 0
        balance += charged - credited - received
        lines.append(StatementLine(date, kind, number, written, charged, credited, received, balance))
    return Statement(domain_id=domain_id, start=start, end=end, opening=opening, lines=lines)


def statement_kind_label(kind: str) -> str:
    """The line's kind in words, in the active language."""
    if kind == PAYMENT:
        return pgettext("statement", "Payment")
    return str(DocumentKind(kind).label)
