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
commit and stored once with its SHA-256 (`invoice_pdf_render`). A month's run numbers all its drafts first, then
its PDFs are rendered in chunks that every worker shares (`month_pdfs_render`). Until then an invoice is "being
prepared"; a worker that died in between leaves it so, and the resumed run or a retry renders it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import smtplib
import socket
import uuid
from collections.abc import Iterator
from email.headerregistry import Address
from email.utils import parseaddr
from types import SimpleNamespace

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from billing.templatetags.billing import yen
from invoicing import corrections, document, drafts, selectors, storage
from invoicing.models import (
    CustomerBilling,
    DocumentKind,
    DraftCopy,
    DraftMonth,
    DraftPriceEdit,
    DraftState,
    InvoiceCounter,
    InvoicePayment,
    InvoiceSending,
    IssuedInvoice,
    IssuerDetails,
    IssueRun,
    SendFailure,
    SendRun,
)
from invoicing.permissions import CHANGE_INVOICING
from portal.core import clock, kept
from portal.core.access import check
from portal.core.changes import liveness
from portal.core.copies import copies_changed, copies_changed_since
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
    """Set the partner's billing details (the issuer of its invoices, and how it bills: `BillingBasis`). False
    when nothing changes (nothing is recorded); otherwise one audit entry (`portal.setIssuerDetails`) with what
    changed, before and after."""
    check(actor, CHANGE_INVOICING)
    with transaction.atomic():
        issuer = IssuerDetails.objects.select_for_update().filter(pk=1).first()
        before = selectors.details_mapping() or {}
        after = {
            key: values[key]
            if key in values
            else before.get(key, IssuerDetails._meta.get_field(key).get_default())
            for key in selectors.DETAILS_FIELDS
        }
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
        copies_changed([domain_id])  # its kept drafts are worked out again
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


def _from_draft(draft: drafts.Draft, *, number: int, year: int, month: int, issuer: dict, user, **extra):
    """The issued document a draft becomes (not stored yet): what it says, as issued, numbered `number`; `extra`
    for a corrected invoice's kind, original, reason and submission key."""
    return IssuedInvoice(
        number=number,
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
        **extra,
    )


