"""Date arithmetic of the contract's rules (pure functions, importable without Django)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

DAY = dt.timedelta(days=1)
# Trial length and grace period are not in the contract; the sandbox assumes 30 days each.
TRIAL_DAYS = 30
GRACE_DAYS = 30


def withdrawal_date_for(day: dt.date) -> dt.date:
    """Deletion date after a 202: day 1..24 -> 2nd of next month; day 25..end -> 2nd of the month after.

    The 25th..1st case is rebuilt from a cut sentence of the reference (x-unverified, deleteCustomer).
    """
    months = 2 if day.day >= 25 else 1
    year, month = day.year + (day.month - 1 + months) // 12, (day.month - 1 + months) % 12 + 1
    return dt.date(year, month, 2)


def add_years(day: dt.date, years: int) -> dt.date:
    """Same day ``years`` later; 29 February becomes the 28th in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def one_year_later(day: dt.date) -> dt.date:
    return add_years(day, 1)


def month_end(day: dt.date) -> dt.date:
    first_next = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return first_next - DAY


def next_month_first(day: dt.date) -> dt.date:
    return month_end(day) + DAY


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    """First and last day of a month (ValueError or OverflowError for a month that cannot exist)."""
    first = dt.date(year, month, 1)
    return first, month_end(first)


def days_of(period, first: dt.date, last: dt.date) -> Iterator[dt.date]:
    """Each day of ``period`` (``start_date``, ``end_date``: None while running) within ``first``..``last``."""
    day = max(first, period.start_date)
    end = min(last, period.end_date or last)
    while day <= end:
        yield day
        day += DAY
