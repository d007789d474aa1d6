"""Who is told what, and how: each person's choice per kind (e-mail, LINE WORKS or not at all), where the bot
finds them in LINE WORKS, and `tell`, which the rooms call when something happens."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import translation

from portal.core.models import Notice, NoticeAddress, NoticeChoice, NoticeRoom
from portal.core.notices.content import Message, absolute, stored_links
from portal.core.notices.delivery import notify
from portal.core.notices.kinds import NONE, NoticeKind, kind_named, kinds_for


def ways_of(user) -> dict[str, str]:
    """How `user` is told of each kind they may be told of (their choice, else the kind's default)."""
    chosen = dict(NoticeChoice.objects.filter(user=user).values_list("kind", "way"))
    return {kind.key: chosen.get(kind.key, kind.default) for kind in kinds_for(user)}


def way_of(user, kind_key: str) -> str:
    """How `user` is told of one kind (`NONE` when their role may not be told of it)."""
    return ways_of(user).get(kind_key, NONE)


def ways_choose(*, user, wanted: dict[str, str]) -> list[str]:
    """Keep `user`'s choices (kind key -> way) of the kinds they may be told of; the keys changed."""
    now = ways_of(user)
    changed = [key for key, way in wanted.items() if key in now and now[key] != way]
    with transaction.atomic():
        for key in changed:
            NoticeChoice.objects.update_or_create(user=user, kind=key, defaults={"way": wanted[key]})
    return changed


def line_works_id_of(user) -> str:
    """Where the bot finds `user`: the LINE WORKS ID they gave, else their e-mail address (their login ID)."""
    given = NoticeAddress.objects.filter(user=user).values_list("line_works_id", flat=True).first()
    return given or user.email


def line_works_id_set(*, user, line_works_id: str) -> None:
    """Keep the LINE WORKS ID `user` gave; an empty one, or their e-mail address, goes back to the default."""
    line_works_id = line_works_id.strip()
    if not line_works_id or line_works_id == user.email:
        NoticeAddress.objects.filter(user=user).delete()
    else:
        NoticeAddress.objects.update_or_create(user=user, defaults={"line_works_id": line_works_id})


def told(kind: NoticeKind, users: Iterable) -> list[tuple[object, str]]:
    """The people among `users` told of `kind`, with their way: active, allowed to see it, not turned off."""
    from portal.core.access import roles_read

    users = [user for user in users if user is not None and user.is_active]
    roles_read(users)
    chosen = dict(NoticeChoice.objects.filter(kind=kind.key, user__in=users).values_list("user_id", "way"))
    pairs = []
    for user in users:
        way = chosen.get(user.pk, kind.default)
        if way != NONE and kind in kinds_for(user):
            pairs.append((user, way))
    return pairs


def people_who_may(kind: NoticeKind):
    """Every active person whose role may be told of `kind` (for what concerns a whole team: an invoice
    overdue, a credential about to expire)."""
    from portal.core.access import GROUP_NAMES, Role, role_permissions

    groups = [GROUP_NAMES[role] for role in Role if kind.perm in role_permissions(role)]
    return get_user_model().objects.filter(is_active=True, groups__name__in=groups).distinct().order_by("pk")


def tell(
    kind_key: str,
    *,
    users: Iterable = (),
    message: Callable[[], Message],
    key: str = "",
    rooms: bool = True,
) -> list[Notice]:
    """Tell `users` (each their way, in their language) and the team rooms that get `kind_key` of something, once
    the caller's transaction commits. `message` is called in each reader's language. With a `key`, the same step
    is told to the same person or room once only, however often this is called."""
    kind = kind_named(kind_key)
    if kind is None:
        raise ValueError(f"unknown kind of notice: {kind_key}")
    from portal.core.selectors import languages_of

    words: dict[str, Message] = {}

    def in_language(language: str) -> Message:
        if language not in words:
            with translation.override(language):
                said = message()
                words[language] = replace(said, label=said.label or translation.gettext("Open in the portal"))
        return words[language]

    notices = []
    people = told(kind, users)
    languages = languages_of([user for user, _way in people])
    for user, way in people:
        notices += _written(kind, key, in_language(languages[user.pk]), user=user, way=way)
    if rooms and kind.rooms:
        for room in NoticeRoom.objects.filter(enabled=True):
            if kind.key in room.kinds:
                notices += _written(kind, key, in_language(room.language), room=room, way=Notice.Way.ROOM)
    return notices


def _written(kind: NoticeKind, key: str, message: Message, **to) -> list[Notice]:
    """The notice, or none when this step was told to them already (`key`)."""
    try:
        with transaction.atomic():
            return [
                notify(
                    kind.key,
                    key=key,
                    title=message.title,
                    text=message.text,
                    url=absolute(message.url) if message.url else "",
                    links=stored_links(message),
                    **to,
                )
            ]
    except IntegrityError:
        return []
