"""The search box's reads: each finder the reader may use (`portal.core.finders.usable`) asked for a few results
of the typed text, grouped by kind, and the one page the full results page jumps to."""

from __future__ import annotations

from dataclasses import dataclass

from portal.core.finders import Finder, Found, cleaned, usable

#: Results of each kind under the search box as one types, and on the full results page.
PANEL_LIMIT = 5
PAGE_LIMIT = 20


@dataclass(frozen=True)
class Group:
    """One kind's results: its finder (key, heading), what it found, and where its list searched for the same
    text is (when "more" has a list to go to)."""

    finder: Finder
    found: Found
    more_url: str = ""

    @property
    def key(self) -> str:
        return self.finder.key

    @property
    def label(self) -> str:
        return str(self.finder.label)


def search_groups(*, q: str, user, limit: int) -> list[Group]:
    """The kinds with something found for `q` that `user` may see, in order; nothing for an empty `q`."""
    text = cleaned(q)
    if not text:
        return []
    groups = []
    for finder in usable(user):
        found = finder.find(text, user=user, limit=limit)
        if found.results:
            more = finder.more_url(text) if found.more and finder.more_url else ""
            groups.append(Group(finder=finder, found=found, more_url=more))
    return groups


def search_jump(groups: list[Group]) -> str | None:
    """The page of the one result that is exactly what was typed (a domain, a domainId, an id, a number), or
    None when there is none or more than one (a number that is both a domainId and an invoice's number)."""
    exact = {result.url for group in groups for result in group.found.results if result.exact}
    return exact.pop() if len(exact) == 1 else None


def found_count(groups: list[Group]) -> int:
    """How many results the groups show."""
    return sum(len(group.found.results) for group in groups)
