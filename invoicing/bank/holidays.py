"""Bank business days in Japan: a day a bank takes a direct debit is neither a Saturday, a Sunday, a national
holiday (国民の祝日, with its substitute holiday 振替休日 and the day between two holidays 国民の休日) nor the banks'
year-end days (31 December to 3 January, 銀行法施行令 第五条).

The national holidays come from the `holidays` library (python-holidays, kept up to date as the law moves a
holiday); the banks' year end is ours. A year the library does not cover is refused rather than guessed."""

from __future__ import annotations

import datetime as dt
from functools import cache

from holidays.countries.japan import Japan

FIRST_YEAR, LAST_YEAR = Japan.start_year, Japan.end_year
_YEAR_END = {(12, 31), (1, 1), (1, 2), (1, 3)}


class OutsideCalendar(ValueError):
    """A year the calendar does not know."""


@cache
def holidays(year: int) -> frozenset[dt.date]:
    """The national holidays of `year`, substitute holidays and the days between two holidays among them."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise OutsideCalendar(year)
    return frozenset(Japan(years=year))


def bank_holiday(day: dt.date) -> bool:
    """Whether the banks are closed on `day` (`OutsideCalendar` for a year the calendar does not know)."""
    if day.weekday() >= 5 or (day.month, day.day) in _YEAR_END:
        return True
    return day in holidays(day.year)


def next_business_day(day: dt.date) -> dt.date:
    """`day` if the banks are open then, else the next day they are."""
    while bank_holiday(day):
        day += dt.timedelta(days=1)
    return day
