"""What the one search box finds: each app contributes its finders (`contribute(label, finders=[...])`), the
search room asks those the reader may use (`usable`), and core names no app.

A `Finder` is a kind of thing (customers, subscriptions, an invoice by number...), its words, the permission
that lets a reader see that kind, and `find(q, user, limit)`: at most `limit` results for the typed text,
`cleaned` already by the search room (a few rows read by index, so the answer costs the same at any number of
customers) and whether there are more.
A result that is exactly what was typed (a domain, a domainId, an id, a number) is `exact`: the full results
page jumps straight to it when it is the only one.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.functional import Promise

from portal.core.access import Perm, can
from portal.core.contrib import contributions

#: The longest text a finder is given: a search box is for a name, a domain or a number, not a document.
LONGEST = 200


@dataclass(frozen=True)
class Result:
    """One thing found: its words, a second line (a domain, a month), its page, and whether it is exactly what
    was typed."""

    label: str
    url: str
    detail: str = ""
    exact: bool = False


@dataclass(frozen=True)
class Found:
    """A finder's answer: its first results and whether it holds more than those."""

    results: tuple[Result, ...] = ()
    more: bool = False


@dataclass(frozen=True)
class Finder:
    """A kind of thing the search box finds (see the module docstring). `key` names the group (a test id, an
    anchor), `label` is its heading, `perm` the permission that lets a reader see the kind at all, `more_url`
    (optional) the list of that kind searched for the same text."""

    key: str
    label: Promise | str
    perm: Perm
    find: Callable[..., Found]
    order: int = 100
    more_url: Callable[[str], str] | None = field(default=None, compare=False)
    #: A further test of the reader, for a kind no one permission grants (a change's page: those who may send
    #: changes of any kind, `access.reads_changes`).
    may: Callable[[Any], bool] | None = field(default=None, compare=False)


def usable(user) -> list[Finder]:
    """The contributed finders `user`'s role may use, in their order."""
    found: tuple[Any, ...] = contributions("finders")
    mine = (f for f in found if can(user, f.perm) and (f.may is None or f.may(user)))
    return sorted(mine, key=lambda f: f.order)


def cleaned(q: str) -> str:
    """The typed text as finders read it: NFKC (full-width digits and letters become ASCII), control characters
    dropped, spaces squeezed, at most `LONGEST` characters."""
    text = unicodedata.normalize("NFKC", q or "")
    text = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in text)
    return " ".join(text.split())[:LONGEST]


def whole_number(q: str, *, most: int = 18) -> int | None:
    """`q` as a whole number (an id or a number typed as digits), None when it is not one (or too long for a
    database's integer)."""
    digits = q.replace(",", "")
    if digits.isascii() and digits.isdigit() and len(digits) <= most:
        return int(digits)
    return None


def list_searched(url_name: str) -> Callable[[str], str]:
    """A finder's `more_url`: the list named `url_name` searched for the words typed."""
    return lambda q: f"{reverse(url_name)}?{urlencode({'q': q})}"
