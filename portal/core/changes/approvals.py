"""Four eyes on bulk changes: an Admin's rule per bulk action (`ApprovalRule`: over how many ticked rows a second
person must approve), the request a confirmed dry run becomes when a rule asks for one, and its approval or
rejection by someone else who may start that action.

Nothing is sent before approval: confirming such a dry run marks its batch waiting (`Batch.Approval.WAITING`,
with the rows its requester ticked) and sends nothing. Approving sends it through `bulk.batch_send`, the one way
a batch is sent: each row is checked again against the cache as at any confirmation (a row changed since the dry
run stops the send and shows the new check; approving again sends), each row its own Operation, sent at most
once. A request expires APPROVAL_HOURS after it was asked; the one who asked cannot approve it. Asking, approving
and rejecting are written to the audit trail.

Single changes (below): an Admin's rule per kind of change (`Change.approval`: any cancellation, a deletion, a
licence reduction over a number) holds such a change, sent from its page, as a HELD operation until someone else
who may make it approves it (`engine.change_release`) or rejects it. The same rule holds a bulk change one of
whose rows is such a change (`needs_approval`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from portal.core.access import can
from portal.core.changes.bulk import BatchRefused, bulk_action, may_start
from portal.core.changes.forms import NOTE_LENGTH
from portal.core.changes.spec import approval_amount, change_for
from portal.core.contrib import contributions
from portal.core.models import ApprovalRule, AuditEntry, Batch, Operation
from portal.core.services import audit_record


def rules() -> dict[str, int]:
    """Each bulk action's rule: approval needed over this many ticked rows (an action without one needs none)."""
    return dict(ApprovalRule.objects.exclude(action__startswith="change:").values_list("action", "over_rows"))


def rule_for(action_key: str) -> int | None:
    """Over how many ticked rows a bulk change of this action needs approval; None: it needs none."""
    return ApprovalRule.objects.filter(action=action_key).values_list("over_rows", flat=True).first()


def row_rule(action) -> tuple[str, int] | None:
    """The kind of change each row of a bulk change of `action` is, and over how much of it an Admin's rule asks
    for approval ("reduction", 10); None when no rule holds its rows."""
    change = change_for(action.operation_id) if action.operation_id else None
    if change is None or not change.approval:
        return None
    over = rule_for(_change_rule(change.approval))
    return None if over is None else (change.approval, over)


def needs_approval(action, values: Mapping, rows: Sequence) -> bool:
    """Whether a bulk change of `action` on these rows (as the cache has them now) waits for a second person: over
    its own rule's number of rows, or one of its rows is a change an Admin's rule holds (a reduction of more
    licences than the rule's number)."""
    over = rule_for(action.key)
    if over is not None and len(rows) > over:
        return True
    held = row_rule(action)
    if held is None or action.args is None:
        return False
    change, args = change_for(action.operation_id), action.args
    return any(approval_amount(change, args(row, values)) > held[1] for row in rows)


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


def _ends(asked: dt.datetime | None) -> dt.datetime | None:
    return asked + dt.timedelta(hours=settings.APPROVAL_HOURS) if asked is not None else None


#: Why a request cannot be approved or rejected now: it is no request any more, it is the reader's own, it expired.
#: Words of a batch's request, then of a held change's (translated when said).
_BATCH_REFUSALS = (
    gettext_noop("This bulk change is not waiting for approval: it was approved or rejected."),
    gettext_noop("You asked for this bulk change: someone else must approve it."),
    gettext_noop("This request expired: nothing was sent. Start the bulk change again to ask anew."),
)
_CHANGE_REFUSALS = (
    gettext_noop("This change is not waiting for approval: it was approved or rejected."),
    gettext_noop("You asked for this change: someone else must approve it."),
    gettext_noop("This request expired: nothing was sent. Make the change again to ask anew."),
)


def _refusal(user, *, waiting: bool, asked_by: int | None, ends: dt.datetime | None, words: tuple) -> str:
    """Why `user` may not decide a request now, in their words; "" when they may (their permission aside)."""
    if not waiting:
        return gettext(words[0])
    if asked_by == user.pk:
        return gettext(words[1])
    if ends is not None and ends <= timezone.now():
        return gettext(words[2])
    return ""


def expires_at(batch: Batch) -> dt.datetime | None:
    return _ends(batch.approval_asked_at) if batch.approval == Batch.Approval.WAITING else None


def expired(batch: Batch) -> bool:
    ends = expires_at(batch)
    return ends is not None and ends <= timezone.now()


def _batch_refusal(user, batch: Batch) -> str:
    return _refusal(
        user,
        waiting=batch.approval == Batch.Approval.WAITING,
        asked_by=batch.requested_by_id,
        ends=expires_at(batch),
        words=_BATCH_REFUSALS,
    )


def may_approve(user, batch: Batch) -> bool:
    """Whether `user` may approve or reject the request: someone else who may start its action, in time."""
    action = bulk_action(batch.action)
    if _batch_refusal(user, batch) or action is None:
        return False
    try:
        may_start(user, action)
    except PermissionDenied:
        return False
    return True


def refuse_approver(user, batch: Batch) -> None:
    """Raise `BatchRefused` saying why `user` may not approve or reject `batch` now."""
    refusal = _batch_refusal(user, batch)
    if refusal:
        raise BatchRefused(refusal)


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
    from portal.core.changes import notices

    batch.refresh_from_db()
    notices.approval_asked(batch=batch, may_approve=lambda person: may_approve(person, batch))


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
    actions = [a.key for a in contributions("bulk_actions") if can(user, a.perm)]
    since = timezone.now() - dt.timedelta(hours=settings.APPROVAL_HOURS)
    return (
        Batch.objects.filter(approval=Batch.Approval.WAITING, approval_asked_at__gt=since, action__in=actions)
        .exclude(requested_by=user)
        .order_by("-approval_asked_at")
    )


