"""The daily usage of every customer and option, made by the database a month at a time."""

from __future__ import annotations

import datetime as dt
import random

from bench.seed.cadence import months_before
from bench.seed.tables import Table, made_after, values


def usage_seed(rng: random.Random, today: dt.date, months: int, *, until: dt.date | None = None) -> None:
    """Daily usage snapshots (thinned past USAGE_KEEP_DAYS to each month's first and last day) and daily option
    usage of every customer not removed, from the history's start (the running month's 1st without history) to
    `until` (today). The database makes the rows, a month at a time: every customer's snapshots follow one
    pattern (a member more every sixty snapshots: a change now and then), whose marks `usage_premark` works out
    once; an option's usage of a day is a number that only looks random."""
    from django.utils import timezone

    from billing.models import UsageSnapshot
    from billing.services import USAGE_KEEP_DAYS
    from billing.usage import usage_premark
    from customers.models import Customer
    from options.models import Option, OptionUsage
    from portal.core import partitions

    now = timezone.now()
    start = dt.date(*months_before(today, months)[0], 1) if months else today.replace(day=1)
    last = until or today
    days = [start + dt.timedelta(days=n) for n in range((last - start).days + 1)]
    kept_from = today - dt.timedelta(days=USAGE_KEEP_DAYS)

    def edge(day: dt.date) -> bool:
        return day.day == 1 or (day + dt.timedelta(days=1)).day == 1

    snapshot_days = [d for d in days if d >= kept_from or edge(d)]
    pattern = [
        UsageSnapshot(domain_id=0, used_date=day, product_id="STD", member_count=n // 60)
        for n, day in enumerate(snapshot_days)
    ]
    usage_premark(pattern)
    snapshots, usage = _usage_tables()
    customer, option = Customer._meta.db_table, Option._meta.db_table
    # On PostgreSQL the snapshots and the option usage are partitioned by month (portal/core/partitions.py): the
    # history's months are made first, so its rows land in their own months rather than in DEFAULT.
    for model in (UsageSnapshot, OptionUsage):
        if partitions.is_partitioned(model):
            partitions.make_months(model, "used_date", start, last)
    with made_after(UsageSnapshot, OptionUsage):
        for month in sorted({(d.year, d.month) for d in days}):
            marked = [(n, s) for n, s in enumerate(pattern) if (s.used_date.year, s.used_date.month) == month]
            if marked:  # every month has some (its first and last day at least)
                snapshots.insert_select(
                    "SELECT c.domain_id, d.column1, 'WORKS', 'STD', c.plan, c.license_count, "
                    "c.member_count + d.column2 / 60, CAST(NULL AS integer), 'ACTIVE', %s, d.column3, d.column4 "
                    f"FROM {customer} c CROSS JOIN ({values(4, len(marked))}) AS d "
                    "WHERE c.removed_at IS NULL ORDER BY c.domain_id, d.column2",
                    [now, *(v for n, s in marked for v in (s.used_date, n, s.changed, s.edge))],
                )
            mine = [(n, d) for n, d in enumerate(days) if (d.year, d.month) == month]
            usage.insert_select(
                "SELECT o.domain_id, o.option_product_id, o.sub_option_id, d.column1, o.plan, c.member_count, "
                "(o.id * 7919 + d.column2 * 104729) %% 10001, %s "
                f"FROM {option} o JOIN {customer} c ON c.domain_id = o.domain_id "
                f"CROSS JOIN ({values(2, len(mine))}) AS d "
                "WHERE c.removed_at IS NULL ORDER BY o.domain_id, o.option_product_id, d.column2",
                [now, *(v for n, d in mine for v in (d, n))],
            )


def _usage_tables() -> tuple[Table, Table]:
    """The usage snapshots' and the option usage's columns `usage_seed` gives."""
    from billing.models import UsageSnapshot
    from options.models import OptionUsage

    snapshots = Table(
        UsageSnapshot,
        [
            "domain_id",
            "used_date",
            "product_group_id",
            "product_id",
            "plan",
            "license_count",
            "member_count",
            "max_member_count",
            "status",
            "synced_at",
            "changed",
            "edge",
        ],
    )
    usage = Table(
        OptionUsage,
        [
            "customer_id",
            "option_product_id",
            "sub_option_id",
            "used_date",
            "plan",
            "member_count",
            "usage_count",
            "synced_at",
        ],
    )
    return snapshots, usage