def invoice_issue(
    *, draft: drafts.Draft, year: int, month: int, user, run: IssueRun | None = None, render: bool = True
) -> IssuedInvoice | None:
    """Issue one ready draft: the next number of the sequence, in one transaction with the invoice. None when
    the customer's invoice of the month was issued already (a double click, another user, a retried task).
    Its PDF is rendered after the commit, unless `render` is false (a month's run renders them in chunks)."""
    if not draft.ready:
        return None
    issuer = selectors.issuer_mapping()
    try:
        with transaction.atomic():
            counter = _locked_counter()
            if IssuedInvoice.objects.filter(year=year, month=month, domain_id=draft.domain_id).exists():
                return None
            invoice = _store_numbered(
                _from_draft(
                    draft, number=counter.next_number, year=year, month=month, issuer=issuer, user=user
                )
            )
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
    if render:
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
    same id (a retried or redelivered task, a dead worker's run the reaper queued again), it issues only what is
    not issued yet. While it works, its worker holds the run in its heartbeat (`_working_on`)."""
    run = IssueRun.objects.select_related("requested_by").get(pk=run_id)
    if run.finished_at is not None:
        return run
    user = run.requested_by or get_user_model()(username="system")
    with _working_on(run):
        try:
            # Number the drafts not issued yet (the counter's lock, one invoice at a time), then render every
            # PDF of the month still missing (this run's, and a dead worker's) in chunks shared with the other
            # workers.
            ready = selectors.ready_drafts(
                user=user, year=run.year, month=run.month, issue_date=clock.today()
            )
            for draft in ready:
                invoice_issue(draft=draft, year=run.year, month=run.month, user=user, run=run, render=False)
            month_pdfs_render(year=run.year, month=run.month, run_id=run.pk)
        except Exception as error:
            IssueRun.objects.filter(pk=run_id).update(finished_at=timezone.now(), error=str(error)[:500])
            raise
        # Finished when every PDF is stored; else by the worker that stores the last one (`pdf_chunk_render`).
        _run_finish_when_rendered(run)
    # The month's page lists them issued within seconds, not at the worker's next minute.
    kept.queue(selectors.DRAFTS_KEPT, run.year, run.month)
    run.refresh_from_db()
    return run


@shared_task(name="invoicing.issue_month", ignore_result=True, acks_late=True)
def month_issue_task(run_id: int) -> None:
    month_issue(run_id=run_id)


# --- corrections: credit notes and corrected invoices, numbered like every invoice -----------------------


def _locked_counter() -> InvoiceCounter:
    counter, _made = InvoiceCounter.objects.select_for_update().get_or_create(
        key=COUNTER, defaults={"next_number": _after_last_issued}
    )
    return counter


def _store_numbered(document_row: IssuedInvoice) -> IssuedInvoice:
    """Store `document_row` (its number taken from the locked counter) and move the counter on; the caller holds
    the counter's lock in its transaction and renders the PDF after it (`invoice_pdf_render`), as for every
    invoice: numbered first, rendered after."""
    document_row.save(force_insert=True)
    InvoiceCounter.objects.filter(key=COUNTER).update(next_number=F("next_number") + 1)
    copies_changed([document_row.domain_id])  # its kept drafts (this month's, next month's beside it) move on
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
    customer_note: str = "",
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
        customer_note=customer_note,
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
    *,
    user,
    number: int,
    credits: dict[int, int],
    return_date,
    reason: str,
    key: str,
    customer_note: str = "",
) -> IssuedInvoice:
    """Issue a credit note cancelling `credits` (line index → yen, tax excluded) of issued invoice `number`:
    the next number of the sequence, its PDF and SHA-256, one audit entry. `reason` goes to the activity log
    only; `customer_note`, if any, is printed on the credit note. Issued once per `key` (the form's
    idempotency key): a double submit gets the credit note the first issued."""
    check(user, CHANGE_INVOICING)
    issuer = _issuer_or_refuse()
    try:
        with transaction.atomic():
            counter = _locked_counter()
            done = IssuedInvoice.objects.filter(idempotency_key=key).first()
            if done is not None:
                invoice_pdf_render(done)
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
                customer_note=customer_note,
            )
            _store_numbered(note)
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
    invoice_pdf_render(note)
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
                return done  # its PDFs are rendered by the submission that issued it
            _correctable(original)
            earlier = IssuedInvoice.objects.filter(original=original, kind=DocumentKind.CREDIT_NOTE)
            left = corrections.remaining(original.lines, [n.lines for n in earlier])
            next_number = counter.next_number
            numbered: list[IssuedInvoice] = []
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
                numbered.append(_store_numbered(note))
                next_number += 1
            corrected = _from_draft(
                draft,
                number=next_number,
                year=original.year,
                month=original.month,
                issuer=issuer,
                user=user,
                kind=DocumentKind.CORRECTED,
                original=original,
                reason=reason,
                idempotency_key=f"{key}+",
            )
            _store_numbered(corrected)
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
    for issued in (*numbered, corrected):
        invoice_pdf_render(issued)
    return corrected


# --- price edits on drafts -----------------------------------------------------------------------------


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
        copies_changed([domain_id])  # its kept draft is worked out again
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


# --- the drafts kept -------------------------------------------------------------------------------------

#: More customers than this to work out again: the month is worked out whole (one read of its items), not
#: customer by customer (a few reads each).
DRAFTS_ONE_BY_ONE = 50
#: Kept drafts written in one transaction.
DRAFTS_BATCH = 500


def drafts_keep(*, year: int, month: int, whole: bool = False) -> None:
    """Bring the month's kept drafts (`DraftMonth`, `DraftCopy`) up to what `selectors.month_drafts_worked_out`
    works out (the worker's, never a reader's): the customers whose copy or billing data was written since
    (`portal.core.copies`: the engines' stores, billing details, price edits, invoices issued) are worked out
    again, each from its own rows, or the whole month when more than `DRAFTS_ONE_BY_ONE` are, or when what
    every draft is worked out from differs (`selectors.drafts_basis`), or with `whole`. Stored in batches of
    `DRAFTS_BATCH`, each its own transaction."""
    # The worker works out for every reader: as an Admin would read them.
    user = SimpleNamespace(is_authenticated=True, is_active=True, is_superuser=True)
    started = timezone.now()
    basis = selectors.drafts_basis(year, month)
    row = DraftMonth.objects.filter(year=year, month=month).first()
    todo: set[int] | None = None
    if not whole and row is not None and row.basis == basis:
        todo = copies_changed_since(row.worked_at - kept.KEPT_MARGIN)
        if not todo:
            return
        if len(todo) > DRAFTS_ONE_BY_ONE:
            todo = None
    if todo is None:
        found = selectors.month_drafts_worked_out(user=user, year=year, month=month)
    else:
        found = [
            d
            for domain_id in sorted(todo)
            for d in selectors.month_drafts_worked_out(user=user, year=year, month=month, domain_id=domain_id)
        ]
    issuer = selectors.issuer_mapping()
    common = {}  # the partner's own details' problems, the same for every draft, in each language
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            common[language] = drafts.issuer_problems(issuer)
    rows = [_draft_copy(year, month, d, _reasons(d, common)) for d in found]
    gone = (
        set(DraftCopy.objects.filter(year=year, month=month).values_list("domain_id", flat=True))
        if todo is None
        else set(todo)
    ) - {r.domain_id for r in rows}
    for index in range(0, len(rows), DRAFTS_BATCH):
        batch = rows[index : index + DRAFTS_BATCH]
        with transaction.atomic():
            DraftCopy.objects.filter(
                year=year, month=month, domain_id__in=[r.domain_id for r in batch]
            ).delete()
            DraftCopy.objects.bulk_create(batch)
    gone_ids = sorted(gone)
    with transaction.atomic():
        for index in range(0, len(gone_ids), DRAFTS_BATCH):
            DraftCopy.objects.filter(
                year=year, month=month, domain_id__in=gone_ids[index : index + DRAFTS_BATCH]
            ).delete()
        DraftMonth.objects.update_or_create(
            year=year, month=month, defaults={"worked_at": started, "basis": basis}
        )


def _reasons(draft: drafts.Draft, common: dict[str, list[str]]) -> dict[str, list[str]]:
    """Why the draft cannot be issued, in each language the portal speaks (none when it can): `common`, the
    partner's own details' problems by language, and the draft's own."""
    if not draft.blocked:
        return {}
    out = {}
    for language, reasons in common.items():
        with translation.override(language):
            out[language] = drafts.blocked_reasons(draft, reasons)
    return out


def _draft_copy(year: int, month: int, draft: drafts.Draft, reasons: dict[str, list[str]]) -> DraftCopy:
    if draft.issued_number is not None:
        state = DraftState.ISSUED
    elif draft.blocked:
        state = DraftState.BLOCKED
    else:
        state = DraftState.READY
    return DraftCopy(
        year=year,
        month=month,
        domain_id=draft.domain_id,
        customer_name=draft.customer_name,
        state=state,
        subtotal=draft.subtotal,
        tax=draft.tax,
        total=draft.total,
        previous_total=draft.previous_total,
        issued_number=draft.issued_number,
        edited=draft.edited,
        stale_edits=bool(draft.stale_edits),
        reasons=reasons if state == DraftState.BLOCKED else {},
    )


def drafts_months(today: dt.date) -> list[tuple[int, int]]:
    """The months whose drafts are kept ahead: the one whose invoices are made now (`selectors.default_month`)."""
    return [selectors.default_month()]


#: The kept drafts, as `portal.core.kept` runs them.
DRAFTS_KEEPER = kept.Keeper(
    name=selectors.DRAFTS_KEPT,
    months=drafts_months,
    state=selectors.drafts_state,
    keep=lambda year, month, whole: drafts_keep(year=year, month=month, whole=whole),
)


# --- the PDF, rendered after the number ------------------------------------------------------------------


def invoice_pdf_render(invoice: IssuedInvoice) -> bool:
    """Render a numbered invoice's PDF from its stored facts and store it with its SHA-256, once. False when
    it had its PDF already (or another renderer stored the same bytes first)."""
    if invoice.pdf_sha256:
        return False
    pdf = document.pdf_of(invoice)
    digest = document.sha256(pdf)
    # Written to the documents' store first, under a name holding the number and the SHA-256, then recorded.
    name = storage.put(
        storage.name_for(year=invoice.year, month=invoice.month, number=invoice.number, digest=digest), pdf
    )
    stored = IssuedInvoice.objects.filter(pk=invoice.pk).pdf_store_once(name=name, sha256=digest)
    if stored:
        invoice.pdf, invoice.pdf_sha256 = name, digest
    return bool(stored)


def pdfs_missing(*, year: int, month: int) -> list[int]:
    """The numbers of the month's invoices still being prepared (numbered, no PDF yet)."""
    return list(
        IssuedInvoice.objects.filter(year=year, month=month, pdf_sha256="")
        .order_by("number")
        .values_list("number", flat=True)
    )


#: A chunk's claim lapses after this long (a worker that died holding it): a redelivered task may take it then;
#: a resumed run or the page's retry queues new chunks at once.
PDF_CHUNK_CLAIM_SECONDS = 300


def month_pdfs_render(*, year: int, month: int, run_id: int | None = None) -> int:
    """Render the PDFs of the month's invoices numbered without one, shared between workers: the numbers in
    chunks of `INVOICE_PDF_CHUNK`, each queued as a task (`invoicing.render_pdfs`) that any worker takes, and
    taken by this worker too, in order; a chunk is rendered by whoever claims it first (`pdf_chunk_render`).
    Alone, this worker renders them all before it returns. How many it rendered itself."""
    missing = pdfs_missing(year=year, month=month)
    size = max(1, settings.INVOICE_PDF_CHUNK)
    chunks = [missing[i : i + size] for i in range(0, len(missing), size)]
    batch = uuid.uuid4().hex  # this call's chunks: a resumed run's are new, whatever a dead worker claimed
    for chunk in chunks[1:]:  # the first is this worker's at once
        pdf_chunk_render_task.delay(run_id=run_id, batch=batch, numbers=chunk)
    return sum(pdf_chunk_render(run_id=run_id, batch=batch, numbers=chunk) for chunk in chunks)


def pdf_chunk_render(*, run_id: int | None, batch: str, numbers: list[int]) -> int:
    """Render and store the PDFs of `numbers` not stored yet, if this worker claims the chunk first (else 0:
    another renders it); the run counts each PDF stored and is finished by the worker that stores the last."""
    if not numbers or not cache.add(f"invoicing:pdf-chunk:{batch}:{numbers[0]}", 1, PDF_CHUNK_CLAIM_SECONDS):
        return 0
    run = None if run_id is None else IssueRun.objects.filter(pk=run_id, finished_at=None).first()
    rendered = 0
    # A worker rendering a chunk of a run works on the run: its heartbeat holds it meanwhile.
    with _working_on(run) if run is not None else contextlib.nullcontext():
        for number in numbers:
            invoice = IssuedInvoice.objects.filter(number=number, pdf_sha256="").first()
            if invoice is not None and invoice_pdf_render(invoice):
                rendered += 1
                if run_id is not None:
                    IssueRun.objects.filter(pk=run_id).update(rendered=F("rendered") + 1)
        if run is not None and rendered:
            _run_finish_when_rendered(run)
    return rendered


def _run_finish_when_rendered(run: IssueRun) -> None:
    if not pdfs_missing(year=run.year, month=run.month):
        IssueRun.objects.filter(pk=run.pk, finished_at=None).update(finished_at=timezone.now())


@shared_task(name="invoicing.render_pdfs", ignore_result=True, acks_late=True)
def pdf_chunk_render_task(run_id: int | None, batch: str, numbers: list[int]) -> None:
    pdf_chunk_render(run_id=run_id, batch=batch, numbers=numbers)


# --- sending by e-mail -----------------------------------------------------------------------------------

#: An attempt still "sending" after this long was cut short (a worker died mid-send): the next one may go.
SENDING_STALE = dt.timedelta(minutes=15)


class SendRefused(Exception):
    """An invoice that cannot be sent now, with a sentence saying why."""


def _stale_sendings_close(invoice_id: int | None = None) -> None:
    stale = InvoiceSending.objects.filter(
        outcome=InvoiceSending.Outcome.SENDING, attempted_at__lt=timezone.now() - SENDING_STALE
    )
    if invoice_id is not None:
        stale = stale.filter(invoice_id=invoice_id)
    stale.update(
        outcome=InvoiceSending.Outcome.FAILED,
        finished_at=timezone.now(),
        failure=SendFailure.INTERRUPTED,
        detail=f"still sending after {SENDING_STALE}",
    )


def _send_failure(error: Exception) -> tuple[SendFailure, str]:
    """A failure to send as a kind (its sentence is written when it is shown, in the reader's language) and the
    technical detail: what the mail server or the system said."""
    detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return SendFailure.ADDRESS_REFUSED, detail
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return SendFailure.LOGIN_REFUSED, detail
    if isinstance(error, smtplib.SMTPResponseException):
        said = error.smtp_error.decode("utf-8", "replace") if isinstance(error.smtp_error, bytes) else ""
        return SendFailure.MESSAGE_REFUSED, f"{error.smtp_code} {said}".strip()
    if isinstance(error, ConnectionRefusedError | smtplib.SMTPServerDisconnected | socket.gaierror):
        return SendFailure.UNREACHABLE, detail
    if isinstance(error, TimeoutError):
        return SendFailure.TIMEOUT, detail
    if isinstance(error, storage.DocumentUnavailable):
        return SendFailure.DOCUMENT, detail
    return SendFailure.OTHER, detail


def invoice_sender() -> tuple[str, list[str]]:
    """Who the invoice mail comes from and where answers go, as the partner's billing details say now: its
    sender name (else its registered name) at the portal's own address (`DEFAULT_FROM_EMAIL`, the one the mail
    server lets it send from), and its reply-to address, if any."""
    details = IssuerDetails.objects.filter(pk=1).values("sender_name", "registered_name", "reply_to").first()
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1] or settings.DEFAULT_FROM_EMAIL
    if details is None:
        return settings.DEFAULT_FROM_EMAIL, []
    name = details["sender_name"] or details["registered_name"]
    # The name quoted where it needs to be, left unencoded: Django's mail encodes the header (RFC 2047).
    sender = str(Address(display_name=name, addr_spec=address)) if name else address
    return sender, [details["reply_to"]] if details["reply_to"] else []


def invoice_message(invoice: IssuedInvoice, *, to: str):
    """The invoice's e-mail, in its language, from the partner (`invoice_sender`), with its PDF (the bytes stored
    when it was issued, read from the documents' store and checked: `storage.DocumentUnavailable` else) attached
    under the number as the customer reads it."""
    from home.digest import DigestMessage

    with translation.override(invoice.language):
        context = {"invoice": invoice}
        subject = render_to_string("invoicing/invoice_email_subject.txt", context).strip()
        body = render_to_string("invoicing/invoice_email.txt", context)
    sender, reply_to = invoice_sender()
    message = DigestMessage(subject=subject, body=body, to=[to], from_email=sender, reply_to=reply_to)
    message.attach(invoice.pdf_filename, invoice.pdf_bytes(), "application/pdf")
    return message


def invoice_email(invoice: IssuedInvoice) -> str:
    """Where the invoice goes: the customer's invoice e-mail now (added or changed since it was issued), else
    the one its billing details had when it was issued."""
    current = (
        CustomerBilling.objects.filter(domain_id=invoice.domain_id)
        .values_list("invoice_email", flat=True)
        .first()
    )
    return current or (invoice.recipient or {}).get("invoice_email") or ""


def invoice_send(
    *,
    user,
    number: int,
    connection=None,
    again: int = 0,
    key: str | None = None,
    to: str | None = None,
    reason: str = "",
) -> InvoiceSending:
    """Send one issued invoice by e-mail with its PDF, recording the attempt (to whom, by whom, the outcome).

    `again`: 0 to send it the first time (or retry that); to send it again, the number of times it was sent
    when the sender confirmed, with the confirmation's idempotency `key`, the address it named (`to`) and an
    optional `reason` for the activity log. Refused (`SendRefused`, nothing attempted) when it has no e-mail
    address, its PDF is not ready, the address changed since the confirmation, or that sending is under way or
    done already (a double click, another user, the month's run): each request sends at most once."""
    check(user, CHANGE_INVOICING)
    invoice = IssuedInvoice.objects.filter(number=number).first()
    if invoice is None:
        raise SendRefused(_("No such invoice."))
    address = invoice_email(invoice)
    if not address:
        raise SendRefused(
            _("The customer has no e-mail address for invoices: add it to its billing details.")
        )
    if to is not None and to != address:
        raise SendRefused(
            _("The customer's e-mail for invoices changed since the confirmation: confirm again.")
        )
    if not invoice.pdf_ready:
        raise SendRefused(_("Its PDF is being prepared: send it in a moment."))
    _stale_sendings_close(invoice.pk)
    times_sent = invoice.sendings.filter(outcome=InvoiceSending.Outcome.SENT).count()
    if again > times_sent:
        if not times_sent:
            raise SendRefused(_("This invoice was not sent yet: send it from its page."))
        raise SendRefused(_("The confirmation does not match the invoice's sendings: open it again."))
    try:
        with transaction.atomic():
            attempt = InvoiceSending.objects.create(
                invoice=invoice,
                to=address,
                round=again,
                idempotency_key=key if again else None,
                attempted_at=timezone.now(),
                attempted_by=user if getattr(user, "is_authenticated", False) else None,
                sender=liveness.this_sender().id,
            )
    except IntegrityError:
        if again:
            raise SendRefused(
                _("This invoice was sent again or is being sent again already: see its attempts.")
            ) from None
        raise SendRefused(_("This invoice is sent or being sent already.")) from None
    try:
        message = invoice_message(invoice, to=address)
        message.connection = connection
        message.send()
    except Exception as error:  # any failure is recorded on the invoice as a kind, never a 500
        attempt.outcome = InvoiceSending.Outcome.FAILED
        attempt.failure, detail = _send_failure(error)
        attempt.detail = detail[:500]
    else:
        attempt.outcome = InvoiceSending.Outcome.SENT
    attempt.finished_at = timezone.now()
    attempt.save(update_fields=["outcome", "failure", "detail", "finished_at"])
    audit_record(
        actor=user,
        operation_id="portal.sendCustomerInvoice",
        outcome=(
            AuditEntry.Outcome.SUCCEEDED
            if attempt.outcome == InvoiceSending.Outcome.SENT
            else AuditEntry.Outcome.FAILED
        ),
        domain_id=invoice.domain_id,
        sent={"number": invoice.number, "to": address, **({"again": again} if again else {})},
        response_body=(
            {"failure": attempt.failure, "detail": attempt.detail}
            if attempt.outcome == InvoiceSending.Outcome.FAILED
            else None
        ),
        reason=reason,
    )
    return attempt


def unsent(*, year: int, month: int):
    """The month's issued invoices not sent yet and not being sent (a failed attempt is retried)."""
    busy = InvoiceSending.objects.filter(
        outcome__in=[InvoiceSending.Outcome.SENDING, InvoiceSending.Outcome.SENT]
    )
    return (
        IssuedInvoice.objects.filter(year=year, month=month)
        .exclude(pk__in=busy.values("invoice_id"))
        .order_by("number")
    )


def month_send_request(*, user, year: int, month: int) -> SendRun:
    """Send the month's issued invoices not sent yet in the background (the page polls the run); a run of the
    month under way is returned and queued again (a dead worker's run goes on; sent ones are skipped)."""
    check(user, CHANGE_INVOICING)
    run = SendRun.objects.filter(year=year, month=month, finished_at=None).first()
    if run is None:
        total = unsent(year=year, month=month).count()
        if not total:
            raise SendRefused(_("Every issued invoice of this month is sent already."))
        try:
            with transaction.atomic():
                run = SendRun.objects.create(year=year, month=month, requested_by=user, total=total)
        except IntegrityError:
            run = SendRun.objects.get(year=year, month=month, finished_at=None)
    run_id = run.pk
    transaction.on_commit(lambda: month_send_task.delay(run_id))
    return run


def month_send(*, run_id: int) -> SendRun:
    """The work of a send run: each unsent invoice of its month with an e-mail address and its PDF, over one
    connection to the mail server; a failure is recorded on its invoice and the others go on."""
    from django.core.mail import get_connection

    run = SendRun.objects.select_related("requested_by").get(pk=run_id)
    if run.finished_at is not None:
        return run
    user = run.requested_by or get_user_model()(username="system")
    _stale_sendings_close()
    # One connection for the run, opened by the first message: a server that cannot be reached is a failure
    # recorded on each invoice (retryable), as when they are sent one by one.
    connection = get_connection()
    # An attempt of this run cut short by a dead worker may have gone out: the resumed run leaves it to a person
    # (its page says so), as it never sends an invoice twice.
    cut_short = InvoiceSending.objects.filter(
        failure=SendFailure.INTERRUPTED, attempted_at__gte=run.requested_at
    ).values("invoice_id")
    with _working_on(run):
        try:
            todo = unsent(year=run.year, month=run.month).exclude(pk__in=cut_short)
            for number in list(todo.values_list("number", flat=True)):
                try:
                    attempt = invoice_send(user=user, number=number, connection=connection)
                except SendRefused:
                    continue  # no address, PDF not ready, or sent meanwhile: not attempted
                field = "sent" if attempt.outcome == InvoiceSending.Outcome.SENT else "failed"
                SendRun.objects.filter(pk=run_id).update(**{field: F(field) + 1})
        except Exception as error:
            SendRun.objects.filter(pk=run_id).update(finished_at=timezone.now(), error=str(error)[:500])
            raise
        finally:
            connection.close()
        SendRun.objects.filter(pk=run_id, finished_at=None).update(finished_at=timezone.now())
    run.refresh_from_db()
    return run


@shared_task(name="invoicing.send_month", ignore_result=True, acks_late=True)
def month_send_task(run_id: int) -> None:
    month_send(run_id=run_id)


# --- liveness of the month's runs: the change pipeline's heartbeat and reaper -----------------------------


def _held(run: IssueRun | SendRun) -> str:
    """What a worker's heartbeat holds while it works on `run` (`portal.core.changes.liveness`)."""
    return f"invoicing:{type(run).__name__}:{run.pk}"


@contextlib.contextmanager
def _working_on(run: IssueRun | SendRun) -> Iterator[None]:
    """This worker works on `run` in the block: its heartbeat holds the run (written at once, and again while it
    lives), and the run names it (`sender`), so the reaper finds the run's worker gone when it dies. A run its
    worker was found gone from is taken up again here (`resumed_at`)."""
    sender = liveness.this_sender()
    with sender.holding(_held(run)):
        now = timezone.now()
        type(run).objects.filter(pk=run.pk, finished_at=None).update(sender=sender.id)
        type(run).objects.filter(pk=run.pk, finished_at=None, stopped_at__isnull=False).update(resumed_at=now)
        yield


def runs_reap_stale() -> int:
    """Periodic (the beat's `invoicing-runs-reap`, at the change reaper's period): a month's issue or send run not
    finished whose worker is lost (its heartbeat gone, or not holding the run, at two looks `lost_grace` apart,
    as for a change) is marked stopped and queued again, so it goes on without a person: issuing skips what is
    issued and renders the missing PDFs; sending skips what is sent, and the attempt the dead worker had under
    way is recorded as cut short (it may have gone out: a person decides). A run queued but taken by no worker
    for `STALE_QUEUED_SECONDS` (its task lost with a killed worker) is queued again. How many were queued."""
    from portal.core.changes.engine import STALE_QUEUED_SECONDS

    now = timezone.now()
    queued = 0
    for model, task in ((IssueRun, month_issue_task), (SendRun, month_send_task)):
        runs = list(model.objects.filter(finished_at=None))
        by_key = {_held(run): run for run in runs if run.sender}
        for found in liveness.lost(SimpleNamespace(pk=key, sender=run.sender) for key, run in by_key.items()):
            run = by_key[found.pk]
            if not model.objects.filter(pk=run.pk, finished_at=None, sender=run.sender).update(
                sender="", stopped_at=now
            ):
                continue  # finished meanwhile, or another worker took it up
            if model is SendRun:
                _cut_short(run)
            task.delay(run.pk)
            queued += 1
        idle = now - dt.timedelta(seconds=STALE_QUEUED_SECONDS)
        for run in runs:
            if not run.sender and max(filter(None, (run.requested_at, run.stopped_at))) < idle:
                # Not taken since it was queued: its task was lost. Marked so the next look waits again.
                model.objects.filter(pk=run.pk, finished_at=None, sender="").update(stopped_at=now)
                task.delay(run.pk)
                queued += 1
    return queued


def _cut_short(run: SendRun) -> None:
    """The attempts a send run's dead worker had under way: failed, cut short (it may have gone out), counted."""
    cut = InvoiceSending.objects.filter(
        outcome=InvoiceSending.Outcome.SENDING,
        sender=run.sender,
        invoice__year=run.year,
        invoice__month=run.month,
    ).update(
        outcome=InvoiceSending.Outcome.FAILED,
        finished_at=timezone.now(),
        failure=SendFailure.INTERRUPTED,
        detail=f"its worker {run.sender} was found gone",
    )
    if cut:
        SendRun.objects.filter(pk=run.pk).update(failed=F("failed") + cut)


@shared_task(name="invoicing.reap_runs", ignore_result=True)
def runs_reap_stale_task() -> None:
    runs_reap_stale()


# --- being paid ------------------------------------------------------------------------------------------


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
            recorded_by=actor if getattr(actor, "is_authenticated", False) else None,
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
    return payment
