"""`Idempotency-Key`: a write asked again with the same key (per token) and the same request gets the first
answer again, without anything sent again; the same key with another request is refused in words.

Only a write handed to the change pipeline (or to its service, for the portal's own data: `writes.local_write`)
is kept: a request refused before (its values, the contract's rules) keeps nothing and changes nothing, as
Stripe's keys do, so it may be corrected and asked again with the same key. The key also names the change's operation (`engine_key`), so even once its answer has left this
table (RETENTION_API_CALL_DAYS) the change pipeline finds the change already sent rather than sending it again."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from portal.core.api.errors import ApiError
from portal.core.models import ApiIdempotency, ApiToken

HEADER = "Idempotency-Key"
#: A key: 1 to 200 visible ASCII characters (a UUID, a ticket number and a date...).
KEY = re.compile(r"^[!-~]{1,200}$")


def key_of(request) -> str | None:
    """The request's key (None without one); a key that is not one refused in words."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not KEY.match(key):
        raise ApiError(
            422,
            "invalid",
            _("The %(header)s header must be 1 to 200 visible ASCII characters.") % {"header": HEADER},
            fields={HEADER: [_("Use 1 to 200 visible ASCII characters, a UUID for instance.")]},
        )
    return key


def fingerprint(*, method: str, path: str, body: Any) -> str:
    """The digest of what a request asks: its method, its path and its body (its fields in any order)."""
    text = json.dumps([method, path, body], sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def engine_key(token: ApiToken, key: str) -> str:
    """The change form's key (32 hex digits) of a token's `Idempotency-Key`: two tokens' same key are apart."""
    return hashlib.sha256(f"{token.pk}:{key}".encode()).hexdigest()[:32]


def answered(*, token: ApiToken, key: str, fingerprint: str) -> tuple[int, Any] | None:
    """The first answer given to this key, when the request is the same ((status, body)); None for a key not
    used yet. Refused: the key used with another request, or the first request still being answered."""
    kept = ApiIdempotency.objects.filter(token=token, key=key).first()
    if kept is None:
        return None
    if kept.fingerprint != fingerprint:
        raise ApiError(
            422,
            "idempotency_key_reused",
            _(
                "This %(header)s was used with another request: nothing was sent. Use a new key for a new "
                "request."
            )
            % {"header": HEADER},
        )
    if kept.status is None:
        raise ApiError(
            409,
            "in_progress",
            _("A request with this %(header)s is still being answered; ask again in a moment.")
            % {"header": HEADER},
            headers={"Retry-After": "1"},
        )
    return kept.status, kept.answer


def claim(*, token: ApiToken, key: str, fingerprint: str) -> ApiIdempotency | tuple[int, Any]:
    """Take the key for this request before it is sent; when another request took it a moment before (two at
    once), its answer as `answered` gives it: one request sends, the other is told."""
    try:
        with transaction.atomic():
            return ApiIdempotency.objects.create(token=token, key=key, fingerprint=fingerprint)
    except IntegrityError:
        found = answered(token=token, key=key, fingerprint=fingerprint)
        assert found is not None  # the row that refused ours is there
        return found


def keep(kept: ApiIdempotency, *, status: int, answer: Any) -> None:
    """The answer given, kept for the same request asked again."""
    ApiIdempotency.objects.filter(pk=kept.pk).update(status=status, answer=answer)


def let_go(kept: ApiIdempotency) -> None:
    """The request failed unexpectedly before an answer: the key is free again (the change's own key still
    stops a second send)."""
    ApiIdempotency.objects.filter(pk=kept.pk, status=None).delete()
