"""The months Finance closed (`closed_months`, `month_is_closed`) and a month's closings as its pages
show them (`month_closings`, `month_closing_state`)."""

from __future__ import annotations

from billing import rules
from billing.models import MonthClosing
from billing.permissions import VIEW_BILLING
from portal.core import clock
from portal.core.access import check


def closed_months() -> set[tuple[int, int]]:
    """The usage months Finance has closed (and no Admin has reopened since)."""
    return set(MonthClosing.objects.filter(reopened_at__isnull=True).values_list("year", "month"))


def month_is_closed(*, year: int, month: int) -> bool:
    return MonthClosing.objects.filter(year=year, month=month, reopened_at__isnull=True).exists()


def month_closings(*, user, year: int, month: int) -> list[MonthClosing]:
    """Every close of the month and, for each, its reopening if any, oldest first (the month's page shows
    them)."""
    check(user, VIEW_BILLING)
    return list(
        MonthClosing.objects.filter(year=year, month=month).select_related("closed_by", "reopened_by")
    )


def month_closing_state(*, user, year: int, month: int) -> dict:
    """What the month's pages show of its closing: whether it is closed, the closing in force and its history."""
    history = month_closings(user=user, year=year, month=month)
    current = next((c for c in history if c.reopened_at is None), None)
    return {
        "closed": current is not None,
        "closing": current,
        "history": history,
        "closable": rules.closable(year, month, clock.today()),
    }
