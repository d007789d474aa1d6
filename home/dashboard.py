"""Home-page figures: each app contributes the figures it can read from its cache tables (portal.core.contrib,
kind "figures"). A figure counted per customer (`per_customer`) follows the worklist's choice of whose work:
its `value(narrow=)` narrows its rows with the worklist context's `narrow(qs, key=)`."""

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
    value: Callable[..., int]
    url_name: str = ""
    order: int = 100
    #: Its rows belong to customers: `value(narrow=)` counts only those whose work the home page shows.
    per_customer: bool = False
    #: Its value is counted up to one past the lists' cap (`portal.core.lists.capped_count`): past the cap the
    #: figure says "More than 1,000", as the lists and the worklist's sections do.
    capped: bool = False


def figures_for(user, *, narrow: Callable | None = None) -> list[dict]:
    """The figures `user` may read; `narrow(qs, key=)`: whose customers the per-customer ones count; a figure
    counted up to the cap (`capped`) past it is the cap, `capped` set."""
    from portal.core.lists import count_cap

    cap = count_cap()
    out = []
    for fig in sorted(contributions("figures"), key=lambda f: (f.order, f.key)):
        if not can(user, fig.perm):
            continue
        try:
            url = reverse(fig.url_name) if fig.url_name else ""
        except NoReverseMatch:
            url = ""
        value = fig.value(narrow=narrow) if fig.per_customer and narrow else fig.value()
        capped = fig.capped and value > cap
        out.append(
            {
                "key": fig.key,
                "label": fig.label,
                "value": cap if capped else value,
                "capped": capped,
                "url": url,
            }
        )
    return out
