"""LINE WORKS' invoices to the partner as the Invoices page reads them: the latest months with their
findings to explain (`invoice_list`), one month's (`invoice_get`, `month_summary`), the chart of their totals
(`invoice_chart`), the months fetched and the latest fetches (`months_fetched`, `fetch_runs`), and the month
invoiced last (`last_closed_month`)."""

from __future__ import annotations

from django.db.models import OuterRef

from billing import rules
from billing.models import DetailMonth, Finding, Invoice, InvoiceItem
from billing.permissions import VIEW_BILLING
from portal.core import clock
from portal.core.access import check
from portal.core.lists import CappedCount, count_cap
from portal.core.models import SyncRun
from portal.core.selectors import sync_runs_described


def invoice_list(*, user, months: int = 12) -> list[Invoice]:
    """The latest `months` invoices, oldest first, in one query, each with its month's findings to explain
    (`open_findings`: still found and not explained, as the home page's "Findings to explain" counts them; a
    finding the last check no longer found is no work to do) and whether there are more of them than the lists'
    cap (`open_findings_capped`, the page then says "more than N"). Each month's are counted from the findings'
    narrow partial index alone (`Finding.Meta`), up to one past the cap (`lists.CappedCount`), so the page costs
    the same however many findings a month has."""
    check(user, VIEW_BILLING)
    to_explain = Finding.objects.filter(
        year=OuterRef("year"), month=OuterRef("month"), still_found=True, explained=False
    )
    rows = list(
        reversed(
            Invoice.objects.annotate(open_findings=CappedCount(to_explain)).order_by("-year", "-month")[
                :months
            ]
        )
    )
    cap = count_cap()
    for invoice in rows:
        invoice.open_findings_capped = invoice.open_findings > cap
        invoice.open_findings = min(invoice.open_findings, cap)
    return rows


def invoice_get(*, user, year: int, month: int) -> Invoice | None:
    check(user, VIEW_BILLING)
    return Invoice.objects.filter(year=year, month=month).first()


def invoice_chart(invoices: list[Invoice], *, width: int = 640, height: int = 220) -> dict:
    """Geometry of the 12-month chart of totals (server-rendered SVG): one bar per invoice."""
    top = max([i.total_amount for i in invoices] + [1])
    # Room on the left for the longest tick ("¥68,456,797" / "68,456,797円"), so a large total is not cut off.
    pad_left, pad_bottom, pad_top = max(70, 7 * len(f"{top:,}") + 28), 28, 12
    plot_h = height - pad_bottom - pad_top
    slot = (width - pad_left) / max(len(invoices), 1)
    bars = []
    for index, invoice in enumerate(invoices):
        h = round(plot_h * invoice.total_amount / top, 1)
        bars.append(
            {
                "x": round(pad_left + index * slot + slot * 0.15, 1),
                "y": round(pad_top + plot_h - h, 1),
                "w": round(slot * 0.7, 1),
                "h": h,
                "label_x": round(pad_left + index * slot + slot / 2, 1),
                "invoice": invoice,
                "flagged": bool(invoice.total_difference),
            }
        )
    ticks = [{"y": round(pad_top + plot_h - plot_h * f, 1), "value": round(top * f)} for f in (0, 0.5, 1)]
    return {
        "width": width,
        "height": height,
        "bars": bars,
        "ticks": ticks,
        "axis_y": pad_top + plot_h,
        "pad_left": pad_left,
    }


def month_summary(*, user, year: int, month: int) -> DetailMonth | None:
    """Figures of a stored month of details (customers billed, items, sums by type), kept when it was stored."""
    check(user, VIEW_BILLING)
    return DetailMonth.objects.filter(year=year, month=month).first()


def months_fetched(*, user) -> list[tuple[int, int]]:
    check(user, VIEW_BILLING)
    return list(InvoiceItem.objects.order_by("-year", "-month").values_list("year", "month").distinct()[:24])


def fetch_runs(*, user, limit: int = 4) -> list[SyncRun]:
    """The latest billing fetches (partner-wide runs), newest first, for the progress panel."""
    check(user, VIEW_BILLING)
    runs = list(
        SyncRun.objects.filter(kind="partner", scope__startswith="billing.").order_by("-requested_at")[:limit]
    )
    # Each with its label and its errors in words, as the Sync page shows them (the walks' labels are declared
    # in billing/resync.py).
    return sync_runs_described(runs)


def last_closed_month() -> tuple[int, int]:
    return rules.last_closed_month(clock.today())
