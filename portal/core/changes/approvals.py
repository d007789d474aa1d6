"""Four eyes on bulk changes: an Admin's rule per bulk action (`ApprovalRule`: over how many ticked rows a second
person must approve), the request a confirmed dry run becomes when a rule asks for one, and its approval or
rejection by someone else who may start that action.

Nothing is sent before approval: confirming such a dry run marks its batch waiting (`Batch.Approval.WAITING`,
with the rows its requester ticked) and sends nothing. Approving sends it through `bulk.batch_send`, the one way
a batch is sent: each row is checked again against the cache as at any confirmation (a row changed since the dry
run stops the send and shows the new check; approving again sends), each row its own Operation, sent at most
once. A request expires APPROVAL_HOURS after it was asked; the one who asked cannot approve it. Asking, approving
and rejecting are written to the audit trail."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from portal.core.changes.bulk import BatchRefused, bulk_action, may_start
from portal.core.changes.forms import NOTE_LENGTH
from portal.core.contrib import contributions
from portal.core.models import ApprovalRule, AuditEntry, Batch
from portal.core.services import audit_record


def rules() -> dict[str, int]:
    """Each bulk action's rule: approval needed over this many ticked rows (an action without one needs none)."""
    return dict(ApprovalRule.objects.values_list("action", "over_rows"))


def needs_approval(action_key: str, rows: int) -> bool:
    over = ApprovalRule.objects.filter(action=action_key).values_list("over_rows", flat=True).first()
    return over is not None and rows > over


def rules_set(*, user, wanted: Mapping[str, int | None]) -> list[str]:
    """Set the rules of the bulk actions in `wanted` (None: no approval); the keys of the actions changed."""
    known = {a.key for a in contributions("bulk_actions")}
    before = rules()
    changed = []
    with transaction.atomic():
        for key, over in wanted.items():
            if key not in known or before.get(key) == over:
                continue
            if over is None:
                ApprovalRule.objects.filter(action=key).delete()
            else:
                ApprovalRule.objects.update_or_create(action=key, defaults={"over_rows": over})
            changed.append(key)
        if changed:
            audit_record(
                actor=user,
                operation_id="portal.setApprovalRules",
                outcome=AuditEntry.Outcome.SUCCEEDED,
                sent={key: {"before": before.get(key), "after": wanted[key]} for key in changed},
            )
    return changed


def expires_at(batch: Batch) -> dt.datetime | None:
    if batch.approval != Batch.Approval.WAITING or batch.approval_asked_at is None:
        return None
    return batch.approval_asked_at + dt.timedelta(hours=settings.APPROVAL_HOURS)


def expired(batch: Batch, *, now: dt.datetime | None = None) -> bool:
    ends = expires_at(batch)
    return ends is not None and ends <= (now or timezone.now())


def may_approve(user, batch: Batch) -> bool:
    """Whether `user` may approve or reject the request: someone else who may start its action, in time."""
    if batch.approval != Batch.Approval.WAITING or batch.requested_by_id == user.pk or expired(batch):
        return False
    action = bulk_action(batch.action)
    if action is None:
        return False
    try:
        may_start(user, action)
    except PermissionDenied:
        return False
    return True


def refuse_approver(user, batch: Batch) -> None:
    """Raise `BatchRefused` saying why `user` may not approve or reject `batch` now."""
    if batch.approval != Batch.Approval.WAITING:
        raise BatchRefused(
            gettext("This bulk change is not waiting for approval: it was approved or rejected.")
        )
    if batch.requested_by_id == user.pk:
        raise BatchRefused(gettext("You asked for this bulk change: someone else must approve it."))
    if expired(batch):
        raise BatchRefused(
            gettext("This request expired: nothing was sent. Start the bulk change again to ask anew.")
        )


def batch_ask(*, user, batch: Batch, rows: int) -> None:
    """Mark the confirmed dry run as waiting for approval (inside the caller's transaction); nothing is sent."""
    Batch.objects.filter(pk=batch.pk).update(
        approval=Batch.Approval.WAITING, approval_asked_at=timezone.now(), total=rows
    )
    audit_record(
        actor=user,
        operation_id="portal.askBulkApproval",
        outcome=AuditEntry.Outcome.SUCCEEDED,
        sent={"batch": str(batch.pk), "action": batch.action, "rows": rows},
        reason=batch.reason,
    )


def approved(*, user, batch: Batch, note: str) -> dict:
    """The fields an approved batch gets as it starts sending (with its state), and its audit entry."""
    audit_record(
        actor=user,
        operation_id="portal.approveBulkChange",
        outcome=AuditEntry.Outcome.SUCCEEDED,
        sent={"batch": str(batch.pk), "action": batch.action, "asked_by": _who(batch)},
        reason=note,
    )
    return {
        "approval": Batch.Approval.APPROVED,
        "approved_by": user,
        "approval_at": timezone.now(),
        "approval_note": note[:NOTE_LENGTH],
    }


def batch_reject(*, user, batch: Batch, note: str) -> Batch:
    """Reject the request with a reason: nothing is sent, ever; the requester may start a new dry run."""
    action = bulk_action(batch.action)
    if action is not None:
        may_start(user, action)
    with transaction.atomic():
        locked = Batch.objects.select_for_update().get(pk=batch.pk)
        refuse_approver(user, locked)
        Batch.objects.filter(pk=batch.pk).update(
            approval=Batch.Approval.REJECTED,
            approved_by=user,
            approval_at=timezone.now(),
            approval_note=note[:NOTE_LENGTH],
        )
        audit_record(
            actor=user,
            operation_id="portal.rejectBulkChange",
            outcome=AuditEntry.Outcome.SUCCEEDED,
            sent={"batch": str(batch.pk), "action": batch.action, "asked_by": _who(locked)},
            reason=note,
        )
    batch.refresh_from_db()
    return batch


def waiting(*, user) -> QuerySet[Batch]:
    """The requests `user` may approve now: waiting, not expired, asked by someone else, of an action they may
    start; newest first (a range of the waiting requests' index)."""
    from portal.core.access import can

    actions = [a.key for a in contributions("bulk_actions") if can(user, a.perm)]
    since = timezone.now() - dt.timedelta(hours=settings.APPROVAL_HOURS)
    return (
        Batch.objects.filter(approval=Batch.Approval.WAITING, approval_asked_at__gt=since, action__in=actions)
        .exclude(requested_by=user)
        .order_by("-approval_asked_at")
    )


def _who(batch: Batch) -> str:
    return batch.requested_by.get_username() if batch.requested_by_id and batch.requested_by else ""
