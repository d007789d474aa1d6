"""Writes of the partner's invoices to its customers: the billing details (audited, as the portal's own data
is), and issuing: each ready draft of a month becomes an invoice with the next number of a gap-free sequence.

**Gap-free and once.** `invoice_issue` locks the counter row (`select_for_update`) and, in the same
transaction, checks that the customer's invoice of the month is not issued yet, stores the invoice with the
counter's number and moves the counter on: a number is taken only with its invoice (a failure rolls both
back), two issuers wait for each other on the lock, and the second finds the invoice the first stored. The
unique constraints (the number; the month and customer) hold it again in the database. A run interrupted (a
dead worker) is run again under the same id: what was issued is skipped, the rest issued.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from invoicing import corrections, document, drafts, selectors
from invoicing.models import (
    CustomerBilling,
    DocumentKind,
    DraftPriceEdit,
    InvoiceCounter,
    IssuedInvoice,
    IssuerDetails,
    IssueRun,
)
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
            invoice.pdf = document.invoice_pdf(invoice)
            invoice.pdf_sha256 = document.sha256(invoice.pdf)
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
        if not ready:
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
        ready = selectors.ready_drafts(user=user, year=run.year, month=run.month, issue_date=clock.today())
        for draft in ready:
            invoice_issue(draft=draft, year=run.year, month=run.month, user=user, run=run)
    except Exception as error:
        IssueRun.objects.filter(pk=run_id).update(finished_at=timezone.now(), error=str(error)[:500])
        raise
    IssueRun.objects.filter(pk=run_id, finished_at=None).update(finished_at=timezone.now())
    run.refresh_from_db()
    return run


@shared_task(name="invoicing.issue_month", ignore_result=True, acks_late=True)
def month_issue_task(run_id: int) -> None:
    month_issue(run_id=run_id)


# --- corrections (h16): credit notes and corrected invoices, numbered like every invoice -----------------------


def _locked_counter() -> InvoiceCounter:
    counter, _made = InvoiceCounter.objects.select_for_update().get_or_create(
        key=COUNTER, defaults={"next_number": _after_last_issued}
    )
    return counter


def _store_numbered(document_row: IssuedInvoice, *, pdf) -> IssuedInvoice:
    """Store `document_row` (its number taken from the locked counter) with its PDF and SHA-256, and move the
    counter on; the caller holds the counter's lock in its transaction."""
    document_row.pdf = pdf(document_row)
    document_row.pdf_sha256 = document.sha256(document_row.pdf)
    document_row.save(force_insert=True)
    InvoiceCounter.objects.filter(key=COUNTER).update(next_number=F("next_number") + 1)
    return document_row


def _issuer_or_refuse() -> dict:
    issuer = selectors.issuer_mapping()
    problems = drafts.issuer_problems(issuer)
    if problems:
        raise corrections.CorrectionRefused(" ".join(problems))
    assert issuer is not None
    return issuer


