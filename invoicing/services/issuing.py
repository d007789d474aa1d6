"""Issuing: each ready draft of a month becomes an invoice with the next number of the gap-free sequence
(`invoicing.services.numbering`), one at a time (`invoice_issue`) or the month's in the background (an
`IssueRun`: `month_issue_request`, the task `invoicing.issue_month`).

**Once.** `invoice_issue` checks, under the counter's lock, that the customer's invoice of the month is not
issued yet: the second of two issuers finds the invoice the first stored. A run interrupted (a dead worker) is
run again under the same id: what was issued is skipped, the rest issued.

**Number first, render after.** The lock is held only to number the invoice and store its facts; a month's run
numbers all its drafts first, then its PDFs are rendered (`invoicing.services.pdfs`).
"""

from __future__ import annotations

from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from invoicing import drafts, selectors
from invoicing.models import IssuedInvoice, IssueRun
from invoicing.permissions import CHANGE_INVOICING
from invoicing.services.numbering import from_draft, locked_counter, store_numbered
from invoicing.services.pdfs import (
    invoice_pdf_render,
    month_pdfs_render,
    pdfs_missing,
    run_finish_when_rendered,
)
from portal.core import clock, kept
from portal.core.access import check
from portal.core.models import AuditEntry
from portal.core.runs import working_on
from portal.core.services import audit_record


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
            counter = locked_counter()
            if IssuedInvoice.objects.filter(year=year, month=month, domain_id=draft.domain_id).exists():
                return None
            invoice = store_numbered(
                from_draft(
                    draft, number=counter.next_number, year=year, month=month, issuer=issuer, user=user
                )
            )
            if run is not None:
                IssueRun.objects.filter(pk=run.pk).update(done=F("done") + 1)
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


def month_issue_check(*, user, year: int, month: int) -> tuple[list[drafts.Draft], IssueRun | None]:
    """What a request to issue the month would do, without doing it (reads only; the API's dry run too): its
    ready drafts and the run of the month under way, if any; `IssueRefused` when there is nothing to do (no
    draft ready, no PDF still to render, no run under way)."""
    check(user, CHANGE_INVOICING)
    ready = selectors.ready_drafts(user=user, year=year, month=month, issue_date=clock.today())
    run = IssueRun.objects.filter(year=year, month=month, finished_at=None).first()
    if run is None and not ready and not pdfs_missing(year=year, month=month):
        raise IssueRefused(_("No draft of this month is ready to issue."))
    return ready, run


def month_issue_request(*, user, year: int, month: int) -> IssueRun:
    """Issue the month's ready drafts in the background (the page polls the run). A run of the month already
    under way is returned and queued again (a dead worker's run resumes; issuing skips what is issued)."""
    ready, run = month_issue_check(user=user, year=year, month=month)
    if run is None:
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
    not issued yet. While it works, its worker holds the run in its heartbeat (`working_on`)."""
    run = IssueRun.objects.select_related("requested_by").get(pk=run_id)
    if run.finished_at is not None:
        return run
    user = run.requested_by or get_user_model()(username="system")
    with working_on(run):
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
        run_finish_when_rendered(run)
    # The month's page lists them issued within seconds, not at the worker's next minute.
    kept.queue(selectors.DRAFTS_KEPT, run.year, run.month)
    run.refresh_from_db()
    return run


@shared_task(name="invoicing.issue_month", ignore_result=True, acks_late=True)
def month_issue_task(run_id: int) -> None:
    month_issue(run_id=run_id)
