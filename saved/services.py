"""Writes of saved views: save the list a page showed under a name (shared with the team if the saver may
share), delete one; follow a group, and record who entered or left it. They are the readers' own bookmarks, not changes to customers: the audit trail (Activity,
home's recent changes) does not list them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from portal.core.access import can
from saved.models import PATH_LENGTH, QUERY_LENGTH, TITLE_LENGTH, Follow, GroupChange, SavedView
from saved.notices import entered_tell
from saved.permissions import SHARE_VIEWS
from saved.selectors import Listed, may_open


def saved_view_create(*, user, listed: Listed, name: str, shared: bool) -> SavedView:
    """Keep `listed` as `name`, the saver's own or the team's (`shared`). Refused: a page the saver may not
    open, sharing without the right to, a name the saver already uses."""
    if not may_open(user, listed.path):
        raise PermissionDenied(_("Your role does not allow this."))
    if shared and not can(user, SHARE_VIEWS):
        raise PermissionDenied(_("Only Account managers and Admins share views with the team."))
    if max(len(listed.path), len(listed.export)) > PATH_LENGTH or len(listed.query) > QUERY_LENGTH:
        raise ValidationError(
            _("This list's filters are too long to keep as a view: remove some of them, then save it."),
            code="too_long",
        )
    title = listed.title[:TITLE_LENGTH]
    view = SavedView(
        owner=user,
        name=name,
        path=listed.path,
        list_title=title,
        query=listed.query,
        export_path=listed.export,
        shared=shared,
    )
    try:
        with transaction.atomic():
            view.save()
    except IntegrityError:
        raise ValidationError(
            _("You already have a view named “%(name)s”: choose another name, or delete that view first."),
            params={"name": name},
            code="taken",
        ) from None
    return view


def may_delete(*, user, view: SavedView) -> bool:
    """Its owner deletes a view; a shared one also whoever may share views (a team's view outlives its saver)."""
    return view.owner_id == user.pk or (view.shared and can(user, SHARE_VIEWS))


def saved_view_delete(*, user, view: SavedView) -> None:
    if not may_delete(user=user, view=view):
        raise PermissionDenied(_("Only its owner deletes this view."))
    view.delete()


#: The most customers a followed group is told for: past it, who enters or leaves is not told (the Views page
#: says so); a group that large is a list, not a watch.
FOLLOW_MOST = 5000


def follow_set(*, user, view: SavedView, on: bool) -> None:
    """Follow a group the reader sees, or stop (idempotent): its changes are told in their morning digest."""
    if on:
        Follow.objects.get_or_create(user=user, view=view)
    else:
        Follow.objects.filter(user=user, view=view).delete()


def follow_record(*, follow: Follow, members: Sequence[int] | None, now: dt.datetime) -> tuple[int, int]:
    """Keep who is in a followed group now (`members`, their domainIds; None: more than FOLLOW_MOST) and record
    who entered and who left since the last check (none at the first); (entered, left)."""
    if members is None:
        Follow.objects.filter(pk=follow.pk).update(too_many=True, checked_at=now, members=[])
        return 0, 0
    current, before = set(members), set(follow.members)
    entered, left = (
        (current - before, before - current) if follow.checked_at and not follow.too_many else ((), ())
    )
    with transaction.atomic():
        GroupChange.objects.bulk_create(
            [GroupChange(follow=follow, domain_id=d, entered=True, at=now) for d in sorted(entered)]
            + [GroupChange(follow=follow, domain_id=d, entered=False, at=now) for d in sorted(left)]
        )
        Follow.objects.filter(pk=follow.pk).update(members=sorted(current), checked_at=now, too_many=False)
        entered_tell(follow=follow, entered=sorted(entered), key=now.isoformat())
    return len(entered), len(left)
