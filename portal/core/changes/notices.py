"""What the change pipeline tells people outside the portal's pages (portal/core/notices/): a change of theirs that
failed or whose outcome is unknown once the worker settled it, a bulk change of theirs that finished, and a change
waiting for their approval. Each is told once (its key: the operation's or the batch's id)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from portal.core.contrib import customer_names
from portal.core.models import Batch, BatchRow, Operation
from portal.core.notices.choices import people_who_may, tell
from portal.core.notices.content import Message
from portal.core.notices.kinds import EMAIL, NoticeKind
from portal.core.operations import operation_label
from portal.core.permissions import RUN_BATCHES, USE_PORTAL

CHANGE_FAILED = "change.failed"
BATCH_FINISHED = "batch.finished"
APPROVAL_WAITING = "approval.waiting"

KINDS = [
    NoticeKind(
        CHANGE_FAILED,
        gettext_lazy("A change of yours failed or its outcome is unknown"),
        gettext_lazy(
            "A change the worker sent for you (queued, or rows of a bulk change) that LINE WORKS refused, or "
            "whose answer was lost."
        ),
        USE_PORTAL,
        default=EMAIL,
        order=10,
        room_label=gettext_lazy("A change failed or its outcome is unknown"),
    ),
    NoticeKind(
        BATCH_FINISHED,
        gettext_lazy("A bulk change of yours finished"),
        gettext_lazy("When every row has been sent, with how many were applied."),
        RUN_BATCHES,
        order=20,
        room_label=gettext_lazy("A bulk change finished"),
    ),
    NoticeKind(
        APPROVAL_WAITING,
        gettext_lazy("A change waits for your approval"),
        gettext_lazy("Someone asked for a second person's approval of a change you may make."),
        USE_PORTAL,
        default=EMAIL,
        order=30,
        room_label=gettext_lazy("A change waits for approval"),
    ),
]


def _customer(domain_id: int | None) -> str:
    if domain_id is None:
        return ""
    return customer_names([domain_id]).get(domain_id, str(domain_id))


def change_settled(operation: Operation) -> None:
    """After the worker settled a change: a bulk row's batch is settled (told when it finishes); a change of its
    own that failed or whose outcome is unknown is told to its requester."""
    row = BatchRow.objects.filter(operation=operation).select_related("batch").first()
    if row is not None:
        from portal.core.changes.bulk import batch_settle

        batch_settle(row.batch)
        return
    if operation.status not in (Operation.Status.FAILED, Operation.Status.UNKNOWN):
        return
    customer = _customer(operation.domain_id)

    def message() -> Message:
        what = operation_label(operation.kind)
        if operation.status == Operation.Status.UNKNOWN:
            title = _("Outcome unknown: %(what)s") % {"what": what}
            text = _(
                "LINE WORKS did not answer the change for %(customer)s: the portal reads it back before "
                "anything is sent again."
            )
        else:
            title = _("Not applied: %(what)s") % {"what": what}
            text = _("The change for %(customer)s was not applied: %(why)s")
        return Message(
            title=title,
            text=text % {"customer": customer or "—", "why": operation.error or "—"},
            url=reverse("core:operation", args=[operation.pk]),
            label=_("Open the change"),
        )

    tell(CHANGE_FAILED, users=[operation.requested_by], message=message, key=str(operation.pk))


def batch_finished(batch: Batch, counts: dict[str, int]) -> None:
    """Tell its requester that a bulk change finished: of failed or unknown rows as a failure, else that it
    finished (one notice, not both)."""
    from portal.core.changes.bulk import bulk_action

    action = bulk_action(batch.action)
    label = str(action.label) if action else _("Bulk change")
    not_applied = counts.get("failed", 0) + counts.get("unknown", 0)

    def message() -> Message:
        title = (
            ngettext(
                "%(action)s: %(count)s row not applied", "%(action)s: %(count)s rows not applied", not_applied
            )
            % {"action": label, "count": not_applied}
            if not_applied
            else _("%(action)s finished") % {"action": label}
        )
        text = _(
            "%(applied)s applied, %(failed)s failed, %(unknown)s outcome unknown, %(stopped)s stopped."
        ) % {
            "applied": counts.get("applied", 0) + counts.get("superseded", 0),
            "failed": counts.get("failed", 0),
            "unknown": counts.get("unknown", 0),
            "stopped": counts.get("stopped", 0),
        }
        return Message(
            title=title,
            text=text,
            url=reverse("core:batch", args=[batch.pk]),
            label=_("Open the bulk change"),
        )

    kind = CHANGE_FAILED if not_applied else BATCH_FINISHED
    tell(kind, users=[batch.requested_by], message=message, key=f"batch:{batch.pk}")
    if not_applied:  # who chose only "finished" is told too, once
        tell(
            BATCH_FINISHED, users=[batch.requested_by], message=message, key=f"batch:{batch.pk}", rooms=False
        )


def approval_asked(*, batch: Batch | None = None, operation: Operation | None = None, may_approve) -> None:
    """Tell the people who may approve the request (a bulk change or a held change; `may_approve(user)`) that
    it waits for them."""
    from portal.core.changes.bulk import bulk_action

    if batch is not None:
        run: Batch | Operation = batch
        url = reverse("core:batch", args=[batch.pk])
        action = bulk_action(batch.action)
        what = str(action.label) if action else ""
    elif operation is not None:
        run, url, what = (
            operation,
            reverse("core:operation", args=[operation.pk]),
            operation_label(operation.kind),
        )
    else:
        raise ValueError("a batch or an operation")
    asker = run.requested_by
    approvers = [user for user in people_who_may(KINDS[2]) if user != asker and may_approve(user)]

    def message() -> Message:
        return Message(
            title=_("Waiting for your approval: %(what)s") % {"what": what},
            text=_("%(who)s asks for a second person's approval. Reason: %(why)s")
            % {
                "who": (asker.get_full_name() or asker.get_username()) if asker else "—",
                "why": (batch.reason if batch else "") or "—",
            },
            url=url,
            label=_("Review it"),
        )

    tell(APPROVAL_WAITING, users=approvers, message=message, key=f"approval:{run.pk}")
