"""The month's issue and send runs and the records exports as kinds of run the core reaper looks after (`portal.core.runs`: the `runs`
contribution, `RUN_KINDS`): a run whose worker is lost, or whose task was never taken, is queued again, so it
goes on without a person; issuing skips what is issued and renders the missing PDFs, sending skips what is sent."""

from __future__ import annotations

from django.db.models import F
from django.utils import timezone

from invoicing.models import InvoiceSending, IssueRun, RecordsExport, SendFailure, SendRun
from invoicing.services.issuing import month_issue_task
from invoicing.services.records import records_export_task
from invoicing.services.sending import month_send_task
from portal.core.runs import RunKind


def send_run_cut_short(run: SendRun) -> None:
    """The attempts a send run's dead worker had under way: failed, cut short (it may have gone out: a person
    decides), counted as failed on the run."""
    cut = InvoiceSending.objects.filter(
        outcome=InvoiceSending.Outcome.SENDING,
        sender=run.worker,
        invoice__year=run.year,
        invoice__month=run.month,
    ).update(
        outcome=InvoiceSending.Outcome.FAILED,
        finished_at=timezone.now(),
        failure=SendFailure.INTERRUPTED,
        detail=f"its worker {run.worker} was found gone",
    )
    if cut:
        SendRun.objects.filter(pk=run.pk).update(failed=F("failed") + cut)


RUN_KINDS = [
    RunKind(IssueRun, month_issue_task),
    RunKind(SendRun, month_send_task, on_lost=send_run_cut_short),
    # A records export starts over: its ZIP was in the dead worker's temporary file, nothing of it was stored.
    RunKind(RecordsExport, records_export_task),
]
