"""Team rooms: the LINE WORKS talk rooms an Admin adds by their Incoming Webhook URL, each getting the kinds of
notice chosen for it. The URL is the room's only secret: sealed as it is added (`changes.sealing`), never shown
again (its last characters tell rooms apart), and checked against `LINE_WORKS_WEBHOOK_URL_PREFIX` so that the
portal posts nowhere else. Each change is an audit entry, without the URL."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext as _

from portal.core.changes.sealing import seal
from portal.core.models import AuditEntry, Notice, NoticeRoom
from portal.core.notices.kinds import room_kinds
from portal.core.services import audit_record

#: How many of the URL's last characters the page shows, to tell rooms apart.
URL_END = 4


def webhook_url_refusal(url: str) -> str:
    """Why `url` is not a LINE WORKS Incoming Webhook URL the portal may post to, or ""."""
    prefix = settings.LINE_WORKS_WEBHOOK_URL_PREFIX
    if not url.startswith(prefix) or len(url) <= len(prefix) or any(c.isspace() for c in url):
        return _(
            "This is not an Incoming Webhook URL: it starts with %(prefix)s. Copy it from the room's Webhook list "
            "in LINE WORKS."
        ) % {"prefix": prefix}
    return ""


def room_add(*, user, name: str, url: str, kinds: list[str], language: str) -> NoticeRoom:
    known = {kind.key for kind in room_kinds()}
    room = NoticeRoom.objects.create(
        name=name,
        sealed_url=seal(url),
        url_end=url[-URL_END:],
        kinds=[kind for kind in kinds if kind in known],
        language=language,
        added_by=user,
    )
    _audit(user, "portal.addNoticeRoom", room)
    return room


def room_change(*, user, room: NoticeRoom, kinds: list[str], language: str, enabled: bool) -> bool:
    """Change what the room gets; whether anything changed."""
    known = {kind.key for kind in room_kinds()}
    kinds = [kind for kind in kinds if kind in known]
    if (room.kinds, room.language, room.enabled) == (kinds, language, enabled):
        return False
    room.kinds, room.language, room.enabled = kinds, language, enabled
    room.save(update_fields=["kinds", "language", "enabled"])
    _audit(user, "portal.changeNoticeRoom", room)
    return True


def room_remove(*, user, room: NoticeRoom) -> None:
    """Remove the room; its notices not yet delivered go with it (their history too)."""
    with transaction.atomic():
        _audit(user, "portal.removeNoticeRoom", room)
        room.delete()


def _audit(user, operation_id: str, room: NoticeRoom) -> None:
    audit_record(
        actor=user,
        operation_id=operation_id,
        outcome=AuditEntry.Outcome.SUCCEEDED,
        sent={
            "room": room.name,
            "notices": room.kinds,
            "language": room.language,
            "enabled": room.enabled,
        },
    )


def rooms_with_last() -> list[NoticeRoom]:
    """The rooms, each with its last notice (`room.last`: None before the first), in two reads whatever the
    number of rooms (each room's last by the index on room and time)."""
    last = Notice.objects.filter(room=OuterRef("pk")).order_by("-created_at", "-pk").values("pk")[:1]
    rooms = list(NoticeRoom.objects.annotate(last_id=Subquery(last)))
    notices = Notice.objects.in_bulk([room.last_id for room in rooms if room.last_id])
    for room in rooms:
        room.last = notices.get(room.last_id)
    return rooms
