"""Date arithmetic of the contract's rules (pure functions, importable without Django)."""

from __future__ import annotations

import datetime as dt

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


def one_year_later(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)
