"""The API's areas: each app contributes one (`contribute(label, api=[ApiArea(...)])`) with its endpoints (a
django-ninja `Router`) and the permissions that read and write it. A token gives each area a level (none, read,
write), never more than its owner's role holds: `level_for` caps it by the role at every call, so a role taken
away later shrinks every token of its holder."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from portal.core.access import Perm, Role, holds, role_of
from portal.core.contrib import contributions


class Level(StrEnum):
    NONE = "none"
    READ = "read"
    WRITE = "write"

    @property
    def rank(self) -> int:
        return RANKS[self]

    @property
    def label(self) -> str:
        return str(LEVEL_LABELS[self])


RANKS = {Level.NONE: 0, Level.READ: 1, Level.WRITE: 2}
LEVEL_LABELS = {Level.NONE: _("None"), Level.READ: _("Read"), Level.WRITE: _("Read and write")}


@dataclass(frozen=True)
class ApiArea:
    """One area of the API: `key` (its name in tokens and URLs: "subscriptions"), `label` for people, the
    permission that reads it and the one that writes it (None: the area has no writes), its endpoints
    (`router`, mounted under `/api/v1/<prefix>`; `prefix` defaults to the key) and its place on pages."""

    key: str
    label: Promise | str = field(compare=False)
    read: Perm = field(compare=False)
    write: Perm | None = field(default=None, compare=False)
    router: Any = field(default=None, compare=False)
    prefix: str | None = field(default=None, compare=False)
    order: int = field(default=100, compare=False)

    @property
    def reads(self) -> Any:
        """The auth of the area's read endpoints (`auth=AREA.reads`): a token with at least read here."""
        from portal.core.api.auth import TokenAuth

        return TokenAuth(area=self, level=Level.READ)

    @property
    def writes(self) -> Any:
        """The auth of the area's write endpoints: a token with write here."""
        from portal.core.api.auth import TokenAuth

        return TokenAuth(area=self, level=Level.WRITE)

    def cap(self, role: Role | None) -> Level:
        """The most a token of a holder of `role` may have here."""
        if self.write is not None and holds(role, self.write):
            return Level.WRITE
        return Level.READ if holds(role, self.read) else Level.NONE


def areas() -> tuple[ApiArea, ...]:
    """Every contributed area, in their order."""
    return tuple(sorted(contributions("api"), key=lambda a: (a.order, a.key)))


def area_named(key: str) -> ApiArea | None:
    return next((a for a in contributions("api") if a.key == key), None)


def caps_of(user) -> dict[str, Level]:
    """Each area's most a token of `user` may have (areas their role reads nothing of left out)."""
    role = role_of(user)
    return {a.key: cap for a in areas() if (cap := a.cap(role)) is not Level.NONE}


def level_for(token, area: ApiArea) -> Level:
    """What `token` may do in `area` now: its level there, capped by its owner's role as it is now."""
    given = Level(token.levels.get(area.key, Level.NONE.value))
    cap = area.cap(role_of(token.user))
    return given if given.rank <= cap.rank else cap


def may_write_somewhere(token) -> bool:
    """Whether the token may write in some area now: what following its changes (operations) needs."""
    return any(level_for(token, a) is Level.WRITE for a in areas())
