"""How long the partner's invoice documents are kept (portal/core/retention.py): the legal minimum for copies of
issued qualified invoices (適格請求書の写し), 7 years from the day two months after the end of the tax period of
the day they were issued. The tax period is the partner's business year; the calendar year (ending in December)
unless `TAX_YEAR_END_MONTH` says otherwise. Issued invoices, corrected invoices and credit notes, their PDFs in the
documents' store and the audit entries of their issuing are all kept so; nothing here is a setting that shortens
it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.core import kept
from portal.core.retention import KeepDays, KeepTaxRecords, Retention

#: The audit entries of issuing a document: kept with the documents.
ISSUING = ("portal.issueCustomerInvoice", "portal.issueCreditNote", "portal.issueCorrectedInvoice")
#: The audit entries of what happened to a document after it was issued (sent, paid) and of handing the documents
#: to a tax officer or out of the portal: each document's history, kept as long as the document.
HISTORY = (
    "portal.sendCustomerInvoice",
    "portal.sendPaymentReminder",
    "portal.recordInvoicePayment",
    "portal.exportRecords",
    "portal.downloadRecordsExport",
)


def remove_documents(model: type[models.Model], ids: Sequence[Any]) -> None:
    """Remove a batch of issued documents (none of them the original of a document still kept: the rule's
    `removable`), their payments, sendings and payment reminders, and, once the batch is committed, each PDF file
    no remaining row points to (the bench seed has many rows share one file)."""
    from invoicing import storage
    from invoicing.models import InvoicePayment, InvoiceSending, PaymentReminder

    names = set(
        models.QuerySet(model=model)
        .filter(pk__in=ids)
        .exclude(pdf="")
        .exclude(pdf=None)
        .values_list("pdf", flat=True)
    )
    models.QuerySet(model=InvoicePayment).filter(invoice_id__in=ids).delete()
    models.QuerySet(model=InvoiceSending).filter(invoice_id__in=ids).delete()
    models.QuerySet(model=PaymentReminder).filter(invoice_id__in=ids).delete()
    models.QuerySet(model=model).filter(pk__in=ids).delete()

    def _remove_files() -> None:
        still = set(model.objects.filter(pdf__in=names).values_list("pdf", flat=True))
        for name in names - still:
            storage.documents.delete(name)

    transaction.on_commit(_remove_files)


def remove_exports(model: type[models.Model], ids: Sequence[Any]) -> None:
    """Remove a batch of records exports and, once the batch is committed, their ZIP files."""
    from invoicing import storage

    names = set(
        models.QuerySet(model=model)
        .filter(pk__in=ids)
        .exclude(zip_name="")
        .values_list("zip_name", flat=True)
    )
    models.QuerySet(model=model).filter(pk__in=ids).delete()

    def _remove_files() -> None:
        for name in names:
            storage.documents.delete(name)

    transaction.on_commit(_remove_files)


_LEGAL = KeepTaxRecords()
_WHY = _(
    "The law asks that copies of issued qualified invoices be kept 7 years from the day two months after the end "
    "of the tax period they were issued in (the tax period: the partner's business year, the calendar year unless "
    "set otherwise). This is the minimum: no setting shortens it."
)


def _documents(kind: str, kept) -> Retention:
    return Retention(
        model="invoicing.IssuedInvoice",
        table=_("Customer invoices"),
        date_field="issue_date",
        keep=_LEGAL,
        kept=kept,
        reason=_WHY,
        where=Q(kind=kind),
        # A document is removed after every correction of it (a correction refers to it).
        removable=Q(corrections__isnull=True),
        remove=remove_documents,
    )


RETENTION = [
    _documents(
        "invoice", _("Issued invoices and their PDFs, with their payments, sendings and payment reminders")
    ),
    _documents("corrected", _("Corrected invoices and their PDFs")),
    _documents("credit_note", _("Credit notes and their PDFs")),
    Retention(
        model="core.AuditEntry",
        date_field="created_at",
        keep=_LEGAL,
        kept=_("Audit entries of issuing invoices, corrected invoices and credit notes"),
        reason=_WHY,
        where=Q(operation_id__in=ISSUING),
    ),
    Retention(
        model="core.AuditEntry",
        date_field="created_at",
        keep=_LEGAL,
        kept=_(
            "Audit entries of sending customer invoices, recording their payments and exporting them for a tax "
            "officer"
        ),
        reason=_(
            "Each issued document's history (when it was sent and to whom, what was paid, to whom it was handed) "
            "is kept as long as the document itself: the law asks that the records and what was done with them "
            "can be shown for as long as the invoices are kept."
        ),
        where=Q(operation_id__in=HISTORY),
    ),
    Retention(
        model="invoicing.BankStatement",
        table=_("Bank statements"),
        date_field="date_to",
        keep=_LEGAL,
        kept=_("Bank statements imported, with each credit and what it was matched to or why not"),
        reason=_(
            "A bank statement is the record of what was received: kept as long as the invoices it pays. Its "
            "lines leave with it; the payments recorded from them leave with their invoices."
        ),
    ),
    Retention(
        model="invoicing.DebitRun",
        table=_("Direct debit requests"),
        date_field="debit_date",
        keep=_LEGAL,
        kept=_("Direct debit requests with their file, each debit and what the bank answered"),
        reason=_(
            "A direct debit request and its result are the record of what was collected: kept as long as the "
            "invoices they pay. Their debits leave with them; the payments recorded from them leave with their "
            "invoices."
        ),
    ),
    Retention(
        model="invoicing.RecordsExport",
        table=_("Records exports"),
        date_field="requested_at",
        keep=KeepDays("RETENTION_RECORDS_EXPORT_DAYS", 30),
        kept=_("ZIP files of issued documents exported for a tax officer or to leave the portal"),
        reason=_(
            "An export is a copy of documents the portal keeps anyway: a month is long enough to hand it over. "
            "Who exported what stays in the audit trail. An export still being made is never removed."
        ),
        removable=Q(finished_at__isnull=False),
        remove=remove_exports,
    ),
    kept.months_rule(
        month="invoicing.DraftMonth",
        copy="invoicing.DraftCopy",
        table=_("Kept invoice drafts"),
        kept=_("Each month's invoice drafts per customer as the worker keeps them for the drafts pages"),
    ),
]
