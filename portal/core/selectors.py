"""Reads of the core app: the audit trail, sync runs, operations, the portal's users."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from portal.core import clock
from portal.core.access import Role, check, role_value
from portal.core.contrib import customer_names
from portal.core.lists import Sorts
from portal.core.models import AuditEntry, Operation, SyncRun
from portal.core.permissions import MANAGE_USERS
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
    sort: str = ACTIVITY_SORTS.default


def audit_entry_list(*, filters: ActivityFilters, domain_id: int | None = None) -> QuerySet[AuditEntry]:
    qs = AuditEntry.objects.select_related("actor")
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


# --- The Users page ----------------------------------------------------------------------------------------

#: The users list's sorts: by user name unless asked.
USER_SORTS = Sorts(
    {
        "username": ("username",),
        "name": ("last_name", "first_name", "username"),
        "email": ("email", "username"),
        "last_login": ("last_login", "username"),
    },
    default="username",
)
#: A role filter's value for users in no role group (made outside the portal).
NO_ROLE = "none"


@dataclass(frozen=True)
class UserFilters:
    q: str = ""
    role: str = ""  # a Role value, NO_ROLE, or "" for any
    status: str = ""  # "active", "inactive", or "" for both
    sort: str = USER_SORTS.default


def _users() -> QuerySet:
    """Users with `role_value` and `two_factor` (a confirmed authenticator) annotated."""
    devices = TOTPDevice.objects.filter(user_id=OuterRef("pk"), confirmed=True)
    return get_user_model().objects.annotate(role_value=role_value(), two_factor=Exists(devices))


def user_list(*, user, filters: UserFilters) -> QuerySet:
    """The portal's users for the Users page: each word of the search in the user name, a name or the email."""
    check(user, MANAGE_USERS)
    qs = _users()
    for word in filters.q.split():
        qs = qs.filter(
            Q(username__icontains=word)
            | Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
        )
    if filters.role:
        qs = qs.filter(role_value="" if filters.role == NO_ROLE else filters.role)
    if filters.status:
        qs = qs.filter(is_active=filters.status == "active")
    return USER_SORTS.order(qs, filters.sort)


def user_get(*, user, user_id: int):
    """One user of the Users page (annotated as in the list), or None."""
    check(user, MANAGE_USERS)
    return _users().filter(pk=user_id).first()


def username_taken(*, username: str) -> bool:
    """Whether a user name is in use, in any case ("Alice" and "alice" would be two people signing in alike)."""
    return get_user_model().objects.filter(username__iexact=username).exists()


def active_admin_ids() -> set[int]:
    """Active users who are Admins (by group or as superusers)."""
    admins = Q(is_superuser=True) | Q(groups__name=Role.ADMIN.group_name)
    return set(get_user_model().objects.filter(admins, is_active=True).values_list("pk", flat=True))


def user_removal_refusal(*, actor, target, deactivate: bool = False, role: Role | None = None) -> str:
    """Why deactivating `target` (or moving them to `role`) must not happen, in words for the Admin; "" when
    it may. An Admin does not deactivate themselves, and the last active Admin stays one."""
    if deactivate and target.pk == actor.pk:
        return _("You cannot deactivate your own account. Another Admin can do it.")
    leaves_admins = deactivate or (role is not None and role != Role.ADMIN)
    if leaves_admins and target.is_active and active_admin_ids() == {target.pk}:
        return _(
            "%(username)s is the last active Admin. Make another user an Admin first, so that someone can "
            "still manage users."
        ) % {"username": target.username}
    return ""


def user_password_reset_refusal(*, actor, target) -> str:
    """Why the Users page does not reset this password ("" when it may): an Admin's own is changed under
    Change password, which keeps them signed in."""
    if target.pk == actor.pk:
        return _("To change your own password, use Change password in your menu.")
    return ""
