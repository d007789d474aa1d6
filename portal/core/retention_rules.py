"""How long core keeps the history in its own tables (portal/core/retention.py), contributed from
`CoreConfig.ready()` like any app's. Sync runs leave summed by kind and day (`SyncRunSummary`), and those days
summed by month when they leave in turn.

`RefreshMark` has no rule: one row per customer at most, dropped as soon as no reason to refresh is left, so it
never grows with time (nor does `CopyChange`, one row per customer moved on)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.core import clock
from portal.core.retention import KeepDays, Retention
from portal.core.rollup import fold, month_of

#: A summary's figures, summed when folded.
SUMMED = ("runs", "failed", "partial", "items", "calls", "errors", "seconds")


def sync_runs_by_day(runs: QuerySet) -> None:
    """Sum the runs about to leave into their kind's day (the business date each started on)."""
    from portal.core.models import SyncRun, SyncRunSummary

    zone = clock.midnight(clock.today()).tzinfo
    rows = []
    for kind, started, finished, status, done, calls, errors in runs.values_list(
        "kind", "requested_at", "finished_at", "status", "done", "calls", "errors"
    ):
        rows.append(
            {
                "kind": kind,
                "period": SyncRunSummary.Period.DAY,
                "start": timezone.localtime(started, zone).date(),
                "runs": 1,
                "failed": int(status == SyncRun.Status.FAILED),
                "partial": int(status == SyncRun.Status.PARTIAL),
                "items": done or 0,
                "calls": sum((calls or {}).values()),
                "errors": len(errors or []),
                "seconds": round((finished - started).total_seconds()) if finished else 0,
            }
        )
    fold(SyncRunSummary, rows, key=("kind", "period", "start"), add=SUMMED)


def sync_days_by_month(days: QuerySet) -> None:
    """Sum the day summaries about to leave into their kind's month."""
    from portal.core.models import SyncRunSummary

    fold(
        SyncRunSummary,
        (
            {**row, "period": SyncRunSummary.Period.MONTH, "start": month_of(row["start"])}
            for row in days.values("kind", "start", *SUMMED)
        ),
        key=("kind", "period", "start"),
        add=SUMMED,
    )


RETENTION = [
    Retention(
        model="core.ApiCall",
        date_field="created_at",
        keep=KeepDays("RETENTION_API_CALL_DAYS", 90),
        kept=_("Calls of the portal's API: which token called which endpoint, when, and its answer"),
        reason=_(
            "Three months shows how each token is used and answers a question about a script's calls; the writes "
            "the calls made stay in the audit entries, kept longer."
        ),
    ),
    Retention(
        model="core.ApiIdempotency",
        date_field="created_at",
        keep=KeepDays("RETENTION_API_CALL_DAYS", 90),
        kept=_("The first answers of the API's writes, by their key"),
        reason=_(
            "A script asking a write again with its key gets the first answer as long as the calls are kept; "
            "later, the change itself is still found by its key and never sent twice."
        ),
    ),
    Retention(
        model="core.AuditEntry",
        date_field="created_at",
        keep=KeepDays("RETENTION_AUDIT_DAYS", 730),
        kept=_("Audit entries: who sent which change, when, and what came back"),
        reason=_(
            "Two years answers a customer's or an auditor's question about last year's changes, the whole of the "
            "previous business year included. The entries of issued invoices are kept longer, with the invoices."
        ),
    ),
    Retention(
        model="core.Operation",
        date_field="requested_at",
        keep=KeepDays("RETENTION_OPERATION_DAYS", 365),
        kept=_("Changes sent and their progress"),
        reason=_(
            "A year covers every yearly renewal. A change is kept while an audit entry still refers to it, and "
            "one not finished is never removed; one held for an approval that never came (its request expired "
            "long before) is."
        ),
        # A HELD change older than the rule expired long before (APPROVAL_HOURS is at most 30 days): never sent.
        removable=Q(
            status__in=["succeeded", "failed", "superseded", "stopped", "held"], attempts__isnull=True
        ),
    ),
    Retention(
        model="core.Batch",
        date_field="requested_at",
        keep=KeepDays("RETENTION_BATCH_DAYS", 365),
        kept=_("Bulk changes and their rows"),
        reason=_(
            "A year covers a yearly bulk change (a price revision, renewals) to compare with the next one. Each "
            "row's change stays in the audit trail. A bulk change still sending is never removed."
        ),
        removable=~Q(state="running"),
    ),
    Retention(
        model="core.Notice",
        date_field="created_at",
        keep=KeepDays("RETENTION_NOTICE_DAYS", 90),
        kept=_("Notices sent by e-mail or in LINE WORKS, and those not delivered"),
        reason=_(
            "Three months answers whether someone was told about a change or a batch; what the notice reported "
            "stays in the audit trail. A notice still being delivered is never removed."
        ),
        removable=~Q(state__in=["waiting", "sending"]),
    ),
    Retention(
        model="core.Event",
        date_field="created_at",
        keep=KeepDays("RETENTION_EVENT_DAYS", 30),
        kept=_("Events sent to the partner's own systems, with their deliveries"),
        reason=_(
            "A month is long enough to send an event again to a system that missed it; what it reported stays in "
            "the audit trail. An event still being delivered is never removed."
        ),
        removable=~Q(deliveries__state__in=["waiting", "sending"]),
    ),
    Retention(
        model="core.SyncRun",
        date_field="requested_at",
        keep=KeepDays("RETENTION_SYNC_RUN_DAYS", 90),
        kept=_("Sync runs: resyncs, refreshes and housekeeping, with their calls and errors"),
        reason=_(
            "Three months shows how the resync behaves over a quarter; older runs say nothing about the copies "
            "people read now. A run still going is never removed."
        ),
        removable=Q(finished_at__isnull=False),
        roll_up=sync_runs_by_day,
    ),
    Retention(
        model="core.SyncRunSummary",
        table=_("Sync runs by day"),
        date_field="start",
        keep=KeepDays("RETENTION_SYNC_DAY_DAYS", 730),
        kept=_("Sync runs summed by kind and day: runs, failed, calls, items read, time taken"),
        reason=_(
            "Two years of days answers how a month's resyncs went compared with the same month last year, once "
            "the runs themselves are gone. Each day is summed into its month before it leaves."
        ),
        where=Q(period="day"),
        roll_up=sync_days_by_month,
    ),
    Retention(
        model="core.SyncRunSummary",
        table=_("Sync runs by month"),
        date_field="start",
        keep=KeepDays("RETENTION_SYNC_MONTH_DAYS", 2557),
        kept=_("Sync runs summed by kind and month"),
        reason=_(
            "Seven years, as long as the invoices: a few rows a month, enough to say how the resync behaved in "
            "any month the invoices of which are still kept."
        ),
        where=Q(period="month"),
    ),
]
