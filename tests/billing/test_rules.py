"""The billing calendar's pure rules: which month closed last, and the day its invoice is issued."""

import datetime as dt

import pytest

from billing import rules


@pytest.mark.parametrize(
    ("today", "closed", "issued"),
    [
        (dt.date(2026, 11, 21), (2026, 10), dt.date(2026, 11, 1)),
        (dt.date(2026, 11, 1), (2026, 10), dt.date(2026, 11, 1)),
        (dt.date(2027, 1, 5), (2026, 12), dt.date(2027, 1, 1)),
        (dt.date(2028, 3, 1), (2028, 2), dt.date(2028, 3, 1)),
    ],
)
def test_the_month_that_closed_last_and_the_day_its_invoice_is_issued(today, closed, issued):
    assert rules.last_closed_month(today) == closed
    assert rules.issued_on(*closed) == issued
