"""What the contract's rules of every app share: an inclusive window of allowed business dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext, pgettext


@dataclass(frozen=True)
class DateWindow:
    """The dates a change may take (inclusive, business dates in Japan time), and the sentence a person reads
    when a date falls outside."""

    first: dt.date
    last: dt.date

    def __contains__(self, day: dt.date) -> bool:
        return self.first <= day <= self.last

    @property
    def empty(self) -> bool:
        return self.last < self.first

    def error(self) -> str:
        return gettext("Choose a date from %(first)s to %(last)s (Japan time).") % {
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
        }

    def shown(self) -> str:
        """The window in words: "2026-11-25 – 2027-10-31", one day alone, or that no date is possible now."""
        if self.empty:
            return gettext("no date is possible now")
        if self.first == self.last:
            return gettext("%(day)s only") % {"day": self.first.isoformat()}
        return f"{self.first.isoformat()} – {self.last.isoformat()}"


def widest(windows: list[DateWindow]) -> DateWindow | None:
    """The window that holds each of `windows` (None for none): what a date picker offers when the window
    depends on a choice made in the same form."""
    held = [w for w in windows if not w.empty]
    if not held:
        return windows[0] if windows else None
    return DateWindow(min(w.first for w in held), max(w.last for w in held))


def windows_text(windows: list[tuple[str, DateWindow]]) -> str:
    """Each choice's window, labelled ("Add: 2026-11-25 – 2027-10-31; Change the quantity: 2026-12-01 only")."""
    from portal.core.vocabulary import labelled

    separator = pgettext("between the items of a list on one line", "; ")
    return separator.join(labelled(label, window.shown()) for label, window in windows)