def _credit_note(
    *,
    original: IssuedInvoice,
    credits: dict[int, int],
    issuer: dict,
    number: int,
    user,
    return_date,
    reason: str,
    key: str,
) -> IssuedInvoice:
    """A credit note of `credits` (line index → yen) of `original`, numbered `number`, not stored yet. Read
    under the counter's lock, so two credit notes of one invoice never credit the same yen twice."""
    earlier = list(
        IssuedInvoice.objects.filter(original=original, kind=DocumentKind.CREDIT_NOTE).values_list(
            "lines", "per_rate"
        )
    )
    left = corrections.remaining(original.lines, [lines for lines, _rates in earlier])
    if not any(credits.values()):
        raise corrections.CorrectionRefused(_("Nothing is credited: give an amount on at least one line."))
    try:
        lines = corrections.credit_lines(original.lines, credits, left)
    except corrections.CorrectionRefused:
        raise corrections.CorrectionRefused(
            _("A line is credited more than is left on it; another credit note was issued meanwhile.")
        ) from None
    per_rate = corrections.credit_per_rate(
        original_lines=original.lines,
        original_per_rate=original.per_rate,
        earlier=earlier,
        lines=lines,
        rounding=settings.INVOICE_TAX_ROUNDING,
    )
    today = clock.today()
    subtotal = sum(r["amount"] for r in per_rate)
    tax = sum(r["tax"] for r in per_rate)
    return IssuedInvoice(
        number=number,
        kind=DocumentKind.CREDIT_NOTE,
        original=original,
        year=original.year,
        month=original.month,
        domain_id=original.domain_id,
        customer_name=original.customer_name,
        language=original.language,
        issue_date=today,
        due_date=today,
        issuer=issuer,
        recipient=original.recipient,
        lines=lines,
        per_rate=per_rate,
        subtotal=subtotal,
        tax=tax,
        total=subtotal + tax,
        return_date=return_date,
        reason=reason,
        idempotency_key=key,
        issued_at=timezone.now(),
        issued_by=user if getattr(user, "is_authenticated", False) else None,
    )


def _correctable(original: IssuedInvoice) -> None:
    if original.kind == DocumentKind.CREDIT_NOTE:
        raise corrections.CorrectionRefused(_("A credit note is not corrected: it is final as issued."))
    replaced = (
        original.corrections.filter(kind=DocumentKind.CORRECTED).values_list("number", flat=True).first()
    )
    if replaced is not None:
        raise corrections.CorrectionRefused(
            _("Invoice No. %(number)s replaced it: correct that one instead.") % {"number": replaced}
        )


def credit_note_issue(
    *, user, number: int, credits: dict[int, int], return_date, reason: str, key: str
) -> IssuedInvoice:
    """Issue a credit note cancelling `credits` (line index → yen, tax excluded) of issued invoice `number`:
    the next number of the sequence, its PDF and SHA-256, one audit entry. Issued once per `key` (the form's
    idempotency key): a double submit gets the credit note the first issued."""
    check(user, CHANGE_INVOICING)
    issuer = _issuer_or_refuse()
    try:
        with transaction.atomic():
            counter = _locked_counter()
            done = IssuedInvoice.objects.filter(idempotency_key=key).first()
            if done is not None:
                return done
            original = IssuedInvoice.objects.get(number=number)
            _correctable(original)
            note = _credit_note(
                original=original,
                credits=credits,
                issuer=issuer,
                number=counter.next_number,
                user=user,
                return_date=return_date,
                reason=reason,
                key=key,
            )
            _store_numbered(note, pdf=document.credit_note_pdf)
            audit_record(
                actor=user,
                operation_id="portal.issueCreditNote",
                outcome=AuditEntry.Outcome.SUCCEEDED,
                domain_id=original.domain_id,
                sent={"number": note.number, "original": original.number, "total": note.total},
                reason=reason,
            )
    except IntegrityError:
        # The same submission stored by another transaction in between (the key is unique): issued once.
        stored = IssuedInvoice.objects.filter(idempotency_key=key).first()
        if stored is None:
            raise
        return stored
    return note


def correction_draft(*, user, original: IssuedInvoice) -> drafts.Draft | None:
    """The month's draft of the original's customer as it stands now: what a corrected invoice would say."""
    return selectors.draft_get(
        user=user, year=original.year, month=original.month, domain_id=original.domain_id
    )


