"""The change pipeline: every write the portal makes, whichever app declared it (spec.py), goes through here.

One state machine on the `Operation` table, keyed by the form submission's idempotency key:

    (new) ──change_now──▶ RUNNING ──sent, answered──▶ SUCCEEDED
      │                      │  └──refused─────────▶ FAILED   (nothing happened: the corrected form may claim
      └──change_later──▶ QUEUED ─(worker)─▶ RUNNING             it again with the same key)
                             │
                             └──no answer, or an answer that leaves the outcome open (timeout, dropped
                                connection, 500/502/504 to a write)──▶ read back ──found──▶ SUCCEEDED
                                                                          └──not yet──▶ UNKNOWN

An UNKNOWN operation is never sent again: one reconcile task reads it back after `timing().read_backs` and settles
it (SUCCEEDED when found; SUPERSEDED when the last read-back shows nothing but a later change that sets the
same thing was sent since, so that one is in effect; FAILED, "not applied, you can send it again", only when
the last read-back still shows nothing and nothing replaced it). A RUNNING operation names its sender (the
worker's or web process sending it); when that sender died (kill -9, lost machine) its heartbeat lapses
(liveness.py) and the periodic reaper reconciles the operation the same way, within `CHANGES_SETTLE_SECONDS` of
the death, while a live sender, however slow, keeps it; a redelivered task does the same instead of skipping.
For a change that deletes something, a 404 (to the read-back, or to the delete itself, e.g. sent again after an
earlier attempt's answer was lost) means it is gone: done, and the cache forgets it.

Every attempt is appended to the audit trail with the request body exactly as the client built it and the
HTTP status it got (`PartnerClient.exchange()`).
"""

from __future__ import annotations

import contextlib
import html
import logging
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from celery import shared_task
from django.db import transaction
from django.utils import timezone, translation
from django.utils.html import strip_tags
from django.utils.translation import gettext, gettext_noop

from partner_api.errors import (
    AuthenticationError,
    ConfigurationError,
    NotFoundError,
    PartnerApiError,
    RejectedError,
)
from portal.core.api_errors import explained, with_detail
from portal.core.changes import liveness
from portal.core.changes.sealing import seal, unseal
from portal.core.changes.spec import Args, Change, change_for
from portal.core.changes.timing import timing
from portal.core.copies import copies_changed
from portal.core.models import AuditEntry, Operation
from portal.core.partner import get_client
from portal.core.services import audit_record, operation_start, operation_update

logger = logging.getLogger(__name__)

#: A QUEUED operation not taken for this long lost its task with a killed worker (Redis gives such a task back
#: only after its visibility timeout, an hour): the reaper queues it again; only one runner can claim it.
STALE_QUEUED_SECONDS = 120
#: A read-back taken by one runner (the delayed task or the reaper) is its own for this long; if that runner
#: dies, the reaper makes the read-back once the time is over.
CHECK_LEASE_SECONDS = 120
#: The reaper leaves a due read-back to its delayed task for this long before it makes it itself.
CHECK_GRACE_SECONDS = 15


# The engine's own sentences an operation keeps: stored in English, shown in the reader's language
# (`Operation.error_words`), whoever's request or worker wrote them.
NOT_CONFIRMED = gettext_noop(
    "LINE WORKS did not confirm the change, so it may or may not have been applied. "
    "The portal is checking; do not send it again until it knows."
)
SENDER_LOST = gettext_noop(
    "The portal stopped while sending this change, so it may or may not have been applied. "
    "The portal is checking; do not send it again until it knows."
)
CANNOT_CHECK = gettext_noop(
    "The portal could not check whether LINE WORKS applied this change. Look at the customer "
    "in the LINE WORKS console before sending it again."
)
NOT_APPLIED = gettext_noop(
    "LINE WORKS did not apply this change (it was checked several times after the answer was lost). "
    "You can send it again."
)


