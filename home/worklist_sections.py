"""Core's own sections of the home page's worklist: bulk changes waiting for the reader's approval, operations
whose outcome is unknown or that failed, and (for Support) recent activity. Contributed from core's AppConfig through the same registry as every app's."""

from __future__ import annotations

import datetime as dt
from functools import partial

from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from home.worklist import WorkContext, WorkItem, WorkList, WorkSection
from portal.core.access import Role
from portal.core.changes import approvals, bulk
from portal.core.contrib import customer_names
from portal.core.lists import count_cap
from portal.core.models import AuditEntry, Operation
from portal.core.operations import operation_label
from portal.core.permissions import RUN_BATCHES, USE_PORTAL, VIEW_ACTIVITY
from portal.core.selectors import with_settled

#: A failed operation stays on the worklist this many days.
FAILED_DAYS = 7
#: Recent activity: the changes of this many days.
ACTIVITY_DAYS = 7


def open_operations(ctx: WorkContext) -> WorkList:
    """Changes whose outcome is unknown (the portal is reading them back), and those that failed in the last
    FAILED_DAYS days; newest first. Each links to its operation page.

    Each is one range of the operations' partial index of (status, time), which holds the columns shown and the
    customer (`Operation.Meta.indexes`): the page is the two ranges' first rows merged (`UNION ALL`, each cut
    to the page's end), the count the two ranges counted (up to the lists' cap on the full list), each read
    from the index alone. One query of both (`status = unknown OR ...`) read them as a bitmap of the index,
    then every such operation's row, to keep an Account manager's few (`python -m bench scale`). An Account
    manager's are the same two ranges of its twin led by the manager, which each operation carries
    (`CarriesCustomer`), not the partner's whole ranges against the manager's customers."""
    since = ctx.now - dt.timedelta(days=FAILED_DAYS)
    ranges = [
        ctx.narrow(Operation.objects.filter(status=Operation.Status.UNKNOWN), key="domain_id"),
        ctx.narrow(
            Operation.objects.filter(status=Operation.Status.FAILED, requested_at__gte=since), key="domain_id"
        ),
    ]
    fields = ("id", "kind", "domain_id", "status", "requested_at")
    end = None if ctx.limit is None else ctx.offset + ctx.limit
    rows = ctx.cut(
        _union_all([qs.values_list(*fields) for qs in ranges], end, "-requested_at").order_by("-requested_at")
    )
    if ctx.limit is not None and len(rows) < ctx.limit and (rows or not ctx.offset):
        count = ctx.offset + len(rows)  # the last page: nothing more to count
    else:
        most = count_cap() + 1 if ctx.capped else None
        count = _union_all([qs.values("pk") for qs in ranges], most).count()
        count = count if most is None else min(count, most)
    names = customer_names(row[2] for row in rows)
    words = {k: str(v) for k, v in Operation.Status.choices}
    page = reverse("core:operation", args=["00000000-0000-0000-0000-000000000000"])
    items = [
        WorkItem(
            customer=names.get(domain_id, str(domain_id or "")),
            text=str(operation_label(kind)),
            url=page.replace("00000000-0000-0000-0000-000000000000", str(pk)),
            badge=words.get(status, status),
            uid=f"operation-{pk}",
            day=created.astimezone(ctx.now.tzinfo).date(),
        )
        for pk, kind, domain_id, status, created in rows
    ]
    return WorkList(count, items)


def recent_activity(ctx: WorkContext) -> WorkList:
    """Changes made in the last ACTIVITY_DAYS days, newest first, each linking to the customer's activity; each
    outcome as it stands, as Activity says it (`with_settled`)."""
    since = ctx.now - dt.timedelta(days=ACTIVITY_DAYS)
    entries = with_settled(AuditEntry.objects.filter(created_at__gte=since))
    qs = ctx.narrow(entries, key="domain_id").order_by("-created_at", "-id")
    # Apart: the first rows walk the time index and the count reads it alone; a window count worked out each of
    # the week's entries' outcome and sorted them all to show five (Admin's home with a year of history).
    rows, count = ctx.first_and_count(
        qs, "id", "operation_id", "domain_id", "settled", "actor_name", "created_at", count_apart=True
    )
    names = customer_names(row[2] for row in rows)
    outcomes = {k: str(v) for k, v in AuditEntry.Outcome.choices}
    activity = reverse("core:activity")
    items = [
        WorkItem(
            customer=names.get(domain_id, str(domain_id or "")),
            text=gettext("%(operation)s by %(user)s at %(time)s")
            % {
                "operation": operation_label(operation_id),
                "user": actor or "-",
                "time": gettext("%(when)s JST")
                % {"when": created.astimezone(ctx.now.tzinfo).strftime("%m-%d %H:%M")},
            },
            url=f"{activity}?domain_id={domain_id}" if domain_id else activity,
            badge=outcomes.get(outcome, outcome),
            uid=f"audit-{pk}",
        )
        for pk, operation_id, domain_id, outcome, actor, created in rows
    ]
    return WorkList(count, items)


