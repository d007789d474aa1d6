"""Bank business days in Japan: a day a bank takes a direct debit is neither a Saturday, a Sunday, a national
holiday (国民の祝日, with its substitute holiday 振替休日 and the day between two holidays 国民の休日) nor the banks'
year-end days (31 December to 3 January, 銀行法施行令 第五条). The house had no holiday calendar: this is one,
worked out by the rules of the Act on National Holidays (国民の祝日に関する法律) as they stand since 2020, with the
equinoxes by the usual approximation (valid 1980–2099), for the years 2020–2099. A year outside is refused
rather than guessed."""

from __future__ import annotations

import datetime as dt
from functools import cache

FIRST_YEAR, LAST_YEAR = 2020, 2099
#: The holidays moved for the Tokyo Olympics (2020 and 2021): (year) -> {name: date}.
_OLYMPICS = {
    2020: {"sea": dt.date(2020, 7, 23), "sports": dt.date(2020, 7, 24), "mountain": dt.date(2020, 8, 10)},
    2021: {"sea": dt.date(2021, 7, 22), "sports": dt.date(2021, 7, 23), "mountain": dt.date(2021, 8, 8)},
}


class OutsideCalendar(ValueError):
    """A year the calendar does not know."""


def _nth_monday(year: int, month: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(7 - first.weekday()) % 7 + 7 * (n - 1))


def _equinox(year: int, base: float) -> int:
    return int(base + 0.242194 * (year - 1980) - (year - 1980) // 4)


def _named(year: int) -> set[dt.date]:
    moved = _OLYMPICS.get(year, {})
    return {
        dt.date(year, 1, 1),  # 元日
        _nth_monday(year, 1, 2),  # 成人の日
        dt.date(year, 2, 11),  # 建国記念の日
        dt.date(year, 2, 23),  # 天皇誕生日
        dt.date(year, 3, _equinox(year, 20.8431)),  # 春分の日
        dt.date(year, 4, 29),  # 昭和の日
        dt.date(year, 5, 3),  # 憲法記念日
        dt.date(year, 5, 4),  # みどりの日
        dt.date(year, 5, 5),  # こどもの日
        moved.get("sea", _nth_monday(year, 7, 3)),  # 海の日
        moved.get("mountain", dt.date(year, 8, 11)),  # 山の日
        _nth_monday(year, 9, 3),  # 敬老の日
        dt.date(year, 9, _equinox(year, 23.2488)),  # 秋分の日
        moved.get("sports", _nth_monday(year, 10, 2)),  # スポーツの日
        dt.date(year, 11, 3),  # 文化の日
        dt.date(year, 11, 23),  # 勤労感謝の日
    }


@cache
def holidays(year: int) -> frozenset[dt.date]:
    """The national holidays of `year`: the named ones, each falling on a Sunday followed by its substitute (the
    next day that is not a holiday), and each day between two holidays."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise OutsideCalendar(year)
    days = _named(year)
    for day in sorted(days):
        if day.weekday() == 6:
            substitute = day + dt.timedelta(days=1)
            while substitute in days:
                substitute += dt.timedelta(days=1)
            days.add(substitute)
    between = {
        day + dt.timedelta(days=1)
        for day in days
        if day + dt.timedelta(days=2) in days and day + dt.timedelta(days=1) not in days
    }
    return frozenset(days | {d for d in between if d.weekday() != 6})


def bank_holiday(day: dt.date) -> bool:
    """Whether the banks are closed on `day` (`OutsideCalendar` for a year the calendar does not know)."""
    if day.weekday() >= 5 or (day.month, day.day) in {(12, 31), (1, 1), (1, 2), (1, 3)}:
        return True
    return day in holidays(day.year)


def next_business_day(day: dt.date) -> dt.date:
    """`day` if the banks are open then, else the next day they are."""
    while bank_holiday(day):
        day += dt.timedelta(days=1)
    return day
