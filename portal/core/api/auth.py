"""Who calls: the personal token in `Authorization: Bearer <token>`, checked at every call in this order: the API
is on; the token is known, enabled, not expired, and its owner active; the token's rate limit; then the level
the endpoint needs in its area, capped by the owner's role as it is now. A session (a signed-in browser) is not
a way in: the API answers tokens only, so no page can be made to call it with a person's cookies (no CSRF).

The request's language is its Accept-Language, or without one the owner's (`portal.core.selectors.language_of`):
every refusal is in words they read."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from ninja.security.base import AuthBase

from portal.core.access import can, reads_changes
from portal.core.api import errors
from portal.core.api.areas import ApiArea, Level, level_for, may_write_somewhere
from portal.core.api.limits import wait_before_next
from portal.core.api.tokens import token_by_secret, token_used
from portal.core.models import ApiToken
from portal.core.permissions import USE_PORTAL

logger = logging.getLogger(__name__)

#: Where the request keeps the token it was made with, once checked.
TOKEN_ATTRIBUTE = "api_token"
#: Where a write keeps the id of the change (Operation) it made, for its call's record.
CHANGE_ATTRIBUTE = "api_change"
#: Where a request keeps whether its endpoint takes query parameters (set by `site.recorded`).
TAKES_QUERY_ATTRIBUTE = "api_takes_query"


class TokenAuth(AuthBase):
    """The auth of an endpoint: a valid token with at least `level` in `area` (`ApiArea.reads`, `.writes`).
    With no area (the operations core serves), a token that may write in some area: following the changes
    one sent is part of sending them."""

    openapi_type = "http"
    openapi_scheme = "bearer"
    openapi_description = "A personal API token (ppat_...), made on the portal's API tokens page."

    def __init__(self, *, area: ApiArea | None, level: Level) -> None:
        super().__init__()
        self.area = area
        self.level = level

    def __call__(self, request: HttpRequest) -> ApiToken:
        token = authenticated(request)
        if self.area is None:
            if not (may_write_somewhere(token) and reads_changes(token.user)):
                raise errors.forbidden(_("Only a token that may write follows changes."))
            unknown_query(request)
            return token
        level = level_for(token, self.area)
        if level.rank < self.level.rank:
            raise errors.forbidden(_needs(self.area, self.level))
        unknown_query(request)
        return token


def unknown_query(request: HttpRequest) -> None:
    """An endpoint that declares no query parameter (one object, a write, an operation) refuses any, naming
    them, as a list refuses one it does not know; checked once the caller is known to be allowed, so that the
    refusal tells nothing to one who is not. The endpoint's URL (`site.recorded`) says whether it takes any."""
    if getattr(request, TAKES_QUERY_ATTRIBUTE, True) or not request.GET:
        return
    names = sorted(request.GET)
    raise errors.ApiError(
        422,
        "invalid",
        _("This endpoint takes no query parameters: %(names)s.") % {"names": ", ".join(names)},
        fields={name: [errors.TYPE_WORDS["extra_forbidden"]] for name in names},
    )


def _needs(area: ApiArea, level: Level) -> str:
    from django.utils.translation import gettext

    if level is Level.WRITE:
        return gettext("This needs a token that may write %(area)s, and a role that does.") % {
            "area": area.label
        }
    return gettext("This needs a token that may read %(area)s, and a role that does.") % {"area": area.label}


def authenticated(request: HttpRequest) -> ApiToken:
    """The request's token once checked (kept on the request: an endpoint's several checks read it once), or an
    `ApiError` that says why not."""
    kept = getattr(request, TOKEN_ATTRIBUTE, None)
    if kept is not None:
        return kept
    if not settings.API_ENABLED:
        raise errors.ApiError(404, "api_off", _("The portal's API is turned off."))
    scheme, _space, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise errors.unauthenticated()
    token = token_by_secret(secret.strip())
    if token is None:
        raise errors.unauthenticated(_("This API token is not known."))
    _check(token)
    _speak_owners_language(request, token)
    wait = wait_before_next(token.digest[:16])
    if wait:
        logger.info("API call refused by the rate limit", extra={"token": token.prefix})
        raise errors.ApiError(
            429,
            "too_many_requests",
            _("Too many calls with this token; try again in %(seconds)s s.") % {"seconds": wait},
            headers={"Retry-After": str(wait)},
        )
    setattr(request, TOKEN_ATTRIBUTE, token)
    request.user = token.user
    token_used(token, now=timezone.now())
    return token


def _check(token: ApiToken) -> None:
    if not token.enabled:
        raise errors.unauthenticated(_("This API token was revoked."))
    if token.expires_at <= timezone.now():
        raise errors.unauthenticated(_("This API token has expired; make a new one."))
    if not can(token.user, USE_PORTAL):
        raise errors.unauthenticated(_("The owner of this API token may no longer use the portal."))


def _speak_owners_language(request: HttpRequest, token: ApiToken) -> None:
    """Without an Accept-Language, the request is answered in the owner's language."""
    if request.headers.get("Accept-Language"):
        return
    kept = getattr(token.user, "language", None)  # read with the token (`token_by_secret`)
    language = kept.language if kept is not None and kept.language in dict(settings.LANGUAGES) else None
    language = language or settings.LANGUAGE_CODE
    translation.activate(language)
    request.LANGUAGE_CODE = language


def token_of(request: HttpRequest) -> Any:
    """The token a request was made with, once authenticated (None before)."""
    return getattr(request, TOKEN_ATTRIBUTE, None)
