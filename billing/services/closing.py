"""Closing a usage month: Finance closes a month that has ended (`month_close`), and its findings,
explanations and the prices in force in it become read-only; an Admin reopens it with a reason (`month_reopen`).
A write that would change a closed month is refused (`refuse_if_closed`, `MonthClosed`). Both are audited."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from billing import rules
from billing.models import MonthClosing
from portal.core.models import AuditEntry
from portal.core.services import audit_record


class MonthClosed(Exception):
    """A write would change a month Finance closed (its findings, explanations or prices); an Admin reopens it
    first."""

    def __init__(self, year: int, month: int) -> None:
        super().__init__(f"{year}-{month:02d} is closed")
        self.year, self.month = year, month


class MonthNotClosable(Exception):
    """The month cannot be closed (it is still running) or reopened (it is not closed)."""


def refuse_if_closed(year: int, month: int) -> None:
    """`MonthClosed` when Finance closed the month and nobody reopened it."""
    if MonthClosing.objects.filter(year=year, month=month, reopened_at__isnull=True).exists():
        raise MonthClosed(year, month)


def month_close(*, user, year: int, month: int, today: dt.date) -> MonthClosing:
    """Close a usage month that has ended: its findings, explanations and the prices in force in it become
    read-only. Audited. `MonthNotClosable` for the running month, `MonthClosed` when it is closed already."""
    if not rules.closable(year, month, today):
        raise MonthNotClosable("The month is still running.")
    with transaction.atomic():
        refuse_if_closed(year, month)
        closing = MonthClosing.objects.create(
            year=year, month=month, closed_at=timezone.now(), closed_by=user
        )
        audit_record(
            actor=user,
            operation_id="portal.closeBillingMonth",
            sent={"month": f"{year}-{month:02d}"},
            outcome=AuditEntry.Outcome.SUCCEEDED,
        )
    return closing


def month_reopen(*, user, year: int, month: int, reason: str) -> MonthClosing:
    """Reopen a closed month (an Admin, with a reason): its closing is stamped, never deleted, so the month's
    page shows who closed and who reopened it. Audited with the reason. `MonthNotClosable` when it is not
    closed."""
    with transaction.atomic():
        closing = (
            MonthClosing.objects.select_for_update()
            .filter(year=year, month=month, reopened_at__isnull=True)
            .first()
        )
        if closing is None:
            raise MonthNotClosable("The month is not closed.")
        closing.reopened_at, closing.reopened_by, closing.reopen_reason = timezone.now(), user, reason
        closing.save(update_fields=["reopened_at", "reopened_by", "reopen_reason"])
        audit_record(
            actor=user,
            operation_id="portal.reopenBillingMonth",
            sent={
                "month": f"{year}-{month:02d}",
                "closed_by": closing.closed_by.username if closing.closed_by else "",
                "closed_at": closing.closed_at.isoformat(),
            },
            outcome=AuditEntry.Outcome.SUCCEEDED,
            reason=reason,
        )
    return closing
