"""The main navigation: items the apps contribute (portal.core.contrib, kind "nav"), in `order`, each shown to
the roles with its permission; and, likewise, the buttons of the home page's head (kind "home_links") and the
links of the user menu (kind "user_menu"). Core names no app's URL."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.functional import Promise
from django.utils.translation import get_language

from portal.core.access import Perm, Role, holds, role_of
from portal.core.contrib import contributions


@dataclass(frozen=True)
class NavItem:
    key: str
    label: Promise
    url_name: str
    perm: Perm
    #: Place in the bar, left to right (the domain apps 10-80, core's own pages after them).
    order: int = 100


#: The links of each kind, role, language and URL prefix, as (key, label, URL), and the contributions they were
#: made of: every page draws the navigation and the user menu, and the same role sees the same links.
_LINKS: dict[tuple, tuple[tuple, tuple[tuple[str, str, str], ...]]] = {}


def links_for(user, kind: str) -> list[dict]:
    """The contributed items of `kind` the user may follow, in order, each with its URL. Made once per role,
    language and URL prefix while the contributions of `kind` stay the same (what `can` decides for an active
    user is their role's), then copied for each request."""
    if not (user and user.is_authenticated and user.is_active):
        return []
    items = contributions(kind)
    role = role_of(user)
    key = (kind, role, get_language(), get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    kept = _LINKS.get(key)
    if kept is None or kept[0] is not items:
        kept = _LINKS[key] = (items, _links(items, role))
    return [{"key": key, "label": label, "url": url} for key, label, url in kept[1]]


def _links(items: tuple, role: Role | None) -> tuple[tuple[str, str, str], ...]:
    links = []
    for item in sorted(items, key=lambda i: (i.order, i.key)):
        if not holds(role, item.perm):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        links.append((item.key, str(item.label), url))
    return tuple(links)


def nav_for(user, current_path: str) -> list[dict]:
    items = links_for(user, "nav")
    for item in items:
        item["active"] = current_path.startswith(item["url"])
    # The longest matching prefix wins, so a page nested under another item's URL lights up only its own.
    active = [i for i in items if i["active"]]
    if len(active) > 1:
        best = max(active, key=lambda i: len(i["url"]))
        for i in active:
            i["active"] = i is best
    return items
