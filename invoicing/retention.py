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
from portal.core.retention import KeepTaxRecords, Retention

#: The audit entries of issuing a document: kept with the documents.
ISSUING = ("portal.issueCustomerInvoice", "portal.issueCreditNote", "portal.issueCorrectedInvoice")


def remove_documents(model: type[models.Model], ids: Sequence[Any]) -> None:
    """Remove a batch of issued documents (none of them the original of a document still kept: the rule's
    `removable`), their payments and sendings, and, once the batch is committed, each PDF file no remaining row
    points to (the bench seed has many rows share one file)."""
    from invoicing import storage
    from invoicing.models import InvoicePayment, InvoiceSending

    names = set(
        models.QuerySet(model=model)
        .filter(pk__in=ids)
        .exclude(pdf="")
        .exclude(pdf=None)
        .values_list("pdf", flat=True)
    )
    models.QuerySet(model=InvoicePayment).filter(invoice_id__in=ids).delete()
    models.QuerySet(model=InvoiceSending).filter(invoice_id__in=ids).delete()
    models.QuerySet(model=model).filter(pk__in=ids).delete()

    def _remove_files() -> None:
        still = set(model.objects.filter(pdf__in=names).values_list("pdf", flat=True))
        for name in names - still:
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
    _documents("invoice", _("Issued invoices and their PDFs, with their payments and sendings")),
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
    kept.months_rule(
        month="invoicing.DraftMonth",
        copy="invoicing.DraftCopy",
        table=_("Kept invoice drafts"),
        kept=_("Each month's invoice drafts per customer as the worker keeps them for the drafts pages"),
    ),
]
