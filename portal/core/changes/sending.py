"""Sending one declared change, whoever asks: the change page's confirmation (`views.send`) and the API's write
endpoints (`portal.core.api.writes`) both come here, so a change is held for approval, queued or sent now by
the same rules whichever way it was asked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from portal.core.changes import approvals
from portal.core.changes.engine import (
    AlreadySubmitted,
    ChangeOutcomeUnknown,
    change_hold,
    change_later,
    change_now,
)
from portal.core.changes.spec import change_for
from portal.core.models import Operation


class How(StrEnum):
    """What became of a change sent: applied now, held for a second person's approval, queued for a worker,
    received already (the same key again: its operation), or sent with its outcome open (being read back)."""

    APPLIED = "applied"
    HELD = "held"
    QUEUED = "queued"
    ALREADY = "already"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Sent:
    operation: Operation
    how: How
    #: The engine's words for an open outcome (what the portal is checking).
    message: str = ""


def change_send(
    operation_id: str,
    *,
    user,
    key: str,
    reason: str,
    domain_id: int | None,
    args: Mapping[str, Any],
    next_url: str,
    shown: Mapping[str, Any] | None = None,
) -> Sent:
    """Send a declared change once (per `key`): held when an Admin's rule asks a second person's approval,
    queued when the change is a slow one, else sent in this request. Raises ChangeRefused (nothing changed)."""
    change = change_for(operation_id)
    common: dict[str, Any] = {
        "user": user,
        "idempotency_key": key,
        "domain_id": domain_id,
        "args": args,
        "reason": reason,
        "next_url": next_url,
    }
    if approvals.change_needs_approval(change, args):
        return Sent(change_hold(operation_id, shown=shown, **common), How.HELD)
    if change.queued:
        return Sent(change_later(operation_id, **common), How.QUEUED)
    try:
        operation, _value = change_now(operation_id, **common)
    except AlreadySubmitted as exc:
        return Sent(exc.operation, How.ALREADY)
    except ChangeOutcomeUnknown as exc:
        assert exc.operation is not None  # change_now names the operation whose outcome is open
        return Sent(exc.operation, How.UNKNOWN, str(exc.message))
    return Sent(operation, How.APPLIED)
