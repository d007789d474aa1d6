"""Reads of saved views: those a reader sees (their own and the team's shared ones, on pages their role may
open), one by id, and the list a save link names (`listed_from`: the signed address of a list page the reader
was shown, `portal.core.lists.address_token`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.urls import NoReverseMatch, Resolver404, resolve, reverse

from portal.core.access import can
from portal.core.changes.bulk import bulk_actions_for_any
from portal.core.contrib import contributions
from portal.core.lists import address_from
from saved.models import Follow, GroupChange, SavedView


@dataclass(frozen=True)
class Listed:
    """A list page as its save link named it: its path, its query (filters and sort, not the page) and its
    title as the page gave it."""

    path: str
    query: str
    title: str
    #: The address of the list's export (its files take the same query); "" when the list has none.
    export: str = ""

    @property
    def url(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path


def listed_from(token: str) -> Listed | None:
    """The list a save link named, or None when the link was not made here (or was changed)."""
    found = address_from(token)
    return Listed(*found) if found else None


def may_open(user, path: str) -> bool:
    """Whether the reader's role may open the page at `path` (the permission its view requires)."""
    try:
        match = resolve(path)
    except Resolver404:
        return False
    perm = getattr(match.func, "required_perm", None)
    return perm is None or can(user, perm)


def saved_views_visible(*, user) -> QuerySet[SavedView]:
    """The reader's own views and the team's shared ones (before `may_open`)."""
    return SavedView.objects.filter(Q(owner=user) | Q(shared=True)).select_related("owner")


def saved_view_list(*, user) -> list[SavedView]:
    """The views the reader sees and may open: their own first, then the team's, each by name."""
    found = [v for v in saved_views_visible(user=user) if may_open(user, v.path)]
    return sorted(found, key=lambda v: (v.owner_id != user.pk, v.name.casefold(), v.pk))


@dataclass(frozen=True)
class GroupActions:
    """What a saved view that is a group (`BulkSource.group_of`) offers: the bulk bar's `source` and the actions
    the reader may start on it."""

    source: str
    actions: list


def group_actions(*, user, view: SavedView) -> GroupActions | None:
    """The bulk actions `user` may start on the rows of the group `view` is, or None when it is no group."""
    for found in contributions("bulk_sources"):
        if not found.group_of or _path(found.group_of) != view.path:
            continue
        actions = [a for a in bulk_actions_for_any(user=user) if found.takes(a)]
        return GroupActions(source=f"{found.prefix}:{view.pk}", actions=actions) if actions else None
    return None


def is_group(view: SavedView) -> bool:
    """Whether `view` is a group: a view of a list whose saved views a `BulkSource` takes as groups."""
    return any(f.group_of and _path(f.group_of) == view.path for f in contributions("bulk_sources"))


def _path(url_name: str) -> str:
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return ""


def saved_view_get(*, user, view_id: int) -> SavedView | None:
    view = saved_views_visible(user=user).filter(pk=view_id).first()
    return view if view is not None and may_open(user, view.path) else None


@dataclass(frozen=True)
class FollowedChanges:
    """Who entered and who left one followed group since a time: their domainIds, and the view's words."""

    name: str
    url: str
    entered: list
    left: list


def follows_of(*, user) -> set[int]:
    """The ids of the views `user` follows."""
    return set(Follow.objects.filter(user=user).values_list("view_id", flat=True))


def group_changes_since(*, user, since) -> list[FollowedChanges]:
    """For each group `user` follows (and still sees), who entered and who left since `since`, by view name."""
    found: dict[int, tuple[list, list]] = {}
    changes = GroupChange.objects.filter(follow__user=user, at__gte=since).values_list(
        "follow__view_id", "domain_id", "entered"
    )
    for view_id, domain_id, entered in changes.order_by("at", "pk"):
        found.setdefault(view_id, ([], []))[0 if entered else 1].append(domain_id)
    out = []
    for view in saved_views_visible(user=user).filter(pk__in=found):
        if may_open(user, view.path):
            entered, left = found[view.pk]
            out.append(FollowedChanges(name=view.name, url=view.url, entered=entered, left=left))
    return sorted(out, key=lambda f: f.name.casefold())
