"""A customer's daily usage snapshots (listCustomerUsages), as the resync stores them: upserted, their marks
worked out (`billing.usage`), and those past `USAGE_KEEP_DAYS` thinned to what a past month's check reads."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from billing.models import UsageSnapshot
from billing.usage import usage_before, usage_marks, usage_premark
from partner_api.models import wire_text
from portal.core.copies import holds_already

#: Usage snapshots older than this many days are thinned when a customer's usage is stored: only those the
#: check of a past month reads stay (see `usage_thin`).
USAGE_KEEP_DAYS = 120


def usage_store(*, domain_id: int, remote: Any, synced_at: dt.datetime) -> int:
    """Upsert a customer's daily usage snapshots (listCustomerUsages), work out their marks
    (`billing.usage.usage_marks`) and thin those past USAGE_KEEP_DAYS (which keeps the marks true). Days the
    copy already holds as read are only stamped read again."""
    usages = list(getattr(remote, "usages", None) or [])
    days = [u.used_date for u in usages]
    snapshots = [
        UsageSnapshot(
            domain_id=domain_id,
            used_date=u.used_date,
            product_group_id=wire_text(u.product_group_id) or "WORKS",
            product_id=wire_text(u.product_id),
            plan=wire_text(u.plan),
            license_count=u.license_count,
            member_count=u.member_count,
            max_member_count=u.max_member_count,
            status=wire_text(u.status),
            synced_at=synced_at,
        )
        for u in usages
    ]
    if days:
        held = UsageSnapshot.objects.filter(
            domain_id=domain_id, used_date__gte=min(days), used_date__lte=max(days)
        )
        if holds_already(held, snapshots, _SNAPSHOT_FIELDS, key=2):
            # The days read hold what the copy holds: only when they were read is new (their marks stay true).
            held.update(synced_at=synced_at)
            usage_thin(
                domain_id=domain_id, before=_business_date(synced_at) - dt.timedelta(days=USAGE_KEEP_DAYS)
            )
            return len(usages)
        held.delete()
        # Written marked (an update after would leave every row's old version in the partial indexes).
        groups = {s.product_group_id for s in snapshots}
        usage_premark(snapshots, before=usage_before(domain_id=domain_id, day=min(days), groups=groups))
    UsageSnapshot.objects.bulk_create(snapshots, ignore_conflicts=True)
    if days:
        usage_marks(domain_id=domain_id, since=min(days))  # the rows around them
    usage_thin(domain_id=domain_id, before=_business_date(synced_at) - dt.timedelta(days=USAGE_KEEP_DAYS))
    return len(usages)


#: A customer's usage snapshots, each known by its day and product group (`holds_already`'s key: the first two).
_SNAPSHOT_FIELDS = (
    "used_date",
    "product_group_id",
    "product_id",
    "plan",
    "license_count",
    "member_count",
    "max_member_count",
    "status",
)


def usage_thin(*, domain_id: int, before: dt.date) -> int:
    """Drop the customer's snapshots before `before` that a past month's check can do without: a day whose
    terms are those of the day before and the day after, neither the first nor the last of its month. What
    stays tells each month's check what held on every day (the terms run unchanged between kept days), so a
    month checked again years later finds what it found on its last day."""
    rows = list(
        UsageSnapshot.objects.filter(domain_id=domain_id, used_date__lte=before)
        .order_by("product_group_id", "used_date")
        .values_list(
            "pk", "product_group_id", "used_date", "product_id", "plan", "license_count", "member_count"
        )
    )
    drop = []
    for index, (pk, group, day, *terms) in enumerate(rows):
        if day >= before or day.day == 1 or (day + dt.timedelta(days=1)).day == 1:
            continue
        neighbours = [rows[i] for i in (index - 1, index + 1) if 0 <= i < len(rows)]
        if len(neighbours) == 2 and all(
            n[1] == group and abs((n[2] - day).days) == 1 and list(n[3:]) == terms for n in neighbours
        ):
            drop.append(pk)
    UsageSnapshot.objects.filter(pk__in=drop).delete()
    return len(drop)


def usage_clear(*, domain_id: int) -> None:
    UsageSnapshot.objects.filter(domain_id=domain_id).delete()


def _business_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(ZoneInfo(settings.BUSINESS_TIME_ZONE)).date()
