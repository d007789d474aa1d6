"""The main navigation: items the apps contribute (portal.core.contrib, kind "nav"), in `order`, each shown to
the roles with its permission; and, likewise, the buttons of the home page's head (kind "home_links") and the
links of the user menu (kind "user_menu"). Core names no app's URL."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise

from portal.core.access import Perm, can
from portal.core.contrib import contributions


@dataclass(frozen=True)
class NavItem:
    key: str
    label: Promise
    url_name: str
    perm: Perm
    #: Place in the bar, left to right (the domain apps 10-80, core's own pages after them).
    order: int = 100


def links_for(user, kind: str) -> list[dict]:
    """The contributed items of `kind` the user may follow, in order, each with its URL."""
    links = []
    for item in sorted(contributions(kind), key=lambda i: (i.order, i.key)):
        if not can(user, item.perm):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        links.append({"key": item.key, "label": item.label, "url": url})
    return links


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
