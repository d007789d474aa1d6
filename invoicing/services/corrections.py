"""Corrections of issued invoices: credit notes and corrected invoices, numbered like every invoice (the
counter's lock, `invoicing.services.numbering`) and rendered after. The arithmetic is `invoicing.corrections`
(pure functions); here it is issued, once per submission (the form's idempotency key)."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from invoicing import corrections, drafts, selectors
from invoicing.models import DocumentKind, IssuedInvoice
from invoicing.permissions import CHANGE_INVOICING
from invoicing.services.numbering import from_draft, locked_counter, store_numbered
from invoicing.services.pdfs import invoice_pdf_render
from portal.core import clock
from portal.core.access import check, person
from portal.core.models import AuditEntry
from portal.core.services import audit_record


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
        issued_by=person(user),
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
            counter = locked_counter()
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
            store_numbered(note)
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
            counter = locked_counter()
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
                numbered.append(store_numbered(note))
                next_number += 1
            corrected = from_draft(
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
            store_numbered(corrected)
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
