"""The kinds of notice: what the portal may tell, contributed by the rooms whose work it reports
(`contribute(..., notice_kinds=[NoticeKind(...)])`), so that the person's Notices page and the Admins' team rooms
name no room. No model here: an app's `apps.py` imports it before the models are ready."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from portal.core.contrib import contributions

if TYPE_CHECKING:
    from django.utils.functional import Promise

    from portal.core.access import Perm

#: How a person may be told: the values of `NoticeChoice.Way`.
EMAIL, LINE_WORKS, NONE = "email", "line_works", "none"


@dataclass(frozen=True)
class NoticeKind:
    """One kind of notice. `key` is stored on each notice and choice ("change.failed"); `perm`: who may choose it
    (and be told); `default`: how a person who never chose is told; `rooms`: whether a team room may get it (a
    person's own digest is no room's business)."""

    key: str
    label: str | Promise
    help: str | Promise
    perm: Perm
    default: str = NONE
    rooms: bool = True
    order: int = 100
    #: Admins hold every permission; a kind about a role's own daily work (the digest) is not theirs.
    admins: bool = True
    #: Its words on the Team rooms page, where it is about the team's work, not one person's ("" : `label`).
    room_label: str | Promise = ""

    @property
    def for_rooms(self) -> str | Promise:
        return self.room_label or self.label


def notice_kinds() -> list[NoticeKind]:
    """Every contributed kind, in the order the pages list them."""
    return sorted(contributions("notice_kinds"), key=lambda kind: (kind.order, kind.key))


def kind_named(key: str) -> NoticeKind | None:
    return next((kind for kind in notice_kinds() if kind.key == key), None)


def kinds_for(user) -> list[NoticeKind]:
    """The kinds `user` may be told of: those of work their role may see."""
    from portal.core.access import Role, can, role_of

    admin = role_of(user) is Role.ADMIN
    return [kind for kind in notice_kinds() if can(user, kind.perm) and (kind.admins or not admin)]


def room_kinds() -> list[NoticeKind]:
    return [kind for kind in notice_kinds() if kind.rooms]
