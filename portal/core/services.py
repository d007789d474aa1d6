"""Writes of the core app: the audit trail, tracked operations and the language each user reads."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from portal import logs
from portal.core.access import person
from portal.core.models import AuditEntry, Operation, UserLanguage

logger = logging.getLogger(__name__)

#: The personal API token (its id) the request in progress was made with: the operations it starts and the
#: audit entries it writes name it (`asked_with_token`).
_ASKING_TOKEN: ContextVar[int | None] = ContextVar("portal_api_token", default=None)


@contextmanager
def asked_with_token(token_id: int) -> Iterator[None]:
    """What is written inside names the API token `token_id`: the operations started and the audit entries."""
    reset = _ASKING_TOKEN.set(token_id)
    try:
        yield
    finally:
        _ASKING_TOKEN.reset(reset)


def audit_record(
    *,
    actor,
    operation_id: str,
    outcome: AuditEntry.Outcome | str,
    domain_id: int | None = None,
    sent: dict[str, Any] | None = None,
    response_status: int | None = None,
    response_body: Any = None,
    reason: str = "",
    change: Operation | None = None,
) -> AuditEntry:
    """Append one entry to the audit trail (`change`: the operation an attempt of the change pipeline sent).
    Never updates an existing entry. An attempt asked with an API token names it (`asked_with_token`, or the
    operation's own token when its worker sends it)."""
    return AuditEntry.objects.create(
        change=change,
        api_token_id=_ASKING_TOKEN.get() or (change.api_token_id if change is not None else None),
        actor=person(actor),
        actor_name=getattr(actor, "username", "") or "system",
        domain_id=domain_id,
        operation_id=operation_id,
        request_summary=sent or {},
        response_status=response_status,
        response_body=response_body
        if isinstance(response_body, dict | list)
        else {"text": str(response_body or "")},
        outcome=outcome,
        reason=reason[:500],
        request_id=logs.request_id(),
    )


def operation_start(
    *, idempotency_key: str, kind: str, domain_id: int | None = None, user=None, params: dict | None = None
) -> tuple[Operation, bool]:
    """Create the Operation for this idempotency key, or return the existing one (created=False).

    A double submit of the same form, or a retried task, lands here with the same key and is not sent twice.
    """
    try:
        with transaction.atomic():
            op = Operation.objects.create(
                idempotency_key=idempotency_key,
                kind=kind,
                domain_id=domain_id,
                requested_by=person(user),
                params=params or {},
                api_token_id=_ASKING_TOKEN.get(),
            )
        return op, True
    except IntegrityError:
        return Operation.objects.get(idempotency_key=idempotency_key), False


def operation_update(
    operation: Operation,
    *,
    status: Operation.Status | None = None,
    result: dict | None = None,
    error: str | None = None,
) -> Operation:
    fields = ["updated_at"]
    settled = status is not None and status != operation.status
    if status is not None:
        operation.status = status
        fields.append("status")
        if status in Operation.FINISHED:
            operation.finished_at = timezone.now()
            # One item: done once applied (or replaced by a later change in effect), failed once refused.
            operation.done = int(status in (Operation.Status.SUCCEEDED, Operation.Status.SUPERSEDED))
            operation.failed = int(status == Operation.Status.FAILED)
            fields += ["finished_at", "done", "failed"]
    if result is not None:
        operation.result = result
        fields.append("result")
    if error is not None:
        operation.error = error
        fields.append("error")
    operation.save(update_fields=list(dict.fromkeys(fields)))
    if settled:
        from portal.core.changes.events import operation_settled

        operation_settled(operation)  # an event, if an endpoint gets it
    return operation


def language_remember(*, user, language: str | None) -> None:
    """Remember the language `user` reads (one of settings.LANGUAGES; anything else is ignored), for what is made
    for them without their request: the calendar feed (portal.core.selectors.language_of)."""
    from django.conf import settings

    code = (language or "").split("-")[0].lower()
    if not getattr(user, "is_authenticated", False) or code not in dict(settings.LANGUAGES):
        return
    UserLanguage.objects.update_or_create(user=user, defaults={"language": code})


def language_remember_at_sign_in(sender, request, user, **kwargs) -> None:
    """`user_logged_in`: the language the user signed in with (their choice, or their browser's)."""
    from django.utils import translation

    language_remember(
        user=user, language=getattr(request, "LANGUAGE_CODE", None) or translation.get_language()
    )
