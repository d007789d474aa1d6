"""Personal API tokens: made (the secret returned once, kept as its digest), found by their secret at each call,
revoked by their owner or an Admin, and read for the tokens pages.

The digest is SHA-256, not a password hash: the secret is 256 random bits, so no dictionary or search can find it
from its digest, and a slow password hash (PBKDF2's hundreds of thousands of rounds) would put that work on every
call of the API (a way to overload the portal with wrong tokens), and could not be looked up by an index, as a
salted hash cannot. The digest is looked up in its unique index, and only `prefix`, the secret's
first characters, is ever shown or logged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from portal.core.api.areas import Level, caps_of
from portal.core.models import ApiToken

#: What every secret starts with, so that a secret pasted where it should not be (a ticket, a chat) is recognised
#: by people and by secret scanners.
SCHEME = "ppat_"
#: The shown part of a secret that names its token on pages and in logs.
PREFIX_LENGTH = len(SCHEME) + 8
#: The longest a secret can be: anything longer is not one of ours, and is not hashed.
SECRET_LENGTH = len(SCHEME) + 43
#: `last_used_at` is written at most this often per token: a script's every call is not a write.
LAST_USED_EVERY = dt.timedelta(minutes=1)
#: The lifetimes offered when a token is made, in days, up to API_TOKEN_MAX_DAYS.
LIFETIMES = (7, 30, 90, 180, 365)


class TokenRefused(Exception):
    """A token cannot be made as asked (a level above the owner's role)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def token_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def lifetimes() -> list[int]:
    """The lifetimes a new token may have, in days."""
    longest = settings.API_TOKEN_MAX_DAYS
    return [d for d in LIFETIMES if d < longest] + [longest]


def token_make(
    *, user, description: str, days: int, levels: Mapping[str, str], now: dt.datetime | None = None
) -> tuple[ApiToken, str]:
    """A new token of `user` and its secret, the only time the secret is known: (token, secret). `levels`: each
    area's level (an area left out, or "none", is none), each at most what the user's role holds."""
    from django.utils.translation import gettext

    caps = caps_of(user)
    kept: dict[str, str] = {}
    for key, value in levels.items():
        level = Level(value)
        if level is Level.NONE:
            continue
        if key not in caps or level.rank > caps[key].rank:
            raise TokenRefused(gettext("A token cannot do more than your role allows."))
        kept[key] = level.value
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise TokenRefused(gettext("Choose one of the lifetimes offered."))
    secret = SCHEME + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        description=description,
        prefix=secret[:PREFIX_LENGTH],
        digest=token_digest(secret),
        levels=kept,
        expires_at=(now or timezone.now()) + dt.timedelta(days=days),
    )
    return token, secret


def token_revoke(*, token: ApiToken, by) -> bool:
    """Disable the token for good; False when it was revoked already."""
    now = timezone.now()
    revoked = ApiToken.objects.filter(pk=token.pk, revoked_at=None).update(
        enabled=False, revoked_at=now, revoked_by=by
    )
    return bool(revoked)


def token_by_secret(secret: str) -> ApiToken | None:
    """The token this secret is, whatever its state (the caller says why it is refused), or None when the
    secret is no token's; with its owner and the language they read, in one query. (Their role is read apart,
    by `role_of`: as an annotation of this query, `access.role_value`, it saved a query but cost each call more
    instructions to compile than the query it saved: `python -m bench api`.)"""
    if not secret.startswith(SCHEME) or len(secret) > SECRET_LENGTH:
        return None
    found = ApiToken.objects.select_related("user", "user__language").filter(digest=token_digest(secret))
    return found.first()


def token_used(token: ApiToken, *, now: dt.datetime) -> None:
    """Note that the token was used now, at most once a minute (`LAST_USED_EVERY`)."""
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def tokens_of(*, user) -> QuerySet[ApiToken]:
    """The user's tokens, newest first."""
    return ApiToken.objects.filter(user=user).order_by("-created_at", "-id")


def tokens_all() -> QuerySet[ApiToken]:
    """Everyone's tokens with their owners, newest first (the Admins' page)."""
    return ApiToken.objects.select_related("user", "revoked_by").order_by("-created_at", "-id")


def token_get(*, token_id: int, user, every: bool) -> ApiToken | None:
    """One token of `user` (`every`: anyone's, for an Admin)."""
    qs = ApiToken.objects.select_related("user").filter(pk=token_id)
    return (qs if every else qs.filter(user=user)).first()


def token_list(*, user, filters, every: bool) -> QuerySet[ApiToken]:
    """The tokens lists' rows: the user's own, or everyone's (`every`: the Admins' page), filtered and sorted."""
    from django.db.models import Q

    from portal.core.api.forms import TokenState

    qs = tokens_all() if every else tokens_of(user=user).select_related("user", "revoked_by")
    now = timezone.now()
    if filters.state == TokenState.ACTIVE:
        qs = qs.filter(enabled=True, expires_at__gt=now)
    elif filters.state == TokenState.EXPIRED:
        qs = qs.filter(enabled=True, expires_at__lte=now)
    elif filters.state == TokenState.REVOKED:
        qs = qs.filter(enabled=False)
    if filters.q:
        word = filters.q
        qs = qs.filter(
            Q(user__username__icontains=word)
            | Q(user__first_name__icontains=word)
            | Q(user__last_name__icontains=word)
            | Q(description__icontains=word)
            | Q(prefix__startswith=word)
        )
    return SORTS.order(qs, filters.sort)


def token_page(*, user, filters, every: bool, page, per_page: int):
    """A page of `token_list`, its tokens' owners' roles read in one query (what each token may do is capped by
    its owner's role now, `areas.level_for`), not one query per token."""
    from portal.core.access import roles_read
    from portal.core.lists import paginate

    found = paginate(token_list(user=user, filters=filters, every=every), page=page, per_page=per_page)
    roles_read([token.user for token in found.object_list])
    return found


def _sorts():
    from portal.core.lists import Sorts

    return Sorts(
        {
            "created": ("created_at", "id"),
            "expires": ("expires_at", "id"),
            "last_used": ("last_used_at", "id"),
            "owner": ("user__username", "id"),
        },
        default="-created",
    )


SORTS = _sorts()
