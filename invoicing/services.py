"""Writes of the partner's invoices to its customers: the billing details (audited, as the portal's own data
is), and issuing: each ready draft of a month becomes an invoice with the next number of a gap-free sequence.

**Gap-free and once.** `invoice_issue` locks the counter row (`select_for_update`) and, in the same
transaction, checks that the customer's invoice of the month is not issued yet, stores the invoice with the
counter's number and moves the counter on: a number is taken only with its invoice (a failure rolls both
back), two issuers wait for each other on the lock, and the second finds the invoice the first stored. The
unique constraints (the number; the month and customer) hold it again in the database. A run interrupted (a
dead worker) is run again under the same id: what was issued is skipped, the rest issued.

**Number first, render after.** The lock is held only to number the invoice and store its facts (issuer,
recipient, lines, totals): the PDF, a deterministic rendering of those stored facts, is rendered after the
commit and stored once with its SHA-256 (`invoice_pdf_render`). Until then the invoice is "being prepared";
a worker that died in between leaves it so, and the resumed run or a retry renders it (`month_pdfs_render`).
"""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from invoicing import document, drafts, selectors
from invoicing.models import CustomerBilling, InvoiceCounter, IssuedInvoice, IssuerDetails, IssueRun
from invoicing.permissions import CHANGE_INVOICING
from portal.core import clock
from portal.core.access import check
from portal.core.models import AuditEntry
from portal.core.services import audit_record

COUNTER = "invoice"


def _changed(before: dict, after: dict) -> dict:
    return {
        key: {"before": before.get(key), "after": value}
        for key, value in after.items()
        if before.get(key) != value
    }


def issuer_details_set(*, actor, **values) -> bool:
    """Set the partner's billing details (the issuer of its invoices). False when nothing changes (nothing is
    recorded); otherwise one audit entry (`portal.setIssuerDetails`) with what changed, before and after."""
    check(actor, CHANGE_INVOICING)
    with transaction.atomic():
        issuer = IssuerDetails.objects.select_for_update().filter(pk=1).first()
        before = selectors.issuer_mapping() or {}
        after = {key: values[key] for key in selectors.ISSUER_FIELDS}
        changed = _changed(before, after)
        if issuer is not None and not changed:
            return False
        IssuerDetails.objects.update_or_create(pk=1, defaults=after)
        audit_record(
            actor=actor,
            operation_id="portal.setIssuerDetails",
            outcome=AuditEntry.Outcome.SUCCEEDED,
            sent={"changed": changed},
        )
    return True


def customer_billing_set(*, actor, domain_id: int, **values) -> bool:
    """Set how a customer is billed. False when nothing changes; otherwise one audit entry
    (`portal.setCustomerBilling`) for the customer, with what changed, before and after."""
    check(actor, CHANGE_INVOICING)
    with transaction.atomic():
        row = CustomerBilling.objects.select_for_update().filter(domain_id=domain_id).first()
        before = {key: getattr(row, key) for key in selectors.RECIPIENT_FIELDS} if row else {}
        after = {key: values[key] for key in selectors.RECIPIENT_FIELDS}
        changed = _changed(before, after)
        if row is not None and not changed:
            return False
        CustomerBilling.objects.update_or_create(domain_id=domain_id, defaults=after)
        audit_record(
            actor=actor,
            operation_id="portal.setCustomerBilling",
            outcome=AuditEntry.Outcome.SUCCEEDED,
            domain_id=domain_id,
            sent={"changed": changed},
        )
    return True


# --- issuing -------------------------------------------------------------------------------------------------


def _after_last_issued() -> int:
    """Where the sequence starts when its row is missing (its migration makes it; a database emptied since, as a
    test's flush does, has none): after the last number issued, so it stays gap-free."""
    return (IssuedInvoice.objects.aggregate(last=Max("number"))["last"] or 0) + 1


