"""Safe writes to the Partner API, shared by the apps' services.

Two layers:

* `audited_call` sends one change through the client, appends an AuditEntry whatever happens (sent, reply,
  outcome, reason) and turns a `partner_api` error into `ChangeRefused`, whose message a person can act on
  and whose `field` names the form field the API complained about, when it said so.
* `tracked_write` wraps a change in an `Operation` keyed by the form submission's idempotency key, so a
  double click or a resubmitted page never sends the change twice: the second request finds the Operation and
  raises `AlreadySubmitted`. When the API does not answer (timeout, dropped connection) the change is never
  sent again: `read_back` looks for its result; if nothing is found yet the Operation stays "unknown" and
  `on_unknown` schedules a later read-back, which settles it.

A refused change (the API said no, so nothing happened) leaves the Operation "failed"; the corrected form,
sent with the same key, claims it again.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext

from partner_api import answer_statuses
from partner_api.errors import NotFoundError, OutcomeUnknownError, PartnerApiError, RejectedError
from portal.core.models import AuditEntry, Operation
from portal.core.partner import get_client
from portal.core.services import audit_record, operation_start, operation_update


class ChangeRefused(Exception):
    """The Partner API refused the change (or could not be reached); `field` names the form field if known."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ChangeOutcomeUnknown(ChangeRefused):
    """The change was sent but no answer came back: it may or may not have been applied."""

    def __init__(self, message: str, *, operation: Operation | None = None) -> None:
        super().__init__(message)
        self.operation = operation


class AlreadySubmitted(Exception):
    """This form submission was already received (double click, reload): here is its Operation."""

    def __init__(self, operation: Operation) -> None:
        super().__init__(str(operation.pk))
        self.operation = operation


def field_of(description: str, hints: Mapping[str, str]) -> str | None:
    """The form field an API error description names: `hints` maps wire names (applyDate) to fields.

    Whole words only, longest name first, so `plan` does not match `planEndDate`.
    """
    for wire in sorted(hints, key=len, reverse=True):
        if re.search(rf"(?<![A-Za-z]){re.escape(wire)}(?![A-Za-z])", description or ""):
            return hints[wire]
    return None


def refusal_from(exc: PartnerApiError, *, hints: Mapping[str, str] = {}) -> ChangeRefused:
    """A `partner_api` error in words a person understands (the API's own reason included)."""
    text = exc.description or exc.code or str(exc)
    if isinstance(exc, OutcomeUnknownError):
        return ChangeOutcomeUnknown(
            gettext(
                "LINE WORKS did not answer in time, so the change may or may not have been applied. "
                "The portal is checking; do not send it again until it knows."
            )
        )
    if isinstance(exc, NotFoundError):
        return ChangeRefused(
            gettext("LINE WORKS no longer has this (it may have been changed elsewhere): %(why)s")
            % {"why": text}
        )
    if isinstance(exc, RejectedError):
        return ChangeRefused(
            gettext("LINE WORKS refused the change: %(why)s") % {"why": text},
            field=field_of(exc.description or "", hints),
        )
    if exc.retryable:
        return ChangeRefused(
            gettext(
                "LINE WORKS is unavailable or busy right now (%(why)s). Nothing was changed; try again later."
            )
            % {"why": text}
        )
    return ChangeRefused(gettext("LINE WORKS refused the change: %(why)s") % {"why": text})


def dump(model: Any) -> Any:
    """A typed reply as JSON for the audit trail."""
    if model is None:
        return {}
    if isinstance(model, list):
        return [dump(m) for m in model]
    if hasattr(model, "model_dump"):
        return model.model_dump(mode="json", by_alias=True, exclude_none=True)
    return {"value": model}


