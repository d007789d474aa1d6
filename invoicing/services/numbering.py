"""The gap-free sequence of invoice numbers, shared by invoices, credit notes and corrected invoices.

**Gap-free and once.** The issuer locks the counter row (`locked_counter`, `select_for_update`) and, in the
same transaction, stores the document with the counter's number and moves the counter on (`store_numbered`): a
number is taken only with its document (a failure rolls both back), and two issuers wait for each other on the
lock. The unique constraints (the number; the month and customer) hold it again in the database. `from_draft`
is the document a draft becomes, as issued.
"""

from __future__ import annotations

from django.db.models import F, Max
from django.utils import timezone

from invoicing import drafts, events
from invoicing.models import InvoiceCounter, IssuedInvoice
from portal.core.access import person
from portal.core.copies import copies_changed

COUNTER = "invoice"


def _after_last_issued() -> int:
    """Where the sequence starts when its row is missing (its migration makes it; a database emptied since, as a
    test's flush does, has none): after the last number issued, so it stays gap-free."""
    return (IssuedInvoice.objects.aggregate(last=Max("number"))["last"] or 0) + 1


def locked_counter() -> InvoiceCounter:
    counter, _made = InvoiceCounter.objects.select_for_update().get_or_create(
        key=COUNTER, defaults={"next_number": _after_last_issued}
    )
    return counter


def from_draft(draft: drafts.Draft, *, number: int, year: int, month: int, issuer: dict, user, **extra):
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
        issued_by=person(user),
        **extra,
    )


def store_numbered(document_row: IssuedInvoice) -> IssuedInvoice:
    """Store `document_row` (its number taken from the locked counter) and move the counter on; the caller holds
    the counter's lock in its transaction and renders the PDF after it (`invoice_pdf_render`), as for every
    invoice: numbered first, rendered after."""
    document_row.save(force_insert=True)
    InvoiceCounter.objects.filter(key=COUNTER).update(next_number=F("next_number") + 1)
    events.invoice_issued(document_row)
    copies_changed(
        [document_row.domain_id], own=True
    )  # its kept drafts (this month's, next month's beside it) move on
    return document_row