def corrected_invoice_issue(*, user, number: int, reason: str, key: str) -> IssuedInvoice:
    """Replace issued invoice `number`: a credit note of everything still owed on it and a corrected invoice
    made from the month's draft as it stands now (after the price book, a price on the draft or the billing
    details were put right), both in one transaction with consecutive numbers. Issued once per `key`."""
    check(user, CHANGE_INVOICING)
    issuer = _issuer_or_refuse()
    original = IssuedInvoice.objects.filter(number=number).first()
    if original is None:
        raise corrections.CorrectionRefused(_("No invoice has this number."))
    draft = correction_draft(user=user, original=original)
    if draft is None or draft.blocked:
        raise corrections.CorrectionRefused(
            " ".join(draft.blocked)
            if draft is not None
            else _("The month has no draft for this customer any more: issue a credit note instead.")
        )
    try:
        with transaction.atomic():
            counter = _locked_counter()
            done = IssuedInvoice.objects.filter(idempotency_key=f"{key}+").first()
            if done is not None:
                return done
            _correctable(original)
            earlier = IssuedInvoice.objects.filter(original=original, kind=DocumentKind.CREDIT_NOTE)
            left = corrections.remaining(original.lines, [n.lines for n in earlier])
            next_number = counter.next_number
            if any(left):
                note = _credit_note(
                    original=original,
                    credits={i: amount for i, amount in enumerate(left) if amount},
                    issuer=issuer,
                    number=next_number,
                    user=user,
                    return_date=clock.today(),
                    reason=reason,
                    key=key,
                )
                _store_numbered(note, pdf=document.credit_note_pdf)
                next_number += 1
            corrected = IssuedInvoice(
                number=next_number,
                kind=DocumentKind.CORRECTED,
                original=original,
                year=original.year,
                month=original.month,
                domain_id=original.domain_id,
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
                reason=reason,
                idempotency_key=f"{key}+",
                issued_at=timezone.now(),
                issued_by=user if getattr(user, "is_authenticated", False) else None,
            )
            _store_numbered(corrected, pdf=document.invoice_pdf)
            audit_record(
                actor=user,
                operation_id="portal.issueCorrectedInvoice",
                outcome=AuditEntry.Outcome.SUCCEEDED,
                domain_id=original.domain_id,
                sent={"number": corrected.number, "original": original.number, "total": corrected.total},
                reason=reason,
            )
    except IntegrityError:
        stored = IssuedInvoice.objects.filter(idempotency_key=f"{key}+").first()
        if stored is None:
            raise
        return stored
    return corrected


# --- price edits on drafts (h16) -----------------------------------------------------------------------------


def draft_price_set(
    *,
    actor,
    year: int,
    month: int,
    domain_id: int,
    item_id: str,
    plan: str,
    unit_price: int | None,
    book_price: int,
) -> bool:
    """Set Finance's unit price for an item and plan on a customer's draft of a month (None, or the price book's
    own price, goes back to the book). False when nothing changes (nothing recorded); otherwise one audit entry
    (`portal.setDraftPrice`) for the customer with the item, the book's price and the price before and after."""
    check(actor, CHANGE_INVOICING)
    if unit_price == book_price:
        unit_price = None
    with transaction.atomic():
        row = (
            DraftPriceEdit.objects.select_for_update()
            .filter(year=year, month=month, domain_id=domain_id, item_id=item_id, plan=plan)
            .first()
        )
        before = None if row is None or row.book_price != book_price else row.unit_price
        if before == unit_price and (row is None) == (unit_price is None):
            return False
        if unit_price is None:
            DraftPriceEdit.objects.filter(pk=row.pk).delete()
        else:
            DraftPriceEdit.objects.update_or_create(
                year=year,
                month=month,
                domain_id=domain_id,
                item_id=item_id,
                plan=plan,
                defaults={
                    "unit_price": unit_price,
                    "book_price": book_price,
                    "edited_by": actor if getattr(actor, "is_authenticated", False) else None,
                },
            )
        audit_record(
            actor=actor,
            operation_id="portal.setDraftPrice",
            outcome=AuditEntry.Outcome.SUCCEEDED,
            domain_id=domain_id,
            sent={
                "month": f"{year}-{month:02d}",
                "item": item_id,
                "plan": plan,
                "book_price": book_price,
                "before": before,
                "after": unit_price,
            },
        )
    return True