def invoice_issue(
    *, draft: drafts.Draft, year: int, month: int, user, run: IssueRun | None = None
) -> IssuedInvoice | None:
    """Issue one ready draft: the next number of the sequence, in one transaction with the invoice. None when
    the customer's invoice of the month was issued already (a double click, another user, a retried task)."""
    if not draft.ready:
        return None
    issuer = selectors.issuer_mapping()
    try:
        with transaction.atomic():
            counter, _made = InvoiceCounter.objects.select_for_update().get_or_create(
                key=COUNTER, defaults={"next_number": _after_last_issued}
            )
            if IssuedInvoice.objects.filter(year=year, month=month, domain_id=draft.domain_id).exists():
                return None
            invoice = IssuedInvoice(
                number=counter.next_number,
                year=year,
                month=month,
                domain_id=draft.domain_id,
                customer_name=draft.customer_name,
                language=draft.language,
                issue_date=draft.issue_date,
                due_date=draft.due_date,
                issuer=issuer,
                recipient={k: v for k, v in (draft.recipient or {}).items() if k != "domain_id"},
                lines=drafts.lines_written(draft),
                per_rate=[{"rate": r.rate, "amount": r.amount, "tax": r.tax} for r in draft.per_rate],
                subtotal=draft.subtotal,
                tax=draft.tax,
                total=draft.total,
                issued_at=timezone.now(),
                issued_by=user if getattr(user, "is_authenticated", False) else None,
            )
            invoice.save(force_insert=True)
            InvoiceCounter.objects.filter(key=COUNTER).update(next_number=F("next_number") + 1)
            if run is not None:
                IssueRun.objects.filter(pk=run.pk).update(issued=F("issued") + 1)
            audit_record(
                actor=user,
                operation_id="portal.issueCustomerInvoice",
                outcome=AuditEntry.Outcome.SUCCEEDED,
                domain_id=draft.domain_id,
                sent={"number": invoice.number, "month": f"{year}-{month:02d}", "total": invoice.total},
            )
    except IntegrityError:
        # The month's invoice of this customer was stored by another transaction in between: issued once.
        return None
    # Numbered and committed: the PDF is rendered outside the counter's lock.
    invoice_pdf_render(invoice)
    return invoice


class IssueRefused(Exception):
    pass


def month_issue_request(*, user, year: int, month: int) -> IssueRun:
    """Issue the month's ready drafts in the background (the page polls the run). A run of the month already
    under way is returned and queued again (a dead worker's run resumes; issuing skips what is issued)."""
    check(user, CHANGE_INVOICING)
    ready = selectors.ready_drafts(user=user, year=year, month=month, issue_date=clock.today())
    run = IssueRun.objects.filter(year=year, month=month, finished_at=None).first()
    if run is None:
        if not ready and not pdfs_missing(year=year, month=month):
            raise IssueRefused(_("No draft of this month is ready to issue."))
        try:
            with transaction.atomic():
                run = IssueRun.objects.create(year=year, month=month, requested_by=user, total=len(ready))
        except IntegrityError:
            run = IssueRun.objects.get(year=year, month=month, finished_at=None)
    run_id = run.pk
    transaction.on_commit(lambda: month_issue_task.delay(run_id))
    return run


def month_issue(*, run_id: int) -> IssueRun:
    """The work of a run: issue each ready draft of its month, then mark the run finished. Run again under the
    same id (a retried or redelivered task, a dead worker's run), it issues only what is not issued yet."""
    run = IssueRun.objects.select_related("requested_by").get(pk=run_id)
    if run.finished_at is not None:
        return run
    user = run.requested_by or get_user_model()(username="system")
    try:
        # A dead worker's invoices numbered without their PDF first, then the drafts not issued yet.
        month_pdfs_render(year=run.year, month=run.month)
        ready = selectors.ready_drafts(user=user, year=run.year, month=run.month, issue_date=clock.today())
        for draft in ready:
            invoice_issue(draft=draft, year=run.year, month=run.month, user=user, run=run)
        month_pdfs_render(year=run.year, month=run.month)
    except Exception as error:
        IssueRun.objects.filter(pk=run_id).update(finished_at=timezone.now(), error=str(error)[:500])
        raise
    IssueRun.objects.filter(pk=run_id, finished_at=None).update(finished_at=timezone.now())
    run.refresh_from_db()
    return run


@shared_task(name="invoicing.issue_month", ignore_result=True, acks_late=True)
def month_issue_task(run_id: int) -> None:
    month_issue(run_id=run_id)


# --- the PDF, rendered after the number (h17) ------------------------------------------------------------------


def invoice_pdf_render(invoice: IssuedInvoice) -> bool:
    """Render a numbered invoice's PDF from its stored facts and store it with its SHA-256, once. False when
    it had its PDF already (or another renderer stored the same bytes first)."""
    if invoice.pdf_sha256:
        return False
    pdf = document.invoice_pdf(invoice)
    digest = document.sha256(pdf)
    stored = IssuedInvoice.objects.filter(pk=invoice.pk).pdf_store_once(pdf=pdf, sha256=digest)
    if stored:
        invoice.pdf, invoice.pdf_sha256 = pdf, digest
    return bool(stored)


def pdfs_missing(*, year: int, month: int) -> list[int]:
    """The numbers of the month's invoices still being prepared (numbered, no PDF yet)."""
    return list(
        IssuedInvoice.objects.filter(year=year, month=month, pdf_sha256="")
        .order_by("number")
        .values_list("number", flat=True)
    )


def month_pdfs_render(*, year: int, month: int) -> int:
    """Render the PDFs of the month's invoices numbered without one (a worker died in between): how many."""
    rendered = 0
    for number in pdfs_missing(year=year, month=month):
        invoice = IssuedInvoice.objects.filter(number=number).first()
        if invoice is not None and invoice_pdf_render(invoice):
            rendered += 1
    return rendered