def audited_call(
    *,
    user,
    operation_id: str,
    domain_id: int | None,
    sent: dict,
    reason: str,
    call: Callable[[Any], Any],
    hints: Mapping[str, str] = {},
) -> Any:
    """Send one change with the partner client: audit it whatever happens, raise ChangeRefused on failure."""
    with answer_statuses() as statuses:
        try:
            reply = call(get_client())
        except PartnerApiError as exc:
            outcome = (
                AuditEntry.Outcome.UNKNOWN
                if exc.outcome_unknown
                else AuditEntry.Outcome.FAILED
                if exc.retryable
                else AuditEntry.Outcome.REFUSED
            )
            audit_record(
                actor=user,
                operation_id=operation_id,
                outcome=outcome,
                domain_id=domain_id,
                sent=sent,
                response_status=exc.status,
                response_body={"code": exc.code, "description": exc.description},
                reason=reason,
            )
            raise refusal_from(exc, hints=hints) from exc
    audit_record(
        actor=user,
        operation_id=operation_id,
        outcome=AuditEntry.Outcome.SUCCEEDED,
        domain_id=domain_id,
        sent=sent,
        # What the API answered (201 Created, 204 No Content, ...), not a status assumed from the outcome.
        response_status=statuses[-1] if statuses else None,
        response_body=dump(reply),
        reason=reason,
    )
    return reply


def _claim(*, idempotency_key: str, kind: str, domain_id: int | None, user, params: dict) -> Operation:
    operation, created = operation_start(
        idempotency_key=idempotency_key, kind=kind, domain_id=domain_id, user=user, params=params
    )
    now = timezone.now()
    if created:
        Operation.objects.filter(pk=operation.pk).update(
            status=Operation.Status.RUNNING, progress=10, updated_at=now
        )
    else:
        # Only a refused attempt (nothing happened) may be sent again under the same key, corrected.
        again = Operation.objects.filter(pk=operation.pk, status=Operation.Status.FAILED).update(
            status=Operation.Status.RUNNING,
            progress=10,
            params=params,
            error="",
            result={},
            finished_at=None,
            updated_at=now,
        )
        if not again:
            raise AlreadySubmitted(operation)
    operation.refresh_from_db()
    return operation


def tracked_write(
    *,
    user,
    idempotency_key: str,
    kind: str,
    domain_id: int | None,
    params: dict,
    send: Callable[[], Any],
    read_back: Callable[[Operation], Any],
    on_unknown: Callable[[Operation], None] | None = None,
    result: Callable[[Any], dict] | None = None,
) -> tuple[Operation, Any]:
    """Send a change at most once per idempotency key; returns (operation, reply).

    Raises AlreadySubmitted (the key was used), ChangeRefused (operation failed: nothing changed) or
    ChangeOutcomeUnknown (no answer and the read-back found nothing yet: the operation is "unknown" and
    `on_unknown` was asked to check again later). `read_back(operation)` returns the reply-like result of the
    change when it finds the change applied, else None.
    """
    operation = _claim(
        idempotency_key=idempotency_key, kind=kind, domain_id=domain_id, user=user, params=params
    )
    try:
        reply = send()
    except ChangeOutcomeUnknown as exc:
        try:
            reply = read_back(operation)
        except PartnerApiError:
            reply = None
        if reply is None:
            operation_update(operation, status=Operation.Status.UNKNOWN, error=exc.message)
            if on_unknown is not None:
                on_unknown(operation)
            raise ChangeOutcomeUnknown(exc.message, operation=operation) from exc
    except ChangeRefused as exc:
        operation_update(operation, status=Operation.Status.FAILED, error=exc.message)
        raise
    operation_update(
        operation, status=Operation.Status.SUCCEEDED, result=result(reply) if result else {"ok": True}
    )
    return operation, reply


def operation_settle(
    operation: Operation,
    *,
    read_back: Callable[[Operation], Any],
    give_up: bool,
    result: Callable[[Any], dict],
) -> bool | None:
    """Decide an "unknown" operation by reading back: True (applied), False (given up: not applied) or None
    (not known yet: try again later; after the last try the operation stays "unknown")."""
    if operation.status != Operation.Status.UNKNOWN:
        return operation.status == Operation.Status.SUCCEEDED
    try:
        reply = read_back(operation)
    except PartnerApiError:
        if give_up:
            operation_update(
                operation,
                error=gettext(
                    "The portal could not reach LINE WORKS to check this change. Look at the customer in "
                    "the vendor's console before sending it again."
                ),
            )
        return None
    if reply is not None:
        operation_update(
            operation, status=Operation.Status.SUCCEEDED, result={**result(reply), "read_back": True}
        )
        return True
    if not give_up:
        return None
    operation_update(
        operation,
        status=Operation.Status.FAILED,
        error=gettext(
            "LINE WORKS did not apply this change (it was checked several times after the timeout). "
            "You can send it again."
        ),
    )
    return False
