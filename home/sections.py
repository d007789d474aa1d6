"""Sections of the customer page, which the apps contribute (portal.core.contrib, kind "sections").

An app declares its sections in its AppConfig.ready()::

    from home.sections import DetailSection

    contribute(self.label, sections=[DetailSection(
        key="subscriptions",
        title=_("Subscriptions"),
        template="subscriptions/_customer_section.html",
        perm=VIEW_SUBSCRIPTIONS,
        context=lambda *, customer, user: {"subscriptions": selectors.subscription_list(...)},
        order=20,
    )])

The detail page renders every section the user's role may see, in `order`, each template receiving
`customer` and `section` (the dict returned by `context`). `context` must be a selector: it reads the cache and
never calls the Partner API. A section whose template or context fails raises: a broken section is a bug.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise

from portal.core.access import Perm, can
from portal.core.contrib import contributions


@dataclass(frozen=True)
class DetailSection:
    key: str
    title: Promise | str
    template: str
    context: Callable[..., dict[str, Any]]
    #: Who sees the section (the app's own permission).
    perm: Perm
    order: int = 100


def registered_sections() -> list[DetailSection]:
    return sorted(contributions("sections"), key=lambda s: (s.order, s.key))


def sections_for(*, customer, user) -> list[dict[str, Any]]:
    """The sections this user may see, each with its rendered context, in page order."""
    out = []
    for section in registered_sections():
        if not can(user, section.perm):
            continue
        out.append(
            {
                "key": section.key,
                "title": section.title,
                "template": section.template,
                "context": section.context(customer=customer, user=user),
            }
        )
    return out