def _who(batch: Batch) -> str:
    return batch.requested_by.get_username() if batch.requested_by_id and batch.requested_by else ""


# --- Single changes ----------------------------------------------------------------------------------------

#: The kinds of change an Admin may ask a second person to approve (`Change.approval`), in words. A ticked kind
#: holds every such change; a counted one (`COUNTED_KINDS`) a change doing more of it than the rule's number
#: (`Change.amount`).
CHANGE_KINDS = {
    "cancellation": _("Any cancellation (a subscription or an option cancelled now)"),
    "deletion": _("A customer's deletion"),
}
COUNTED_KINDS = {
    "reduction": _(
        "A licence reduction at renewal: approval when it takes away more than this many licences"
    ),
}


def _change_rule(kind: str) -> str:
    return f"change:{kind}"


def change_rules() -> dict[str, int | None]:
    """Each kind of change: over how much of it a second person must approve (0: every time); None: never."""
    kept = dict(ApprovalRule.objects.filter(action__startswith="change:").values_list("action", "over_rows"))
    return {kind: kept.get(_change_rule(kind)) for kind in (*CHANGE_KINDS, *COUNTED_KINDS)}


def change_needs_approval(change, args: Mapping) -> bool:
    """Whether an Admin's rule holds this change with these arguments for a second person's approval."""
    if not change.approval:
        return False
    over = rule_for(_change_rule(change.approval))
    return over is not None and approval_amount(change, args) > over


def change_rules_set(*, user, wanted: Mapping[str, int | None]) -> list[str]:
    """Set over how much of each kind of change approval is needed (None: never); the kinds changed."""
    before = change_rules()
    changed = [kind for kind in before if kind in wanted and wanted[kind] != before[kind]]
    with transaction.atomic():
        for kind in changed:
            over = wanted[kind]
            if over is None:
                ApprovalRule.objects.filter(action=_change_rule(kind)).delete()
            else:
                ApprovalRule.objects.update_or_create(action=_change_rule(kind), defaults={"over_rows": over})
        if changed:
            audit_record(
                actor=user,
                operation_id="portal.setApprovalRules",
                outcome=AuditEntry.Outcome.SUCCEEDED,
                sent={
                    _change_rule(kind): {"before": before[kind], "after": wanted[kind]} for kind in changed
                },
            )
    return changed


def operation_expires_at(operation: Operation) -> dt.datetime | None:
    return _ends(operation.requested_at) if operation.status == Operation.Status.HELD else None


def _operation_refusal(user, operation: Operation) -> str:
    return _refusal(
        user,
        waiting=operation.status == Operation.Status.HELD,
        asked_by=operation.requested_by_id,
        ends=operation_expires_at(operation),
        words=_CHANGE_REFUSALS,
    )


def _may_make(user, operation: Operation) -> bool:
    change = change_for(operation.kind)
    return change.perm is not None and can(user, change.perm)


def operation_may_approve(user, operation: Operation) -> bool:
    """Someone else who may make the change, while the request stands."""
    return not _operation_refusal(user, operation) and _may_make(user, operation)


def _refuse_operation_approver(user, operation: Operation) -> None:
    refusal = _operation_refusal(user, operation)
    if refusal:
        raise BatchRefused(refusal)
    if not _may_make(user, operation):
        raise PermissionDenied


def operation_approve(*, user, operation: Operation, note: str) -> None:
    """Approve a held change: it is queued for a worker and sent once (`engine.change_release`)."""
    from portal.core.changes.engine import change_release

    with transaction.atomic():
        locked = Operation.objects.select_for_update().get(pk=operation.pk)
        _refuse_operation_approver(user, locked)
        audit_record(
            actor=user,
            operation_id="portal.approveChange",
            outcome=AuditEntry.Outcome.SUCCEEDED,
            domain_id=locked.domain_id,
            sent={"operation": str(locked.pk), "change": locked.kind},
            reason=note[:NOTE_LENGTH],
        )
        change_release(locked)


def operation_reject(*, user, operation: Operation, note: str) -> None:
    """Reject a held change with a reason: it is never sent (FAILED, the reason its error)."""
    with transaction.atomic():
        locked = Operation.objects.select_for_update().get(pk=operation.pk)
        _refuse_operation_approver(user, locked)
        who = user.get_full_name() or user.get_username()
        Operation.objects.filter(pk=locked.pk).update(
            status=Operation.Status.FAILED,
            error=gettext("Rejected by %(who)s: %(why)s") % {"who": who, "why": note[:NOTE_LENGTH]},
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
        audit_record(
            actor=user,
            operation_id="portal.rejectChange",
            outcome=AuditEntry.Outcome.SUCCEEDED,
            domain_id=locked.domain_id,
            sent={"operation": str(locked.pk), "change": locked.kind},
            reason=note[:NOTE_LENGTH],
        )


def held_waiting(*, user) -> QuerySet[Operation]:
    """The held changes `user` may approve now, newest first."""
    since = timezone.now() - dt.timedelta(hours=settings.APPROVAL_HOURS)
    # The kinds of change that can be held and that `user` may make, from the declarations (no read).
    kinds = [
        c.operation_id
        for c in contributions("changes")
        if c.approval and c.perm is not None and can(user, c.perm)
    ]
    return (
        Operation.objects.filter(status=Operation.Status.HELD, requested_at__gt=since, kind__in=kinds)
        .exclude(requested_by=user)
        .order_by("-requested_at")
    )
