"""An issued document as its pages show it: what it still asks (`owed`, from what is `paid` and
`credited`), with its e-mail, its attempts to send it and its payments (`IssuedRow`, read for a page of them at
once by `issued_rows`), in full (`issued_detail`), and the invoices overdue (the worklist's)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce

from invoicing.models import (
    CustomerBilling,
    DocumentKind,
    InvoicePayment,
    InvoiceSending,
    IssuedInvoice,
    OpenInvoice,
    OpenInvoiceDue,
)
from invoicing.permissions import VIEW_INVOICING
from portal.core import clock
from portal.core.access import check


def issued_get(*, user, number: int) -> IssuedInvoice | None:
    check(user, VIEW_INVOICING)
    return IssuedInvoice.objects.filter(number=number).first()


def credited(invoice: IssuedInvoice) -> int:
    """What the credit notes referring to the invoice take off what it owes (their totals are negative)."""
    notes = IssuedInvoice.objects.filter(original=invoice, kind=DocumentKind.CREDIT_NOTE)
    return -notes.aggregate(total=Coalesce(Sum("total"), 0))["total"]


def paid(invoice: IssuedInvoice) -> int:
    return invoice.payments.aggregate(paid=Coalesce(Sum("amount"), 0))["paid"]


def owed(invoice: IssuedInvoice) -> int:
    """What the invoice still asks: its total less what is paid and what credit notes took off (never below 0)."""
    return max(invoice.total - paid(invoice) - credited(invoice), 0)


def overdue_invoices(*, today: dt.date):
    """Issued invoices past their due date and not fully paid or credited, the longest overdue first (the
    worklist's section), as rows of what each still asks (`OpenInvoice`: `owed`, `paid`, `due_date`, `number`;
    the invoice's own columns through `invoice__`): read along the open invoices' due-date index, however many
    invoices were ever issued."""
    return OpenInvoice.objects.filter(due_date__lt=today).order_by("due_date", "number")


def overdue_invoices_count(*, today: dt.date) -> int:
    """How many issued invoices are past their due date and not fully paid or credited: the open invoices'
    counts by due date (`OpenInvoiceDue`, kept by triggers) summed before today, one row per due date however
    many invoices, where counting `overdue_invoices` read an entry per invoice."""
    return OpenInvoiceDue.objects.filter(due_date__lt=today).aggregate(n=Coalesce(Sum("n"), 0))["n"]


@dataclass
class IssuedRow:
    """An issued invoice as the month's issued page shows it: where it goes, its last attempt to send it and its
    last one that went out (with how many did), what is paid."""

    invoice: IssuedInvoice
    #: Where a send of it goes now; in the month's list, for an invoice sent, where it last went
    #: (`issued_rows`'s `as_sent`).
    email: str
    last_sending: InvoiceSending | None
    paid: int
    today: dt.date
    #: What credit notes took off it (a credit note itself owes nothing and is not paid).
    credited: int = 0
    #: The last attempt that went out, and how many did (an invoice may be sent again).
    last_sent: InvoiceSending | None = None
    times_sent: int = 0

    @property
    def sent(self) -> bool:
        """Sent at least once (a later attempt to send it again may have failed or be under way)."""
        return self.times_sent > 0

    @property
    def failed(self) -> bool:
        return self.last_sending is not None and self.last_sending.outcome == InvoiceSending.Outcome.FAILED

    @property
    def sending(self) -> bool:
        return self.last_sending is not None and self.last_sending.outcome == InvoiceSending.Outcome.SENDING

    @property
    def owed(self) -> int:
        if self.invoice.kind == DocumentKind.CREDIT_NOTE:
            return 0
        return max(self.invoice.total - self.paid - self.credited, 0)

    @property
    def payment_state(self) -> str:
        if self.invoice.kind == DocumentKind.CREDIT_NOTE:
            return "credit_note"
        if self.owed == 0:
            return "credited" if self.credited and self.paid < self.invoice.total else "paid"
        return "partly" if self.paid or self.credited else "unpaid"

    @property
    def overdue(self) -> bool:
        return self.owed > 0 and self.invoice.due_date < self.today


def of_invoices(field: str, ids: list[int]) -> Q:
    """The rows whose `field` (an issued invoice's key) is among `ids`, as the index reads them best: PostgreSQL
    descends the index once per value of a list, so the ids are cut into runs (`runs_of`) and each run of more
    than one read as a range of the index (its rows of another invoice are ignored by the caller, which reads
    them by invoice). A page of the month's list in number order is one run (issued in one run); searched, in
    customer order, a run for each stretch of customers whose invoices were numbered together; ids far apart
    stay a list."""
    ranges = Q()
    alone = []
    for run in runs_of(ids):
        if len(run) == 1:
            alone.extend(run)
        else:
            ranges |= Q(**{f"{field}__gte": run[0], f"{field}__lte": run[-1]})
    return ranges | Q(**{f"{field}__in": alone}) if alone or not ranges else ranges


def runs_of(ids: list[int]) -> list[list[int]]:
    """`ids`, sorted without repeats, cut into runs that each span less than twice as many ids as they hold (so
    a range of a run reads at most about as many rows again of other keys)."""
    runs: list[list[int]] = []
    for key in sorted(set(ids)):
        if runs and key - runs[-1][0] < 2 * (len(runs[-1]) + 1):
            runs[-1].append(key)
        else:
            runs.append([key])
    return runs


def issued_rows(invoices: list[IssuedInvoice], *, as_sent: bool = False) -> list[IssuedRow]:
    """Each invoice with its e-mail, its attempts to send it, its payments and its credit notes (five queries
    whatever their number; rows of other invoices that `of_invoices` reads are left out).

    Its e-mail is where a send of it goes now: the customer's e-mail for invoices, else the one it was issued
    to. `as_sent` (a list of the month's invoices): an invoice sent shows the address it last went to, so only
    the invoices not sent read their customer's billing details; a month sent reads none, where each row's
    customer was read by key, one page of the table apart from the next (`python -m bench scale`, the month's
    issued invoices). The invoice's own page keeps the address a send again goes to."""
    ids = [i.pk for i in invoices]
    last: dict[int, InvoiceSending] = {}
    last_sent: dict[int, InvoiceSending] = {}
    times_sent: dict[int, int] = {}
    for attempt in InvoiceSending.objects.filter(of_invoices("invoice_id", ids)).order_by(
        "attempted_at", "pk"
    ):
        last[attempt.invoice_id] = attempt
        if attempt.outcome == InvoiceSending.Outcome.SENT:
            last_sent[attempt.invoice_id] = attempt
            times_sent[attempt.invoice_id] = times_sent.get(attempt.invoice_id, 0) + 1
    sent_to = {pk: attempt.to for pk, attempt in last_sent.items()} if as_sent else {}
    current = {i.domain_id for i in invoices if i.pk not in sent_to}
    emails = dict(
        CustomerBilling.objects.filter(domain_id__in=current).values_list("domain_id", "invoice_email")
        if current
        else ()
    )
    paid_by = dict(
        InvoicePayment.objects.filter(of_invoices("invoice_id", ids))
        .order_by()
        .values("invoice_id")
        .annotate(s=Sum("amount"))
        .values_list("invoice_id", "s")
    )
    credited_by = dict(
        IssuedInvoice.objects.filter(of_invoices("original_id", ids), kind=DocumentKind.CREDIT_NOTE)
        .order_by()
        .values("original_id")
        .annotate(s=-Sum("total"))
        .values_list("original_id", "s")
    )
    today = clock.today()
    return [
        IssuedRow(
            invoice=i,
            email=sent_to.get(i.pk)
            or emails.get(i.domain_id)
            or (i.recipient or {}).get("invoice_email")
            or "",
            last_sending=last.get(i.pk),
            last_sent=last_sent.get(i.pk),
            times_sent=times_sent.get(i.pk, 0),
            paid=paid_by.get(i.pk, 0),
            today=today,
            credited=credited_by.get(i.pk, 0),
        )
        for i in invoices
    ]


@dataclass
class IssuedDetail:
    row: IssuedRow
    sendings: list[InvoiceSending]
    payments: list[InvoicePayment]


def issued_detail(*, user, number: int) -> IssuedDetail | None:
    """One issued invoice with every attempt to send it and every payment, newest first."""
    check(user, VIEW_INVOICING)
    invoice = IssuedInvoice.objects.select_related("issued_by").filter(number=number).first()
    if invoice is None:
        return None
    [row] = issued_rows([invoice])
    return IssuedDetail(
        row=row,
        sendings=list(invoice.sendings.select_related("attempted_by").order_by("-attempted_at", "-pk")),
        payments=list(invoice.payments.select_related("recorded_by").order_by("-paid_on", "-pk")),
    )
