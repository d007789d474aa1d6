"""Reads of the core app: the audit trail, sync runs, operations, the portal's users."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from django.db.models import Case, CharField, Count, Exists, F, OuterRef, Q, QuerySet, Value, When
from django.utils.translation import gettext, ngettext

from portal.core import clock
from portal.core.api_errors import meaning_of
from portal.core.compiled import Compiled
from portal.core.contrib import contributions, customer_names
from portal.core.lists import Sorts, by_customer_filters, capped_count, count_read_first
from portal.core.models import AuditEntry, Operation, SyncRun, SyncRunSummary, UserLanguage
from portal.core.operations import operation_label, operation_labels
from portal.core.retention import HOUSEKEEPING, rules
from portal.core.sync import CUSTOMER, FULL, PARTNER, REFRESH
from portal.core.sync.declarations import parse_scope, partner_wide

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


def count_per_customer(rows: QuerySet) -> dict[int, int]:
    """{domain_id: how many of `rows` belong to that customer} (one GROUP BY of `rows`' customer_id column)."""
    return dict(rows.order_by().values("customer_id").annotate(n=Count("*")).values_list("customer_id", "n"))


def audit_entry_list(
    *, filters: ActivityFilters, domain_id: int | None = None, user=None
) -> QuerySet[AuditEntry]:
    """The audit trail, filtered, each entry with its outcome as it stands (`settled`, see `with_settled`); the
    customer filters' "Mine" is `user`'s."""
    qs = with_settled(AuditEntry.objects.select_related("actor"))
    if filters.customers:
        # Planned apart: the customers' keys read once into a hash, where a join probed the owners' index for
        # each entry walked along the time index (an Account manager's page walks some twelve entries per row).
        qs = by_customer_filters(qs, filters.customers, user=user, key="domain_id", apart=True)
    if filters.user:
        qs = qs.filter(actor_name__icontains=filters.user)
    if filters.domain_id is not None:
        qs = qs.filter(domain_id=filters.domain_id)
    if domain_id is not None:
        qs = qs.filter(domain_id=domain_id)
    if filters.operation_id:
        qs = qs.filter(operation_id=filters.operation_id)
    if filters.outcome:
        qs = qs.filter(settled=filters.outcome)
    if filters.date_from:
        qs = qs.filter(created_at__gte=clock.midnight(filters.date_from))
    if filters.date_to:
        qs = qs.filter(created_at__lt=clock.midnight(filters.date_to + dt.timedelta(days=1)))
    return ACTIVITY_SORTS.order(qs, filters.sort)


def audit_entry_count(*, filters: ActivityFilters, user=None) -> int:
    """How many entries `audit_entry_list` has, up to the lists' cap (`lists.capped_count`). Narrowed by the
    customer filters alone (as an Account manager opens it, "Mine"), the entries are counted along the domainId
    index, that index alone: customer by customer, joined (not planned apart), so the count reads a few of
    their customers' index entries and stops, where unordered it walked everyone's entries to keep theirs. Any
    other filter is checked on the rows: those are counted as read."""
    if replace(filters, customers={}, sort=ACTIVITY_SORTS.default) == ActivityFilters():
        # The entries alone (no outcome settled, no join to their change), so that the index is read alone.
        theirs = by_customer_filters(AuditEntry.objects.all(), filters.customers, user=user, key="domain_id")
        return capped_count(theirs, along="domain_id", key="domain_id")
    return capped_count(audit_entry_list(filters=filters, user=user))


def audit_entries_of(keys: list[int]) -> list[AuditEntry]:
    """The entries of `keys` (a page of `audit_entry_list`'s), in that order, as the list shows them."""
    found = {
        entry.pk: entry
        for entry in with_settled(AuditEntry.objects.select_related("actor").filter(pk__in=keys))
    }
    return [found[key] for key in keys if key in found]


#: What an attempt whose answer was lost reads as once its change was settled (the change's own status).
_SETTLED = (Operation.Status.SUCCEEDED, Operation.Status.FAILED, Operation.Status.SUPERSEDED)


def with_settled(qs: QuerySet[AuditEntry]) -> QuerySet[AuditEntry]:
    """Each entry with `settled`: its outcome as it stands, said as the change's page says it. An attempt whose
    answer was lost (unknown) reads as what the portal settled its change as since (succeeded, failed, replaced
    by a later change); Failed too when its change was sent again after it (only a failed change is). Other
    entries keep their outcome."""
    unknown = AuditEntry.Outcome.UNKNOWN
    sent_again = AuditEntry.objects.filter(change=OuterRef("change"), pk__gt=OuterRef("pk"))
    return qs.annotate(
        settled=Case(
            # The outcome first: the database looks for a later attempt of an unknown one only.
            When(Q(outcome=unknown) & Exists(sent_again), then=Value(AuditEntry.Outcome.FAILED.value)),
            When(outcome=unknown, change__status__in=_SETTLED, then=F("change__status")),
            default=F("outcome"),
            output_field=CharField(),
        )
    )


def with_company_names(entries) -> None:
    """Give each audit entry (or anything with a `domain_id`) its customer's `company_name`, in one query."""
    names = customer_names(entry.domain_id for entry in entries)
    for entry in entries:
        entry.company_name = names.get(entry.domain_id, "")


def audit_operation_ids() -> list[str]:
    """The kinds of change the Activity page filters by: what the audit trail records, from the declarations
    (each declared change's operation and the portal's own writes that apps name, `portal.*`, `billing.*`),
    never a DISTINCT over the audit trail, which read every entry of a year's history on every open."""
    sent = _sent_operation_ids()
    return [name for name in operation_labels() if name in sent or "." in name]


def _sent_operation_ids() -> set[str]:
    """The operationIds of the declared changes: what the portal sends to LINE WORKS."""
    return {change.operation_id for change in contributions("changes")}


def retention_rules() -> dict[str, Any]:
    """The Data kept page: each retention rule with its table's name, for how long, its oldest row's date and
    the first day that row may be removed (one indexed read per rule), the tax period's end, the last
    housekeeping run and each table's size and growth as that run measured them (`table_sizes.shown`)."""
    from django.conf import settings
    from django.utils.dates import MONTHS

    shown = []
    for rule in rules():
        oldest = rule.oldest()
        shown.append(
            {
                "table": rule.table or rule.model_class._meta.verbose_name_plural,
                "kept": rule.kept,
                "keep": rule.keep.words(),
                "reason": rule.reason,
                "setting": rule.setting,
                "oldest": oldest,
                "removal": rule.removal_date(oldest) if oldest else None,
            }
        )
    from portal.core import table_sizes

    last = sync_run_latest_finished(kind=HOUSEKEEPING)
    return {
        **table_sizes.shown(),
        "rules": shown,
        "tax_year_end": MONTHS[settings.TAX_YEAR_END_MONTH],
        "last_run": sync_runs_described([last])[0] if last else None,
    }


def sync_run_list(*, limit: int = 50) -> list[SyncRun]:
    """The latest runs, each with its `label` and its errors' `text` in words (see `sync_runs_described`)."""
    return sync_runs_described(list(SyncRun.objects.select_related("requested_by")[:limit]))


def sync_runs_described(runs: list[SyncRun]) -> list[SyncRun]:
    """Give each run its `label` (what it read, in words: "Full resync", "Refresh of Kita K.K.", "Invoice
    details of 2026-10") and each of its errors a `text` (what went wrong, in words) and an `operation` name;
    the codes the engine records (operationIds, walk names, scopes) stay out of what people read."""
    names = {int(run.scope): run.customer_name for run in runs if _named_customer(run) and run.customer_name}
    names |= customer_names(int(run.scope) for run in runs if _named_customer(run) and not run.customer_name)
    for run in runs:
        run.label = _run_label(run, names)
        run.call_total = sum((run.calls or {}).values())
        run.described_errors = [
            {
                "domain_id": error.get("domain_id"),
                "company_name": names.get(error.get("domain_id") or 0, ""),
                "operation": operation_label(str(error.get("operation") or "").partition(":")[0])
                if error.get("operation")
                else "",
                "text": sync_error_text(error),
            }
            for error in run.errors or []
        ]
    return runs


def _named_customer(run: SyncRun) -> bool:
    """Whether a run is one customer's (its scope the customer's domainId)."""
    return run.kind == CUSTOMER and run.scope.isascii() and run.scope.isdigit()


def _kind_label(kind: str) -> str:
    """A kind of run in words, as a month's line of the history says it (a kind the list does not know: its code)."""
    return {
        FULL: gettext("Full resyncs"),
        REFRESH: gettext("Continuous refresh"),
        CUSTOMER: gettext("Refreshes of one customer"),
        PARTNER: gettext("Partner-wide reads"),
        HOUSEKEEPING: gettext("Housekeeping"),
    }.get(kind, kind)


def sync_history_by_month(*, months: int = 24) -> list[dict[str, Any]]:
    """The Sync page's history of the runs no longer kept one by one: a line per month and kind, from the runs'
    summaries (`SyncRunSummary`: the days not yet folded and the months), newest month first. One grouped read
    of a small table (a few rows per kind and day), never of the runs."""
    from django.db.models import Sum
    from django.db.models.functions import TruncMonth

    since = clock.today().replace(day=1)
    for _ in range(months - 1):
        since = (since - dt.timedelta(days=1)).replace(day=1)
    figures = ("runs", "failed", "partial", "items", "calls", "errors", "seconds")
    rows = (
        SyncRunSummary.objects.filter(start__gte=since)
        .annotate(month=TruncMonth("start"))
        .values("month", "kind")
        .annotate(**{f: Sum(f) for f in figures})
        .order_by("-month", "kind")
    )
    return [
        {**row, "label": _kind_label(row["kind"]), "duration": dt.timedelta(seconds=row["seconds"] or 0)}
        for row in rows
    ]


def _run_label(run: SyncRun, names: dict[int, str]) -> str:
    if run.kind == FULL:
        return gettext("Full resync")
    if run.kind == HOUSEKEEPING:
        return gettext("Housekeeping: old history removed")
    if run.kind == CUSTOMER:
        domain_id = int(run.scope) if run.scope.isascii() and run.scope.isdigit() else None
        name = names.get(domain_id or 0) or run.scope
        return gettext("Refresh of %(customer)s") % {"customer": name}
    if run.kind == REFRESH:
        return ngettext(
            "Continuous refresh of %(count)s customer", "Continuous refresh of %(count)s customers", run.total
        ) % {"count": run.total}
    if run.kind == PARTNER:
        name, params = parse_scope(run.scope)
        try:
            declaration = partner_wide(name)
        except KeyError:
            return run.scope
        if declaration.label is not None:
            return str(declaration.label(params))
        return operation_label(declaration.operation_id)
    return run.scope


def sync_error_text(error: dict) -> str:
    """What went wrong in one call or store of a run, in the reader's language: what the API's answer means
    (its status and code, portal.core.api_errors), or the engine's own sentence (stored in English, marked for
    translation)."""
    if "status" in error or "code" in error:
        meaning = meaning_of(status=error.get("status"), code=error.get("code") or "")
        if meaning is None:
            meaning = gettext("LINE WORKS could not be reached, or did not answer in time.")
        return meaning[:1].upper() + meaning[1:]
    return gettext(str(error.get("error") or ""))


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
    far more than this one column on both databases (`python -m bench.options list` seeds such a history).
    Compiled once per connection (`portal.core.compiled`): its query never changes."""
    found = _LAST_FULL_SYNC.rows()
    return found[0][0] if found else None


_LAST_FULL_SYNC = Compiled(lambda: _finished_runs(FULL).values_list("finished_at")[:1])


def operation_get(*, operation_id, user) -> Operation | None:
    """The operation, if `user` may read its customer (with PORTFOLIO_ONLY on, another Account manager's is
    not found, as that customer's own page is not)."""
    qs = Operation.objects.filter(pk=operation_id)
    narrowed = by_customer_filters(qs, {}, user=user, key="domain_id")
    if narrowed is qs:  # the reader may read every customer's: one query (the page polls it)
        return qs.first()
    return qs.filter(Q(domain_id=None) | Q(pk__in=narrowed.values("pk"))).first()


def operations_running_count(*, narrow=None) -> int:
    """Operations queued or running (of the customers `narrow(qs, key=)` keeps, when given)."""
    qs = Operation.objects.filter(status__in=[Operation.Status.QUEUED, Operation.Status.RUNNING])
    return (narrow(qs, key="domain_id") if narrow else qs).count()


def audit_entries_today_count(*, narrow=None) -> int:
    """Changes sent to LINE WORKS today, each attempt (of the customers `narrow(qs, key=)` keeps, when given): the
    declared changes' operations, not the portal's own writes (owners, billing details, invoices). Everyone's
    are counted up to one past the lists' cap (`lists.capped_count`)."""
    today = clock.midnight(clock.today())
    qs = AuditEntry.objects.filter(created_at__gte=today, operation_id__in=_sent_operation_ids())
    if narrow is None or not narrow(AuditEntry.objects.all(), key="domain_id").query.where:
        # Everyone's: counted up to the lists' cap (the figure says "More than 1,000" past it), as a day's
        # changes grow with the partner's customers.
        return capped_count(qs)
    # Today's changes read first, then whose they are (`lists.count_read_first`).
    return count_read_first(qs, narrow, key="domain_id")


def language_of(user) -> str:
    """The language `user` reads the portal in (remembered at sign-in and at each switch), or the portal's
    default when none is remembered yet."""
    from django.conf import settings

    found = UserLanguage.objects.filter(user_id=user.pk).values_list("language", flat=True).first()
    return found if found in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def languages_of(users) -> dict[int, str]:
    """`language_of` for several people in one read: user id -> language."""
    from django.conf import settings

    known = dict(settings.LANGUAGES)
    found = dict(
        UserLanguage.objects.filter(user_id__in=[u.pk for u in users]).values_list("user_id", "language")
    )
    return {u.pk: found[u.pk] if found.get(u.pk) in known else settings.LANGUAGE_CODE for u in users}


def change_days(*, since: dt.datetime, until: dt.datetime, zone) -> dict[int, set[dt.date]]:
    """The days (in `zone`) on which a change to each customer was applied through the portal and succeeded,
    from the audit trail, for entries made since..until: {domainId: {day, ...}}. Only the declared changes count
    (what is sent to LINE WORKS): the portal's own records and the apps' notes change nothing in the API."""
    days: dict[int, set[dt.date]] = {}
    for domain_id, created in AuditEntry.objects.filter(
        domain_id__isnull=False,
        outcome=AuditEntry.Outcome.SUCCEEDED,
        created_at__gte=since,
        created_at__lte=until,
        operation_id__in=_sent_operation_ids(),
    ).values_list("domain_id", "created_at"):
        days.setdefault(domain_id, set()).add(created.astimezone(zone).date())
    return days
