"""Reads of the core app: the audit trail, sync runs, operations, the portal's users."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import QuerySet

from portal.core import clock
from portal.core.contrib import customer_names
from portal.core.lists import Sorts, by_customer_filters
from portal.core.models import AuditEntry, Operation, SyncRun
from portal.core.sync import FULL

#: The activity list's order: newest first.
ACTIVITY_SORTS = Sorts({"time": ("created_at", "id")}, default="-time")


@dataclass(frozen=True)
class ActivityFilters:
    user: str = ""
    domain_id: int | None = None
    operation_id: str = ""
    outcome: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    #: The contributed customer filters' values (`portal.core.lists.CustomerFilter`: the Owner filter).
    customers: Mapping[str, Any] = field(default_factory=dict)
    sort: str = ACTIVITY_SORTS.default


def audit_entry_list(
    *, filters: ActivityFilters, domain_id: int | None = None, user=None
) -> QuerySet[AuditEntry]:
    """The audit trail, filtered; the customer filters' "Mine" is `user`'s."""
    qs = AuditEntry.objects.select_related("actor")
    if filters.customers:
        qs = by_customer_filters(qs, filters.customers, user=user, key="domain_id")
    if filters.user:
        qs = qs.filter(actor_name__icontains=filters.user)
    if filters.domain_id is not None:
        qs = qs.filter(domain_id=filters.domain_id)
    if domain_id is not None:
        qs = qs.filter(domain_id=domain_id)
    if filters.operation_id:
        qs = qs.filter(operation_id=filters.operation_id)
    if filters.outcome:
        qs = qs.filter(outcome=filters.outcome)
    if filters.date_from:
        qs = qs.filter(created_at__gte=clock.midnight(filters.date_from))
    if filters.date_to:
        qs = qs.filter(created_at__lt=clock.midnight(filters.date_to + dt.timedelta(days=1)))
    return ACTIVITY_SORTS.order(qs, filters.sort)


def with_company_names(entries) -> None:
    """Give each audit entry (or anything with a `domain_id`) its customer's `company_name`, in one query."""
    names = customer_names(entry.domain_id for entry in entries)
    for entry in entries:
        entry.company_name = names.get(entry.domain_id, "")


def audit_operation_ids() -> list[str]:
    return list(AuditEntry.objects.order_by().values_list("operation_id", flat=True).distinct())


def sync_run_list(*, limit: int = 50) -> list[SyncRun]:
    return list(SyncRun.objects.select_related("triggered_by")[:limit])


def _finished_runs(kind: str | None = None) -> QuerySet[SyncRun]:
    """Finished runs (of `kind`, if given), the last to finish first: for a kind, the end of the (kind, finished)
    index, however long the history."""
    qs = SyncRun.objects.exclude(finished_at=None)
    return (qs.filter(kind=kind) if kind else qs).order_by("-finished_at")


def sync_run_latest_finished(*, kind: str | None = None) -> SyncRun | None:
    return _finished_runs(kind).first()


def last_full_sync_at() -> dt.datetime | None:
    """When the last full resync finished (None before the first): the lists' "Last full sync" line, on every
    list page, reads its time alone: a run carries its JSON counts and calls, and reading the whole last run
    through the kind's index, behind a year of hourly resyncs and per-customer refreshes, costs every list page
    far more than this one column on both databases (`python -m bench.options list` seeds such a history)."""
    return _finished_runs(FULL).values_list("finished_at", flat=True).first()


def operation_get(*, operation_id) -> Operation | None:
    return Operation.objects.filter(pk=operation_id).first()


def operations_running_count() -> int:
    return Operation.objects.filter(status__in=[Operation.Status.QUEUED, Operation.Status.RUNNING]).count()


def audit_entries_today_count() -> int:
    return AuditEntry.objects.filter(created_at__gte=clock.midnight(clock.today())).count()
