"""A dry run kept between its page and its "Apply": server-side, in the shared cache, under a random token, for
an hour (`KEEP_SECONDS`), for the person who ran it and that import only, taken once (`kept_take`)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.cache import cache
from django.utils import timezone

from portal.core.imports.spec import ImportSpec

if TYPE_CHECKING:
    from portal.core.imports.run import DryRun

#: How long a dry run is kept for its "Apply".
KEEP_SECONDS = 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


@dataclass
class Kept:
    """A dry run kept for its apply: who ran it, on which import, the file itself, and what it said."""

    token: str
    user_id: int
    spec: str
    name: str
    data: bytes
    result: DryRun
    kept_at: Any


def _cache_key(token: str) -> str:
    return f"portal:import:{token}"


def kept_put(result: DryRun, data: bytes, *, actor) -> str:
    """Keep the dry run (and its file) for an hour; its token."""
    token = secrets.token_urlsafe(24)
    kept = Kept(token, actor.pk, result.spec, result.file_name, data, result, timezone.now())
    cache.set(_cache_key(token), kept, KEEP_SECONDS)
    return token


def kept_take(token: str, *, spec: ImportSpec, actor) -> Kept | None:
    """The dry run kept under `token` for this person and import, taken (so it is applied once), or None."""
    if not _TOKEN.match(token or ""):
        return None
    kept = cache.get(_cache_key(token))
    if not isinstance(kept, Kept) or kept.user_id != actor.pk or kept.spec != spec.name:
        return None
    return kept if cache.delete(_cache_key(token)) else None
