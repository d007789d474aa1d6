"""The contract's rules of customer changes (customers/rules.py), at their boundaries."""

from __future__ import annotations

import datetime as dt

from customers import rules


def test_a_max_users_change_may_apply_from_tomorrow_to_one_year_from_today():
    today = dt.date(2026, 11, 21)
    window = rules.max_users_change_window(today)
    assert (window.first, window.last) == (dt.date(2026, 11, 22), dt.date(2027, 11, 21))
    assert today not in window
    assert dt.date(2026, 11, 22) in window and dt.date(2027, 11, 21) in window
    assert dt.date(2027, 11, 22) not in window
    assert "2026-11-22" in window.error() and "2027-11-21" in window.error()


def test_from_29_february_one_year_later_is_28_february():
    window = rules.max_users_change_window(dt.date(2028, 2, 29))
    assert window.last == dt.date(2029, 2, 28)


def test_the_fixed_maximum_message_names_the_scheduled_change():
    text = rules.renewal_max_fixed_message(dt.date(2026, 12, 1), None)
    assert "2026-12-01" in text and "no limit" in text and "delete" in text
    assert "300" in rules.renewal_max_fixed_message(dt.date(2026, 12, 1), 300)
