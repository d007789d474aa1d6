"""Billing's periodic job: fetch the month that closed (invoices are issued on the 1st, business time)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="billing.fetch_closed_month", ignore_result=True)
def fetch_closed_month() -> None:
    """Queue the fetch of the last closed usage month (run by beat after the 1st of each month)."""
    from billing import rules, services
    from portal.core import clock

    year, month = rules.last_closed_month(clock.today())
    services.month_fetch_request(year=year, month=month)
