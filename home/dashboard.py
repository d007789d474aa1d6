"""Home-page figures: each app contributes the figures it can read from its cache tables (portal.core.contrib,
kind "figures")."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise

from portal.core.access import Perm, can
from portal.core.contrib import contributions


@dataclass(frozen=True)
class Figure:
    key: str
    label: Promise
    perm: Perm
    value: Callable[[], int]
    url_name: str = ""
    order: int = 100


def figures_for(user) -> list[dict]:
    out = []
    for fig in sorted(contributions("figures"), key=lambda f: (f.order, f.key)):
        if not can(user, fig.perm):
            continue
        try:
            url = reverse(fig.url_name) if fig.url_name else ""
        except NoReverseMatch:
            url = ""
        out.append({"key": fig.key, "label": fig.label, "value": fig.value(), "url": url})
    return out