class ChangeRefused(Exception):
    """The change was not applied (the API refused it, or could not be reached before anything was sent).
    `message` says why in words a person can act on; `field` names the form field the API complained about."""

    def __init__(self, message: str, *, field: str | None = None, record: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        #: What the operation keeps: one of the engine's own sentences in English (shown in the reader's
        #: language, `Operation.error_words`), or "" for `text` (a refusal quoting LINE WORKS).
        self.record = record

    @property
    def text(self) -> str:
        """The message as plain text (the API's own words on their own line), for records and logs."""
        return html.unescape(strip_tags(str(self.message).replace("<br>", "\n")))


class ChangeOutcomeUnknown(ChangeRefused):
    """The change was sent but its outcome is open; the operation says "unknown" until a read-back knows."""

    def __init__(self, message: str, *, operation: Operation | None = None, record: str = "") -> None:
        super().__init__(message, record=record)
        self.operation = operation


class AlreadySubmitted(Exception):
    """This form submission was already received (double click, reload): here is its Operation."""

    def __init__(self, operation: Operation) -> None:
        super().__init__(str(operation.pk))
        self.operation = operation


# --- Words ------------------------------------------------------------------------------------------------


def field_of(description: str, hints: Mapping[str, str]) -> str | None:
    """The form field an API error description names: `hints` maps wire names (applyDate) to fields.

    Whole words only, longest name first, so `plan` does not match `planEndDate`.
    """
    for wire in sorted(hints, key=len, reverse=True):
        if re.search(rf"(?<![A-Za-z]){re.escape(wire)}(?![A-Za-z])", description or ""):
            return hints[wire]
    return None


def refusal_from(exc: PartnerApiError, *, hints: Mapping[str, str] = {}) -> ChangeRefused:
    """A `partner_api` error in words a person understands (the API's own reason included).

    The error's `outcome_unknown` flag decides first: a timeout, a dropped connection and a 500/502/504
    answered to a write all leave the outcome open, whatever the error's class.
    """
    if exc.outcome_unknown:
        return ChangeOutcomeUnknown(gettext(NOT_CONFIRMED), record=NOT_CONFIRMED)
    if isinstance(exc, ConfigurationError | AuthenticationError) and not exc.status:
        # The portal's own setup, not LINE WORKS' answer: nothing was sent, and only an Admin can mend it.
        return ChangeRefused(
            with_detail(
                gettext(
                    "The portal cannot reach LINE WORKS: its Partner API settings are missing or not valid, so "
                    "nothing was sent. An Admin needs to check the partner account and the portal's settings."
                ),
                gettext("Details: %(detail)s") % {"detail": exc},
            )
        )
    said: dict[str, Any] = {
        "status": exc.status,
        "code": exc.code or "",
        "description": exc.description or "",
    }
    if isinstance(exc, NotFoundError):
        return ChangeRefused(explained(gettext("LINE WORKS could not do this"), **said))
    if isinstance(exc, RejectedError):
        return ChangeRefused(
            explained(gettext("LINE WORKS refused the change"), **said),
            field=field_of(exc.description or "", hints),
        )
    if exc.retryable:
        return ChangeRefused(
            explained(gettext("LINE WORKS is unavailable or busy right now. Nothing was changed"), **said)
        )
    return ChangeRefused(explained(gettext("LINE WORKS refused the change"), **said))


def dump(model: Any) -> Any:
    """A typed reply as JSON for the audit trail."""
    if model is None:
        return {}
    if isinstance(model, list):
        return [dump(m) for m in model]
    if hasattr(model, "model_dump"):
        return model.model_dump(mode="json", by_alias=True, exclude_none=True)
    return {"value": model}


#: Request-body keys whose values never reach the audit trail (a new administrator's password, for instance).
_SECRET_KEYS = ("password", "secret", "token")


def redacted(body: Any) -> Any:
    """The request body as recorded: every value under a secret-looking key is replaced."""
    if isinstance(body, Mapping):
        return {
            k: "[not recorded]" if any(s in str(k).lower() for s in _SECRET_KEYS) else redacted(v)
            for k, v in body.items()
        }
    if isinstance(body, list):
        return [redacted(v) for v in body]
    return body


# --- Secrets kept only until sent ---------------------------------------------------------------------------


def _seal(change: Change, args: Args) -> dict[str, Any]:
    sealed = dict(args)
    for name in change.secret_args:
        if sealed.get(name) is not None:
            sealed[name] = {"sealed": seal(str(sealed[name]))}
    return sealed


def _unseal(change: Change, operation: Operation) -> dict[str, Any]:
    args = dict(operation.params.get("args", {}))
    for name in change.secret_args:
        value = args.get(name)
        if isinstance(value, dict) and "sealed" in value:
            args[name] = unseal(str(value["sealed"]))
    return args


def _forget_secrets(change: Change, operation: Operation) -> None:
    """Once sent, a secret argument is never stored again (not even encrypted)."""
    if not change.secret_args:
        return
    args = {k: v for k, v in operation.params.get("args", {}).items() if k not in change.secret_args}
    operation.params = {**operation.params, "args": args}
    Operation.objects.filter(pk=operation.pk).update(params=operation.params)


def _args(operation: Operation) -> dict[str, Any]:
    return dict(operation.params.get("args", {}))


# --- The state machine --------------------------------------------------------------------------------------


def _claim(
    change: Change,
    *,
    idempotency_key: str,
    user,
    domain_id: int | None,
    params: dict,
    queued: bool,
    sender: str = "",
    held: bool = False,
) -> Operation:
    operation, created = operation_start(
        idempotency_key=idempotency_key,
        kind=change.operation_id,
        domain_id=domain_id,
        user=user,
        params=params,
    )
    status = Operation.Status.QUEUED if queued else Operation.Status.RUNNING
    if held:
        status = Operation.Status.HELD
    now = timezone.now()
    if created:
        Operation.objects.filter(pk=operation.pk).update(status=status, worker=sender, updated_at=now)
    else:
        # Only a refused attempt (nothing happened) may be sent again under the same key, corrected, or a batch
        # row stopped before it was sent (resumed).
        again = Operation.objects.filter(
            pk=operation.pk, status__in=(Operation.Status.FAILED, Operation.Status.STOPPED)
        ).update(
            status=status,
            params=params,
            error="",
            result={},
            finished_at=None,
            done=0,
            failed=0,
            worker=sender,
            updated_at=now,
        )
        if not again:
            raise AlreadySubmitted(operation)
    operation.refresh_from_db()
    return operation


def _send(change: Change, operation: Operation, args: Args) -> Any:
    """Send the change once and append the attempt to the audit trail, whatever happens."""
    user, reason = operation.requested_by, operation.params.get("reason", "")
    try:
        exchange = get_client().exchange(lambda client: change.send(client, args))
    except PartnerApiError as exc:
        sent = exc.exchange
        audit_record(
            actor=user,
            operation_id=change.operation_id,
            outcome=AuditEntry.Outcome.UNKNOWN
            if exc.outcome_unknown
            else AuditEntry.Outcome.FAILED
            if exc.retryable
            else AuditEntry.Outcome.REFUSED,
            domain_id=operation.domain_id,
            sent=redacted((sent.sent if sent else None) or {}),
            response_status=exc.status,
            response_body={"code": exc.code, "description": exc.description},
            reason=reason,
            change=operation,
        )
        if change.deletes and isinstance(exc, NotFoundError):
            return _GONE  # already gone (e.g. applied by an earlier attempt whose answer was lost): done
        raise refusal_from(exc, hints=change.field_hints) from exc
    finally:
        _forget_secrets(change, operation)
    audit_record(
        actor=user,
        operation_id=change.operation_id,
        outcome=AuditEntry.Outcome.SUCCEEDED,
        domain_id=operation.domain_id or (change.created(exchange.reply) if change.created else None),
        sent=redacted(exchange.sent or {}),
        response_status=exchange.status,
        response_body=dump(exchange.reply),
        reason=reason,
        change=operation,
    )
    return exchange.reply


#: What a delete's read-back (or a 404 to it) finds: the thing is gone.
_GONE = {"gone": True}


def _read_back(change: Change, operation: Operation) -> Any:
    """The change's result if the API shows it applied, else None. Raises PartnerApiError when it cannot tell."""
    if change.read_back is None:
        raise _CannotTell()
    try:
        return change.read_back(get_client(), _args(operation))
    except NotFoundError:
        if change.deletes:
            return _GONE
        return None


class _CannotTell(PartnerApiError):
    """The change declares no read-back: only a person can tell."""


def _succeeded(change: Change, operation: Operation, reply: Any, *, read_back: bool = False) -> Any:
    """Bring the cache up to date from the answer, then mark the operation done (in one transaction)."""
    args = _args(operation)
    with transaction.atomic():
        value = change.apply(args, None if reply is _GONE else reply) if change.apply else None
        result = {"next_url": operation.params.get("next_url", "")}
        if read_back:
            result["read_back"] = True
        if isinstance(value, Mapping) and "domain_id" in value:
            # A change that created a customer: the operation now belongs to it.
            operation.domain_id = value["domain_id"]
            operation.save(update_fields=["domain_id"])
            result |= {k: v for k, v in value.items() if isinstance(v, str | int | bool)}
        operation_update(operation, status=Operation.Status.SUCCEEDED, result=result)
        copies_changed([operation.domain_id] if operation.domain_id else [])
    _refresh_later(change, operation)
    return value


def _refresh_later(change: Change, operation: Operation) -> None:
    if change.refresh and operation.domain_id:
        from portal.core import sync

        sync.resync_customer_request(domain_id=operation.domain_id, skip=change.refresh_skip)


def _unknown(change: Change, operation: Operation, message: str) -> None:
    operation_update(operation, status=Operation.Status.UNKNOWN, error=message)
    _reconcile_later(operation, attempt=0)
    _refresh_later(change, operation)


def _execute(change: Change, operation: Operation) -> Any:
    """Send a claimed (RUNNING) operation once and settle it. Raises ChangeRefused / ChangeOutcomeUnknown."""
    args = _unseal(change, operation)
    try:
        reply = _send(change, operation, args)
    except ChangeOutcomeUnknown as exc:
        try:
            reply = _read_back(change, operation)
        except PartnerApiError:
            reply = None
        if reply is None:
            _unknown(change, operation, exc.record or exc.text)
            raise ChangeOutcomeUnknown(exc.message, operation=operation, record=exc.record) from exc
        return _succeeded(change, operation, reply, read_back=True)
    except ChangeRefused as exc:
        operation_update(operation, status=Operation.Status.FAILED, error=exc.record or exc.text)
        raise
    return _succeeded(change, operation, reply)


def operation_key(operation_id: str, domain_id: int | None, key: str) -> str:
    """The Operation's key of a change asked with the form's (or a batch row's) `key`: per change and customer."""
    return f"{operation_id}:{domain_id}:{key}"


def _params(
    change: Change, args: Args, reason: str, next_url: str, shown: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """What the operation keeps besides its arguments. `shown`: what the change's confirmation showed its
    requester (`preview` rows of what, now, after; `consequences`), kept for a held change's approver."""
    shown = shown or {}
    return {
        "args": _seal(change, args),
        "reason": reason,
        "next_url": next_url,
        "side_effects": [str(s) for s in (*shown.get("consequences", ()), *change.side_effects(args))],
        **(
            {"preview": [[str(cell) for cell in row] for row in shown["preview"]]}
            if shown.get("preview")
            else {}
        ),
    }


def change_now(
    operation_id: str,
    *,
    user,
    idempotency_key: str,
    domain_id: int | None,
    args: Args,
    reason: str = "",
    next_url: str = "",
) -> tuple[Operation, Any]:
    """Send a declared change in this request, at most once per idempotency key.

    Returns (operation, what the declaration's `apply` returned). Raises AlreadySubmitted (the key was used:
    here is its operation), ChangeRefused (not applied; the operation is FAILED and the corrected form may be
    sent again with the same key) or ChangeOutcomeUnknown (the operation is UNKNOWN and being reconciled).
    """
    change = change_for(operation_id)
    sender = liveness.this_sender()
    operation = _claim(
        change,
        idempotency_key=operation_key(operation_id, domain_id, idempotency_key),
        user=user,
        domain_id=domain_id,
        params=_params(change, args, reason, next_url),
        queued=False,
        sender=sender.id,
    )
    with sender.holding(operation.pk):
        return operation, _execute(change, operation)


def change_later(
    operation_id: str,
    *,
    user,
    idempotency_key: str,
    domain_id: int | None,
    args: Args,
    reason: str = "",
    next_url: str = "",
    held: bool = False,
    shown: Mapping[str, Any] | None = None,
) -> Operation:
    """Queue a declared (slow) change for a worker; returns its operation at once (its page polls it).

    The same key returns the same operation (a double click queues nothing more); a refused one, or one
    stopped before it was sent (a batch's row), is queued again, corrected. `held`: kept for a second person's
    approval instead (`change_hold`), with what its confirmation `shown` its requester.
    """
    change = change_for(operation_id)
    try:
        operation = _claim(
            change,
            idempotency_key=operation_key(operation_id, domain_id, idempotency_key),
            user=user,
            domain_id=domain_id,
            params=_params(change, args, reason, next_url, shown),
            queued=True,
            held=held,
        )
    except AlreadySubmitted as exc:
        return exc.operation
    if not held:
        transaction.on_commit(lambda: change_run_task.delay(operation_id=str(operation.pk)))
    return operation


def change_hold(operation_id: str, **claim: Any) -> Operation:
    """Keep a declared change for a second person's approval (`approvals`): its operation is HELD, its
    arguments sealed as a queued change's, nothing sent (`change_later`'s arguments). The same key returns the
    same operation; approved, `change_release` queues it. Those who may approve it are told (once)."""
    from portal.core.changes import approvals, notices

    operation = change_later(operation_id, held=True, **claim)
    notices.approval_asked(
        operation=operation, may_approve=lambda user: approvals.operation_may_approve(user, operation)
    )
    return operation


def change_release(operation: Operation) -> bool:
    """An approved HELD change queued for a worker (sent at most once, as any queued change); False when it was
    not HELD any more (approved or rejected meanwhile)."""
    released = Operation.objects.filter(pk=operation.pk, status=Operation.Status.HELD).update(
        status=Operation.Status.QUEUED, updated_at=timezone.now()
    )
    if released:
        transaction.on_commit(lambda: change_run_task.delay(operation_id=str(operation.pk)))
    return bool(released)


@contextlib.contextmanager
def _in_requesters_language(operation: Operation):
    """Outside a request (a worker sending a queued change, a read-back, the reaper), what the engine writes on
    an operation is in the language its requester reads the portal in, as a change sent in their own request
    is: a Japanese reader's bulk row is not explained in English."""
    from portal.core.selectors import language_of

    user = operation.requested_by
    with translation.override(language_of(user) if user is not None else None):
        yield


def change_run(*, operation_pk: str) -> None:
    """Task body of a queued change: claim it and send it once. A redelivered task (its first worker died)
    finds it RUNNING and, once its sender is found lost, reconciles it by reading back instead of sending it
    again."""
    operation = Operation.objects.select_related("requested_by").filter(pk=operation_pk).first()
    if operation is None:
        return
    with _in_requesters_language(operation):
        _run(operation)
    operation.refresh_from_db()
    if operation.status in (*Operation.FINISHED, Operation.Status.UNKNOWN):
        from portal.core.changes.notices import change_settled

        change_settled(operation)  # its batch settled, or its requester told of a failure


def _run(operation: Operation) -> None:
    change = change_for(operation.kind)
    sender = liveness.this_sender()
    with sender.holding(operation.pk):  # before the claim: the heartbeat holds it as soon as the row names us
        claimed = Operation.objects.filter(pk=operation.pk, status=Operation.Status.QUEUED).update(
            status=Operation.Status.RUNNING, worker=sender.id, updated_at=timezone.now()
        )
        if claimed:
            operation.refresh_from_db()
            with contextlib.suppress(ChangeRefused):  # recorded on the operation (FAILED or UNKNOWN)
                _execute(change, operation)
            return
    if operation.status == Operation.Status.RUNNING and _lost([operation]):
        _reconcile_lost(change, operation)  # its sender died while sending it
    # else a live sender has it, or it is settled


def _lost(running: list[Operation]) -> list[Operation]:
    """The RUNNING operations whose sender is lost (liveness.py); one that names no sender (claimed before
    senders were recorded) when not updated for longer than a live sender may take (timing.py)."""
    named = liveness.lost(op for op in running if op.worker)
    cutoff = timezone.now() - timedelta(seconds=timing().stale_running)
    return named + [op for op in running if not op.worker and op.updated_at < cutoff]


def _reconcile_lost(change: Change, operation: Operation) -> bool:
    """An operation left RUNNING by a sender that died: it may or may not have been sent. Never send it
    again: read back now, and let the reconcile task settle it. Taken only while still RUNNING by that sender
    (it may have settled since it was found); False when it was not."""
    with _in_requesters_language(operation):
        return _take_lost(change, operation)


def _take_lost(change: Change, operation: Operation) -> bool:
    message = SENDER_LOST
    taken = Operation.objects.filter(
        pk=operation.pk, status=Operation.Status.RUNNING, worker=operation.worker
    ).update(status=Operation.Status.UNKNOWN, error=message, updated_at=timezone.now())
    if not taken:
        return False
    operation.status, operation.error = Operation.Status.UNKNOWN, message
    _reconcile_later(operation, attempt=0)
    _refresh_later(change, operation)
    change_reconcile(operation_pk=str(operation.pk), attempt=0)
    return True


def _reconcile_later(operation: Operation, *, attempt: int) -> None:
    """Schedule the read-back: kept on the operation (so the reaper finds it if the task is lost with a killed
    worker, whose delayed tasks the broker gives back only much later) and sent as a delayed task."""
    pk = str(operation.pk)
    wait = timing().read_backs[attempt]
    due = timezone.now() + timedelta(seconds=wait)
    Operation.objects.filter(pk=operation.pk).update(check_attempt=attempt, check_after=due)
    operation.check_attempt, operation.check_after = attempt, due
    transaction.on_commit(
        lambda: change_reconcile_task.apply_async(
            kwargs={"operation_pk": pk, "attempt": attempt}, countdown=wait
        )
    )


def change_reconcile(*, operation_pk: str, attempt: int) -> bool | None:
    """Read back an UNKNOWN operation and settle it: True (applied), False (not applied, after the last try),
    None (not known yet: another try is scheduled; after the last one a change that cannot be read back stays
    unknown, for a person to check)."""
    operation = Operation.objects.select_related("requested_by").filter(pk=operation_pk).first()
    if operation is None:
        return None
    if operation.status != Operation.Status.UNKNOWN:
        return operation.status == Operation.Status.SUCCEEDED
    with _in_requesters_language(operation):
        settled = _reconcile(operation, attempt)
    if settled is not None:
        from portal.core.changes.notices import change_settled

        operation.refresh_from_db()
        change_settled(operation)  # its batch may finish now (its requester was told it was unknown)
    return settled


def _reconcile(operation: Operation, attempt: int) -> bool | None:
    if not _take_check(operation, attempt):
        return None  # a later try is already scheduled, or another runner is making this one
    change = change_for(operation.kind)
    last = attempt >= len(timing().read_backs) - 1
    try:
        reply = _read_back(change, operation)
    except PartnerApiError:
        if last:
            operation.check_after = None  # nothing more to try: a person checks
            operation.save(update_fields=["check_after"])
            operation_update(
                operation,
                error=CANNOT_CHECK,
            )
        else:
            _reconcile_later(operation, attempt=attempt + 1)
        return None
    if reply is not None:
        _succeeded(change, operation, reply, read_back=True)
        return True
    if not last:
        _reconcile_later(operation, attempt=attempt + 1)
        return None
    later = _superseded_by(change, operation)
    if later is not None:
        operation_update(
            operation,
            status=Operation.Status.SUPERSEDED,
            result={**operation.result, "superseded_by": str(later.pk)},
            error="",
        )
        _refresh_later(change, operation)
        return False
    operation_update(
        operation,
        status=Operation.Status.FAILED,
        error=NOT_APPLIED,
    )
    _refresh_later(change, operation)
    return False


#: Operations that reached the API (or may have): a later one of these may have replaced an earlier change.
_SENT = (
    Operation.Status.SUCCEEDED,
    Operation.Status.RUNNING,
    Operation.Status.UNKNOWN,
    Operation.Status.SUPERSEDED,
)


def _superseded_by(change: Change, operation: Operation) -> Operation | None:
    """The first change sent after `operation` for the same customer that sets everything it set (the
    changes' declared `target`), if any: then a read-back that does not find `operation`'s values cannot
    tell whether it was applied and replaced, or never applied; either way the later change is in effect."""
    if change.target is None or operation.domain_id is None:
        return None
    mine = change.target(_args(operation))
    later = Operation.objects.filter(
        domain_id=operation.domain_id, requested_at__gt=operation.requested_at, status__in=_SENT
    ).order_by("requested_at")
    for candidate in later[:50]:
        try:
            other = change_for(candidate.kind)
        except KeyError:
            continue
        if other.target is not None and mine <= other.target(_args(candidate)):
            return candidate
    return None


def _take_check(operation: Operation, attempt: int) -> bool:
    """Make read-back `attempt` this runner's own, for CHECK_LEASE_SECONDS: False when a later try is
    already scheduled (a task delivered late) or another runner took it first (the task and the reaper)."""
    if attempt < operation.check_attempt:
        return False
    lease = timezone.now() + timedelta(seconds=CHECK_LEASE_SECONDS)
    taken = Operation.objects.filter(
        pk=operation.pk,
        status=Operation.Status.UNKNOWN,
        check_attempt=operation.check_attempt,
        check_after=operation.check_after,
    ).update(check_attempt=attempt, check_after=lease)
    operation.check_attempt, operation.check_after = attempt, lease
    return taken == 1


def changes_reap_stale() -> int:
    """Periodic (every `timing().reap_every`): operations RUNNING whose sender is lost (its heartbeat gone, or
    not holding it, at two looks `lost_grace` apart; one naming no sender when not updated for longer than a
    live sender may take) are reconciled by reading back. UNKNOWN operations whose read-back is overdue (its
    delayed task was lost with a killed worker) get it now; QUEUED ones left waiting (their task lost the same
    way) are queued again. Returns how many were found."""
    overdue = list(
        Operation.objects.filter(
            status=Operation.Status.UNKNOWN,
            check_after__lt=timezone.now() - timedelta(seconds=CHECK_GRACE_SECONDS),
        ).values_list("pk", "check_attempt")
    )
    for pk, attempt in overdue:
        change_reconcile(operation_pk=str(pk), attempt=attempt)
    waiting = list(
        Operation.objects.filter(
            status=Operation.Status.QUEUED,
            updated_at__lt=timezone.now() - timedelta(seconds=STALE_QUEUED_SECONDS),
        ).values_list("pk", flat=True)
    )
    if waiting:
        Operation.objects.filter(pk__in=waiting, status=Operation.Status.QUEUED).update(
            updated_at=timezone.now()
        )
        for pk in waiting:
            change_run_task.delay(operation_id=str(pk))
    stale = 0
    running = list(Operation.objects.select_related("requested_by").filter(status=Operation.Status.RUNNING))
    for operation in _lost(running):
        try:
            change = change_for(operation.kind)
        except KeyError:
            logger.warning("operation %s of undeclared kind %s left running", operation.pk, operation.kind)
            continue
        stale += _reconcile_lost(change, operation)
    return stale + len(overdue) + len(waiting)


# --- The tasks that enter the engine (thin, by id; the worker finds them through portal/core/tasks.py) ---------


@shared_task(name="portal.core.changes.run", ignore_result=True, acks_late=True, reject_on_worker_lost=True)
def change_run_task(operation_id: str) -> None:
    """Send one queued change (acks late: a task whose worker died is delivered again, and then reconciles)."""
    change_run(operation_pk=operation_id)


@shared_task(name="portal.core.changes.reconcile", ignore_result=True)
def change_reconcile_task(operation_pk: str, attempt: int) -> None:
    change_reconcile(operation_pk=operation_pk, attempt=attempt)
