"""How long core keeps the history in its own tables (portal/core/retention.py), contributed from
`CoreConfig.ready()` like any app's."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.core.retention import KeepDays, Retention

RETENTION = [
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
        date_field="created_at",
        keep=KeepDays("RETENTION_OPERATION_DAYS", 365),
        kept=_("Changes sent and their progress"),
        reason=_(
            "A year covers every yearly renewal. A change is kept while an audit entry still refers to it, and "
            "one not finished is never removed."
        ),
        removable=Q(status__in=["succeeded", "failed", "superseded", "stopped"], attempts__isnull=True),
    ),
    Retention(
        model="core.Batch",
        date_field="created_at",
        keep=KeepDays("RETENTION_BATCH_DAYS", 365),
        kept=_("Bulk changes and their rows"),
        reason=_(
            "A year covers a yearly bulk change (a price revision, renewals) to compare with the next one. Each "
            "row's change stays in the audit trail. A bulk change still sending is never removed."
        ),
        removable=~Q(state="running"),
    ),
    Retention(
        model="core.SyncRun",
        date_field="started_at",
        keep=KeepDays("RETENTION_SYNC_RUN_DAYS", 90),
        kept=_("Sync runs: resyncs, refreshes and housekeeping, with their calls and errors"),
        reason=_(
            "Three months shows how the resync behaves over a quarter; older runs say nothing about the copies "
            "people read now. A run still going is never removed."
        ),
        removable=Q(finished_at__isnull=False),
    ),
]
