"""Records as the law asks, as the Records page reads them: the retention rules of the records the law names
(`records_rules`: the issued documents, LINE WORKS' invoices received, the audit trail, and the exports
themselves, read from the contributed declarations), the latest exports (`records_exports`, `records_export_get`),
and one issued document's history (`document_history`: issued, each attempt to send it, each payment, each
correction, with who and when), made from the rows the document's page reads anyway."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.dates import MONTHS
from django.utils.translation import gettext as _

from billing.templatetags.billing import yen
from invoicing.models import (
    DocumentKind,
    InvoicePayment,
    InvoiceSending,
    IssuedInvoice,
    PaymentReminder,
    RecordsExport,
)
from invoicing.permissions import VIEW_INVOICING
from portal.core.access import check
from portal.core.retention import rules

#: The tables of the records the law names, in the order the page states their rules.
RECORDS = ("invoicing.IssuedInvoice", "billing.Invoice", "core.AuditEntry", "invoicing.RecordsExport")
#: How many of the latest exports the page lists.
EXPORTS_SHOWN = 10


def records_rules(*, user) -> dict[str, Any]:
    """Each retention rule of the records the law names: what, for how long, counted from which date, why (the
    legal minimum, or the setting that changes it), its oldest row and the first day that row may be removed (one
    indexed read per rule, as the Data kept page reads it)."""
    check(user, VIEW_INVOICING)
    shown = []
    for rule in sorted((r for r in rules() if r.model in RECORDS), key=lambda r: RECORDS.index(r.model)):
        model = rule.model_class
        oldest = rule.oldest()
        shown.append(
            {
                "table": rule.table or model._meta.verbose_name_plural,
                "kept": rule.kept,
                "keep": rule.keep.words(),
                "counted_from": model._meta.get_field(rule.date_field).verbose_name,
                "reason": rule.reason,
                "setting": rule.setting,
                "oldest": oldest,
                "removal": rule.removal_date(oldest) if oldest else None,
            }
        )
    return {
        "rules": shown,
        "tax_year_end": MONTHS[settings.TAX_YEAR_END_MONTH],
        "keep_days": settings.RETENTION_RECORDS_EXPORT_DAYS,
    }


def selection_described(filters: dict[str, Any]) -> list[str]:
    """An export's selection in the reader's words, one phrase per filter (none: every document issued)."""
    said = []
    if filters.get("q"):
        said.append(_("Customer: %(q)s") % {"q": filters["q"]})
    since, until = filters.get("issued_from"), filters.get("issued_to")
    if since or until:
        said.append(_("Issued %(since)s to %(until)s") % {"since": since or "…", "until": until or "…"})
    low, high = filters.get("total_min"), filters.get("total_max")
    if low is not None or high is not None:
        said.append(
            _("Total %(low)s to %(high)s")
            % {"low": "…" if low is None else yen(low), "high": "…" if high is None else yen(high)}
        )
    return said or [_("Every document issued")]


def _described(export: RecordsExport) -> RecordsExport:
    export.selection = selection_described(export.filters or {})  # type: ignore[attr-defined]
    return export


def records_exports(*, user) -> list[RecordsExport]:
    """The latest exports, newest first, with who asked for each and their selection in words."""
    check(user, VIEW_INVOICING)
    latest = RecordsExport.objects.select_related("requested_by").order_by("-requested_at", "-pk")
    return [_described(export) for export in latest[:EXPORTS_SHOWN]]


def records_export_get(*, user, export_id: int) -> RecordsExport | None:
    check(user, VIEW_INVOICING)
    export = RecordsExport.objects.select_related("requested_by").filter(pk=export_id).first()
    return _described(export) if export else None


@dataclass(frozen=True)
class HistoryEvent:
    """One thing that happened to an issued document: when, what (in the reader's words), by whom (None: the
    portal's worker), and the document it names, if another (a correction)."""

    at: dt.datetime
    what: str
    by: Any = None
    number: int | None = None
    state: str = ""


def _sent(attempt: InvoiceSending) -> HistoryEvent:
    words = {
        InvoiceSending.Outcome.SENT: _("Sent by e-mail to %(to)s"),
        InvoiceSending.Outcome.FAILED: _("Could not be sent by e-mail to %(to)s"),
    }.get(attempt.outcome, _("Being sent by e-mail to %(to)s"))
    state = {InvoiceSending.Outcome.SENT: "ok", InvoiceSending.Outcome.FAILED: "danger"}.get(
        attempt.outcome, "info"
    )
    return HistoryEvent(attempt.attempted_at, words % {"to": attempt.to}, attempt.attempted_by, state=state)


def _reminded(reminder: PaymentReminder) -> HistoryEvent:
    words = {
        PaymentReminder.Outcome.SENT: _("Payment reminder %(step)s (%(tone)s) sent by e-mail to %(to)s"),
        PaymentReminder.Outcome.FAILED: _("Payment reminder %(step)s (%(tone)s) could not be sent to %(to)s"),
    }.get(reminder.outcome, _("Payment reminder %(step)s (%(tone)s) being sent to %(to)s"))
    state = {PaymentReminder.Outcome.SENT: "ok", PaymentReminder.Outcome.FAILED: "danger"}.get(
        reminder.outcome, "info"
    )
    said = {"step": reminder.step_id, "tone": reminder.get_tone_display(), "to": reminder.to}
    return HistoryEvent(reminder.attempted_at, words % said, reminder.attempted_by, state=state)


def _paid(payment: InvoicePayment) -> HistoryEvent:
    return HistoryEvent(
        payment.recorded_at,
        _("Payment of %(amount)s received on %(day)s recorded")
        % {"amount": yen(payment.amount), "day": payment.paid_on.strftime("%Y-%m-%d")},
        payment.recorded_by,
    )


def _corrected(correction: IssuedInvoice) -> HistoryEvent:
    words = (
        _("Credited by credit note No. %(number)s (%(total)s)")
        if correction.kind == DocumentKind.CREDIT_NOTE
        else _("Replaced by corrected invoice No. %(number)s (%(total)s)")
    )
    return HistoryEvent(
        correction.issued_at,
        words % {"number": correction.number, "total": yen(correction.total)},
        correction.issued_by,
        number=correction.number,
    )


def _issued(invoice: IssuedInvoice) -> HistoryEvent:
    if invoice.kind == DocumentKind.CREDIT_NOTE:
        words = _("Issued as a credit note of No. %(number)s")
    elif invoice.kind == DocumentKind.CORRECTED:
        words = _("Issued as the corrected invoice of No. %(number)s")
    else:
        words = _("Document issued")
    return HistoryEvent(
        invoice.issued_at,
        words % {"number": invoice.original_number},
        invoice.issued_by,
        number=invoice.original_number,
    )


def document_history(
    invoice: IssuedInvoice,
    *,
    sendings: list[InvoiceSending],
    payments: list[InvoicePayment],
    corrections: list[IssuedInvoice],
    reminders: list[PaymentReminder] | None = None,
) -> list[HistoryEvent]:
    """The document's history, oldest first: issued (a correction: of which document), each attempt to send it,
    each payment recorded, each payment reminder, each credit note or corrected invoice that refers to it; with
    who did each (a reminder of the daily run: the portal). Made from
    the rows its page reads anyway (its attempts, payments and corrections, each with its person joined): no
    query of its own, however long the history. Each of these is in the audit trail too, kept as long."""
    events = [
        _issued(invoice),
        *(_sent(s) for s in sendings),
        *(_paid(p) for p in payments),
        *(_reminded(r) for r in reminders or []),
        *(_corrected(c) for c in corrections),
    ]
    return sorted(events, key=lambda e: e.at)
