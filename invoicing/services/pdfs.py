"""The PDF, rendered after the number: a deterministic rendering of an invoice's stored facts, rendered after
the commit that numbered it and stored once with its SHA-256 (`invoice_pdf_render`). A month's PDFs are
rendered in chunks that every worker shares (`month_pdfs_render`, the task `invoicing.render_pdfs`); until then
an invoice is "being prepared", and a worker that died in between leaves it so for the resumed run or a retry."""

from __future__ import annotations

import contextlib
import uuid

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.db.models import F
from django.utils import timezone

from invoicing import document, storage
from invoicing.models import IssuedInvoice, IssueRun
from portal.core.runs import working_on


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
    with working_on(run) if run is not None else contextlib.nullcontext():
        for number in numbers:
            invoice = IssuedInvoice.objects.filter(number=number, pdf_sha256="").first()
            if invoice is not None and invoice_pdf_render(invoice):
                rendered += 1
                if run_id is not None:
                    IssueRun.objects.filter(pk=run_id).update(rendered=F("rendered") + 1)
        if run is not None and rendered:
            run_finish_when_rendered(run)
    return rendered


def run_finish_when_rendered(run: IssueRun) -> None:
    if not pdfs_missing(year=run.year, month=run.month):
        IssueRun.objects.filter(pk=run.pk, finished_at=None).update(finished_at=timezone.now())


@shared_task(name="invoicing.render_pdfs", ignore_result=True, acks_late=True)
def pdf_chunk_render_task(run_id: int | None, batch: str, numbers: list[int]) -> None:
    pdf_chunk_render(run_id=run_id, batch=batch, numbers=numbers)
