"""The options' usage: a customer's month, day by day or summed once the days are gone (the usage page), and
an option's last day of usage (the renewal warning)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from customers.models import Customer
from options import rules
from options.models import OptionUsage, OptionUsageMonth
from options.permissions import VIEW_OPTIONS
from portal.core import clock
from portal.core.access import check


@dataclass(frozen=True)
class UsageSeries:
    option_product_id: str
    label: str
    days: list[tuple[dt.date, int]]
    peak: int


def usage_month(*, user, customer: Customer, year: int, month: int) -> list[UsageSeries]:
    """The month's daily usage of each option of a customer, from the cache (one query). The month as a range of
    dates, which the database prunes to the month's partition; as a year and a month (`used_date__month`) it
    read the customer's rows of every partition of the year."""
    check(user, VIEW_OPTIONS)
    first = dt.date(year, month, 1)
    rows = OptionUsage.objects.filter(
        customer_id=customer.domain_id,
        used_date__gte=first,
        used_date__lt=(first + dt.timedelta(days=32)).replace(day=1),
    ).order_by("option_product_id", "used_date")
    series: dict[str, list[tuple[dt.date, int]]] = {}
    for row in rows:
        value = row.usage_count if row.usage_count is not None else (row.quantity or 0)
        series.setdefault(row.option_product_id, []).append((row.used_date, value))
    return [
        UsageSeries(opt, rules.option_label(opt), days, max((v for _d, v in days), default=0))
        for opt, days in series.items()
    ]


def usage_month_summary(*, user, customer: Customer, year: int, month: int) -> list[OptionUsageMonth]:
    """The month's usage summed per option, sub option and plan, kept after its daily rows left (options/
    retention.py): what the usage page shows for a month older than the daily usage kept. By the summaries'
    unique index (customer, month)."""
    check(user, VIEW_OPTIONS)
    return list(
        OptionUsageMonth.objects.filter(domain_id=customer.domain_id, month=dt.date(year, month, 1)).order_by(
            "option_product_id", "sub_option_id", "plan"
        )
    )


def latest_usage(*, domain_id: int, option_product_id: str) -> OptionUsage | None:
    """The last cached day of usage of an option (for the renewal warning): looked for since the first of last
    month, which the database prunes to those months' partitions, and only when none is there in the earlier
    ones (the daily usage is partitioned by month: unbounded, the newest row was looked for in each month kept)."""
    usage = OptionUsage.objects.filter(customer_id=domain_id, option_product_id=option_product_id)
    since = (clock.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    recent = usage.filter(used_date__gte=since).order_by("-used_date").first()
    return recent or usage.filter(used_date__lt=since).order_by("-used_date").first()
