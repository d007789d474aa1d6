"""What the change pipeline sends the partner's own systems (portal/core/events/): a change applied or failed
(whoever sent it, in a request or the worker), and a bulk change that finished. Each once (its key)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.core.events.outbox import emit
from portal.core.events.types import EventType
from portal.core.models import Batch, Operation

TYPES = [
    EventType(
        "change.applied",
        _("A change was applied"),
        _("LINE WORKS applied a change sent through the portal (a form, a bulk row or the API)."),
        data=("operation", "change", "customer", "url"),
        order=10,
    ),
    EventType(
        "change.failed",
        _("A change failed"),
        _("LINE WORKS refused a change, or its outcome stayed unknown after it was read back."),
        data=("operation", "change", "customer", "error", "url"),
        order=11,
    ),
    EventType(
        "batch.finished",
        _("A bulk change finished"),
        _("Every row of a bulk change was sent."),
        data=("batch", "action", "applied", "failed", "unknown", "stopped", "url"),
        order=12,
    ),
]


def operation_settled(operation: Operation) -> None:
    """A change applied or failed (called as its status is written)."""
    if operation.status == Operation.Status.SUCCEEDED:
        kind = "change.applied"
    elif operation.status == Operation.Status.FAILED:
        kind = "change.failed"
    else:
        return
    data = {
        "operation": str(operation.pk),
        "change": operation.kind,
        "customer": operation.domain_id,
        "url": reverse("core:operation", args=[operation.pk]),
    }
    if kind == "change.failed":
        data["error"] = operation.error
    emit(kind, data, key=str(operation.pk))


def batch_finished(batch: Batch, counts: dict[str, int]) -> None:
    emit(
        "batch.finished",
        {
            "batch": str(batch.pk),
            "action": batch.action,
            "applied": counts.get("applied", 0) + counts.get("superseded", 0),
            "failed": counts.get("failed", 0),
            "unknown": counts.get("unknown", 0),
            "stopped": counts.get("stopped", 0),
            "url": reverse("core:batch", args=[batch.pk]),
        },
        key=str(batch.pk),
    )
