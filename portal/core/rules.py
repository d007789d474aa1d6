"""What the contract's rules of every app share: an inclusive window of allowed business dates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext


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