#: Who asked for a request waiting for approval, read with its row: their name, else their user name.
ASKED_BY = ("requested_by__first_name", "requested_by__last_name", "requested_by__username")


def _who(first: str | None, last: str | None, username: str | None) -> str:
    return f"{first or ''} {last or ''}".strip() or username or "-"


def approvals_waiting(ctx: WorkContext) -> WorkList:
    """Bulk changes waiting for a second person's approval that the reader may give (asked by someone else, of
    an action they may start, not expired), newest first, each linking to its dry run; decisions whose day is the
    last the request can be approved (the morning digest and the calendar feed carry them)."""
    rows, count = ctx.first_and_count(
        approvals.waiting(user=ctx.user),
        "id",
        "action",
        "total",
        "approval_asked_at",
        *ASKED_BY,
        count_apart=True,
    )
    labels = {a.key: str(a.label) for a in bulk.all_actions()}
    expiry = dt.timedelta(hours=settings.APPROVAL_HOURS)
    items = []
    for pk, action, total, asked, *asker in rows:
        who = _who(*asker)
        items.append(
            WorkItem(
                customer=labels.get(action, action),
                text=ngettext("%(n)d row, asked by %(who)s", "%(n)d rows, asked by %(who)s", total)
                % {"n": total, "who": who},
                url=reverse("core:batch", args=[pk]),
                uid=f"approval-{pk}",
                # A decision: the last day it can be approved (the digest and the calendar feed carry it).
                day=(asked + expiry).astimezone(ctx.now.tzinfo).date(),
            )
        )
    return WorkList(count, items)


def changes_held(ctx: WorkContext) -> WorkList:
    """Single changes (a cancellation, a customer's deletion) someone else asked for that wait for the reader's
    approval, newest first, each linking to its operation page; decisions by the request's last day."""
    rows, count = ctx.first_and_count(
        approvals.held_waiting(user=ctx.user),
        "id",
        "kind",
        "domain_id",
        "requested_at",
        *ASKED_BY,
        count_apart=True,
    )
    names = customer_names(row[2] for row in rows)
    expiry = dt.timedelta(hours=settings.APPROVAL_HOURS)
    page = reverse("core:operation", args=["00000000-0000-0000-0000-000000000000"])
    items = []
    for pk, kind, domain_id, asked, *asker in rows:
        who = _who(*asker)
        items.append(
            WorkItem(
                customer=names.get(domain_id, str(domain_id or "")),
                text=gettext("%(change)s, asked by %(who)s") % {"change": operation_label(kind), "who": who},
                url=page.replace("00000000-0000-0000-0000-000000000000", str(pk)),
                uid=f"held-{pk}",
                day=(asked + expiry).astimezone(ctx.now.tzinfo).date(),
            )
        )
    return WorkList(count, items)


def _union_all(parts: list, end: int | None, *order: str):
    """`parts` (querysets of the same columns) as one `UNION ALL`, each cut to its first `end` rows in `order`
    where the database allows a cut inside a union (PostgreSQL; SQLite reads them whole)."""
    if end is not None and connection.features.supports_slicing_ordering_in_compound:
        parts = [qs.order_by(*order)[:end] for qs in parts]
    else:
        parts = [qs.order_by() for qs in parts]
    first, *rest = parts
    return first.union(*rest, all=True)


#: What the two sections of requests waiting for approval share: decisions by each request's last day, for those
#: who make bulk changes (Account managers, Admins).
_waiting_approval = partial(WorkSection, perm=RUN_BATCHES, day_label=_("Approve by"), decision=True, sorts=())

SECTIONS = [
    _waiting_approval(
        key="approvals",
        title=_("Approvals waiting"),
        help=_(
            "Bulk changes someone else asked for that need a second person's approval before anything is sent."
        ),
        read=approvals_waiting,
        order=5,
    ),
    _waiting_approval(
        key="held-changes",
        title=_("Changes waiting for approval"),
        help=_(
            "Cancellations and deletions someone else asked for: nothing is sent before a second person approves."
        ),
        read=changes_held,
        order=6,
    ),
    WorkSection(
        key="operations",
        title=_("Changes unknown or failed"),
        help=_(
            "Changes whose outcome the portal is still reading back, and those that failed in the last 7 days."
        ),
        read=open_operations,
        perm=USE_PORTAL,
        order=40,
        sorts=(),  # newest first; their customers' names are read apart
    ),
    WorkSection(
        key="activity",
        title=_("Recent activity"),
        help=_("Changes made through the portal in the last 7 days."),
        read=recent_activity,
        roles=frozenset({Role.SUPPORT, Role.ADMIN}),
        perm=VIEW_ACTIVITY,
        more_url_name="core:activity",
        order=90,
        sorts=(),
    ),
]
