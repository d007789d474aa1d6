"""The customer page's Billing section (`customer_billing_section`): the last months' items, the
findings to explain, this month's estimate and the usage chart (`usage_chart`)."""

from __future__ import annotations

import datetime as dt

from billing import estimate, rules
from billing.models import Finding, InvoiceItem, UsageSnapshot
from billing.permissions import VIEW_BILLING
from portal.core import clock
from portal.core.access import check


def customer_billing_section(*, customer, user) -> dict:
    """Context of the customer page's Billing section: the last 6 months' items and amounts, open findings and
    the usage chart of the last 90 days, and this month's estimate."""
    check(user, VIEW_BILLING)
    items = list(
        InvoiceItem.objects.filter(domain_id=customer.domain_id).order_by(
            "-year", "-month", "type_order", "position"
        )[:120]
    )
    months: dict[tuple[int, int], dict] = {}
    for item in items:
        month = months.setdefault(
            (item.year, item.month), {"year": item.year, "month": item.month, "items": [], "total": 0}
        )
        if len(months) > 6 and (item.year, item.month) not in list(months)[:6]:
            break
        month["items"].append(item)
        if item.item_type == "SUMMARY":
            month["total"] = item.amount or 0
    findings = list(
        Finding.objects.filter(domain_id=customer.domain_id, explained=False).order_by("-year", "-month")[:20]
    )
    year, month = rules.month_of(clock.today())
    return {
        "months": list(months.values())[:6],
        "findings": findings,
        "usage": usage_chart(domain_id=customer.domain_id),
        # This month's estimate of the customer (its lines): what the cache and the price book say now.
        "estimate": estimate.month_estimate(year=year, month=month, domain_ids=[customer.domain_id]).of(
            customer.domain_id
        ),
        "estimate_month": {"year": year, "month": month},
        "cannot_know": estimate.CANNOT_KNOW,
    }


def usage_chart(*, domain_id: int, days: int = 90, width: int = 640, height: int = 180) -> dict:
    """Polylines of members, licences and maximum users over the last `days` days (server-rendered SVG)."""
    today = clock.today()
    start = today - dt.timedelta(days=days - 1)
    snaps = list(
        UsageSnapshot.objects.filter(domain_id=domain_id, used_date__gte=start, used_date__lte=today)
        .order_by("used_date")
        .values("used_date", "member_count", "license_count", "max_member_count")
    )
    pad_left, pad_bottom, pad_top = 50, 24, 10
    top = max(
        [1]
        + [s["member_count"] or 0 for s in snaps]
        + [s["license_count"] or 0 for s in snaps]
        + [s["max_member_count"] or 0 for s in snaps]
    )
    plot_w, plot_h = width - pad_left - 10, height - pad_bottom - pad_top

    def point(day: dt.date, value: int) -> str:
        x = pad_left + plot_w * (day - start).days / max(days - 1, 1)
        y = pad_top + plot_h - plot_h * value / top
        return f"{x:.1f},{y:.1f}"

    lines = {}
    for key in ("member_count", "license_count", "max_member_count"):
        points = [point(s["used_date"], s[key]) for s in snaps if s[key] is not None]
        lines[key] = " ".join(points)
    # The chart's table: the first and last day, and every day a figure changed.
    figures = ("member_count", "license_count", "max_member_count")
    table = [
        snap
        for index, snap in enumerate(snaps)
        if index in (0, len(snaps) - 1) or any(snap[k] != snaps[index - 1][k] for k in figures)
    ]
    return {
        "width": width,
        "height": height,
        "start": start,
        "end": today,
        "top": top,
        "pad_left": pad_left,
        "axis_y": pad_top + plot_h,
        "lines": lines,
        "snapshots": snaps,
        "table": table,
        "latest": snaps[-1] if snaps else None,
    }
