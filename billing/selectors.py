"""Reads of the billing cache (access checked here too); never HTTP."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.paginator import Page
from django.db.models import OuterRef, QuerySet

from billing import estimate, rules
from billing.findings import customers_without_usage
from billing.models import (
    DetailMonth,
    Finding,
    Invoice,
    InvoiceItem,
    MonthClosing,
    PriceEntry,
    UsageSnapshot,
)
from billing.permissions import VIEW_BILLING
from customers.selectors import customer_names, customer_search
from portal.core import clock, kept
from portal.core.access import check
from portal.core.lists import CappedCount, Sorts, count_cap, paginate
from portal.core.models import SyncRun
from portal.core.selectors import sync_runs_described

ITEM_SORTS = Sorts(
    columns={
        "customer": ("row_order",),
        "type": ("type_order", "customer_name", "domain_id", "position"),
        "item": ("item_id", "customer_name", "domain_id", "position"),
        "amount": ("amount", "customer_name", "domain_id", "position"),
    },
    default="customer",
)


@dataclass(frozen=True)
class ItemFilters:
    q: str = ""
    item_type: str = ""
    item_id: str = ""
    amount_min: int | None = None
    amount_max: int | None = None
    flagged: bool = False
    sort: str = ITEM_SORTS.default


# --- invoices --------------------------------------------------------------------------------------------


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
        SyncRun.objects.filter(kind="partner", scope__startswith="billing.").order_by("-started_at")[:limit]
    )
    # Each with its label and its errors in words, as the Sync page shows them (the walks' labels are declared
    # in billing/resync.py).
    return sync_runs_described(runs)


# --- invoice details -------------------------------------------------------------------------------------


def item_list(*, user, year: int, month: int, filters: ItemFilters) -> QuerySet[InvoiceItem]:
    """The month's items, filtered and sorted (exactly what the page and its CSV show)."""
    check(user, VIEW_BILLING)
    qs = InvoiceItem.objects.filter(year=year, month=month)
    # The house's customer search (company name, domain, code, domainId) on the customers the portal knows.
    qs = customer_search(qs, filters.q, prefix="")
    if filters.item_type:
        qs = qs.filter(item_type=filters.item_type)
    if filters.item_id:
        qs = qs.filter(item_id=filters.item_id)
    if filters.amount_min is not None:
        qs = qs.filter(amount__gte=filters.amount_min)
    if filters.amount_max is not None:
        qs = qs.filter(amount__lte=filters.amount_max)
    if filters.flagged:
        qs = qs.filter(flagged=True)
    return ITEM_SORTS.order(qs, filters.sort)


def item_page(*, user, year: int, month: int, filters: ItemFilters, page, per_page: int) -> Page:
    """One page of the month's items; each row knows whether it starts its customer's group. Counted apart,
    then only the page read: in the default order, and by amount, an index of the month serves the order
    (`InvoiceItem.Meta.indexes`), where a window count would make the database read and sort every item of the
    month before the first row."""
    result = paginate(
        item_list(user=user, year=year, month=month, filters=filters),
        page=page,
        per_page=per_page,
        separate_count=True,
    )
    previous = None
    for row in result.object_list:
        row.group_start = row.domain_id != previous
        previous = row.domain_id
    return result


def item_values(*, year: int, month: int) -> list[str]:
    """The products and options billed in the month (filter choices)."""
    found = DetailMonth.objects.filter(year=year, month=month).values_list("item_ids", flat=True).first()
    return list(found or [])


# --- findings ---------------------------------------------------------------------------------------------


def finding_list(*, user, year: int, month: int, open_only: bool = False) -> list[Finding]:
    check(user, VIEW_BILLING)
    qs = Finding.objects.filter(year=year, month=month).select_related("explained_by")
    if open_only:
        qs = qs.filter(explained=False)
    return list(qs)


def customers_unchecked(*, user, year: int, month: int) -> int:
    """How many customers billed in the month have no usage snapshot of it: the check could not compare their
    licences or periods with what was sold (what the portal cannot know, said on the findings page). As the
    month's last check found it (kept on its `DetailMonth`), else counted now."""
    check(user, VIEW_BILLING)
    stored = DetailMonth.objects.filter(year=year, month=month).values_list("unchecked", flat=True).first()
    if stored is not None:
        return stored
    return customers_without_usage(year=year, month=month)


def finding_get(*, user, finding_id: int) -> Finding | None:
    check(user, VIEW_BILLING)
    return Finding.objects.filter(pk=finding_id).first()


# --- price book ------------------------------------------------------------------------------------------


def price_entry_next(*, item_id: str, plan: str, domain_id: int | None, after: dt.date) -> dt.date | None:
    """The day the next entry of the same item, plan and customer takes over after `after` (None: none)."""
    return (
        PriceEntry.objects.filter(item_id=item_id, plan=plan, domain_id=domain_id, effective_from__gt=after)
        .order_by("effective_from")
        .values_list("effective_from", flat=True)
        .first()
    )


def price_entry_on(*, item_id: str, plan: str, domain_id: int | None, day: dt.date) -> PriceEntry | None:
    """The entry of the same item, plan and customer from that very day, if the book has one."""
    return PriceEntry.objects.filter(
        item_id=item_id, plan=plan, domain_id=domain_id, effective_from=day
    ).first()


def price_entry_list(*, user) -> list[PriceEntry]:
    """The price book, each entry with its customer's company name (`customer_name`, for an override) and
    whether it is in force in a month Finance closed (`fixed`: kept as the month was checked)."""
    check(user, VIEW_BILLING)
    entries = list(PriceEntry.objects.select_related("created_by"))
    names = customer_names({e.domain_id for e in entries if e.domain_id})
    closed = closed_months()
    following: dict[tuple, dt.date] = {}
    for entry in sorted(entries, key=lambda e: e.effective_from, reverse=True):
        key = (entry.item_id, entry.plan, entry.domain_id)
        entry.customer_name = names.get(entry.domain_id, "") if entry.domain_id else ""
        entry.fixed = bool(closed) and (
            rules.closed_month_touched(entry.effective_from, following.get(key), closed) is not None
        )
        following[key] = entry.effective_from
    return entries


# --- customer page ---------------------------------------------------------------------------------------


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


def last_closed_month() -> tuple[int, int]:
    return rules.last_closed_month(clock.today())


# --- closed months -----------------------------------------------------------------------------------------


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


# --- the estimate ------------------------------------------------------------------------------------------


def estimates(*, user, top: int) -> list[dict]:
    """The Invoices page's estimates: the month the next invoice covers and the running month (one when they are
    the same), each read as kept (`estimate.estimate_summary`: totals and the `top` customers of the largest
    cost) with how its copy stands (`portal.core.kept`: a month behind is queued for the worker), what it is
    ("Next invoice", "This month") and the day its invoice is issued (a closed month's was issued on the 1st:
    when it is not in the cache, it has not been fetched, not "not issued")."""
    check(user, VIEW_BILLING)
    today = clock.today()
    invoiced = set(Invoice.objects.values_list("year", "month"))
    running = rules.month_of(today)
    months = estimate.months_estimated(today, invoiced=invoiced)
    return [
        {
            "kept": kept.ask(estimate.KEPT, year, month),
            "estimate": estimate.estimate_summary(year=year, month=month, top=top),
            "running": (year, month) == running,
            "next_invoice": (year, month) == months[0],
            "issued_on": rules.issued_on(year, month),
        }
        for year, month in months
    ]


def estimate_kept_state(*, user, year: int, month: int) -> kept.KeptState:
    """How the month's kept estimate stands (queued for the worker when behind)."""
    check(user, VIEW_BILLING)
    return kept.ask(estimate.KEPT, year, month)


def month_estimate(*, user, year: int, month: int, domain_ids=None) -> estimate.Estimate:
    check(user, VIEW_BILLING)
    if domain_ids is None:
        return estimate.kept_estimate(year=year, month=month)
    return estimate.month_estimate(year=year, month=month, domain_ids=domain_ids)


def estimate_against_invoice(*, user, year: int, month: int) -> list[estimate.Compared]:
    """The month's kept estimate beside its invoice, per customer (the invoice's items as stored)."""
    check(user, VIEW_BILLING)
    items = InvoiceItem.objects.filter(
        year=year, month=month, item_type__in=estimate.ESTIMATED_TYPES + estimate.NOT_ESTIMATED_TYPES
    ).values_list("domain_id", "customer_name", "item_type", "item_id", "amount")
    keys = ("domain_id", "customer_name", "item_type", "item_id", "amount")
    return estimate.against_invoice(
        estimate.kept_estimate(year=year, month=month), (dict(zip(keys, row, strict=True)) for row in items)
    )


@dataclass(frozen=True)
class ChargedItem:
    """One item of a month's invoice details as the partner charges it on to its customer: by the price book's
    price in force on the item's first day, prorated to its days (`billing.prices`). `unit_price` and `amount`
    are None when the book has no price for an item that needs one (a product or option); an adjustment or a
    penalty passes on the amount LINE WORKS billed, as the re-billing statement does."""

    domain_id: int
    customer_name: str
    customer_code: str
    item_type: str
    item_id: str
    plan: str
    start_date: dt.date | None
    end_date: dt.date | None
    units: int
    unit_price: int | None
    amount: int | None


#: Item types the price book prices; the others (adjustments, penalties) are passed on as billed, and so is an
#: item of these that names nothing the book could hold a price for (an Option Plus app the invoice does not
#: name: a usage-based charge billed by the app's own price).
PRICED_TYPES = ("PRODUCT", "OPTION_PRODUCT", "OPTION_PLUS")


def month_charged_items(*, user, year: int, month: int, domain_id: int | None = None) -> list[ChargedItem]:
    """The month's charged items (`exports.CHARGED_TYPES`), customer by customer, each priced by the price book,
    in two queries (the items, the book): what the partner's invoices to its customers are made of. With
    `domain_id`, that customer's items alone (one customer's draft)."""
    from billing.exports import CHARGED_TYPES, priced_item_rows
    from billing.prices import PriceBook, for_item_days, item_entry, item_units

    check(user, VIEW_BILLING)
    book = PriceBook.load()
    charged = []
    for item in priced_item_rows(year, month, CHARGED_TYPES, domain_id=domain_id):
        code = item["sub_item_id"] or item["item_id"]
        entry = item_entry(book, item, year, month)
        if entry is not None:
            unit_price, amount = entry.price, for_item_days(entry.price, item, year, month)
        elif item["item_type"] in PRICED_TYPES and code:
            unit_price, amount = None, None
        else:
            unit_price, amount = None, item["amount"] or 0
        charged.append(
            ChargedItem(
                domain_id=item["domain_id"],
                customer_name=item["customer_name"],
                customer_code=item["customer_code"],
                item_type=item["item_type"],
                item_id=code,
                plan=item["plan"],
                start_date=item["start_date"],
                end_date=item["end_date"],
                units=item_units(item),
                unit_price=unit_price,
                amount=amount,
            )
        )
    return charged


#: What the month's estimate cannot know (`estimate.UNKNOWABLE`), for the pages that show what is made from it.
ESTIMATE_UNKNOWABLE = estimate.UNKNOWABLE


def price_book_fingerprint() -> str:
    """What the price book says, as text that differs when any entry does (what a kept copy is worked out
    from)."""
    from billing.prices import PriceBook

    return PriceBook.load().fingerprint


def month_details_stamp(year: int, month: int) -> str:
    """When the month's invoice details were last stored ("" before they are): a copy made from them is worked
    out again when it moves."""
    stored = DetailMonth.objects.filter(year=year, month=month).values_list("synced_at", flat=True).first()
    return stored.isoformat() if stored else ""


def month_estimated_items(*, user, year: int, month: int, domain_id: int | None = None) -> list[ChargedItem]:
    """The month's estimate (`estimate.month_estimate`, worked out now: the issue run and a draft's page issue and
    show what the cache says at that moment, the kept drafts are worked out by the worker) as the charged
    items `month_charged_items` gives for an invoiced month, customer by customer: each estimated period one item
    of the invoice's item types and codes (a sub option by its own code), its units, its days, the price book's
    unit price in force on its first day and the estimate's price of the period (prorated as an invoiced item's
    is). For a partner that bills its customers in advance, before LINE WORKS invoices the month. A period the
    book has no price for has neither (as an unpriced invoiced item). What the estimate cannot know (usage-based
    items, adjustments, penalties: `ESTIMATE_UNKNOWABLE`) is not among them. With `domain_id`, that customer's
    alone."""
    from billing.prices import PriceBook

    check(user, VIEW_BILLING)
    book = PriceBook.load()
    charged = []
    ids = None if domain_id is None else [domain_id]
    for customer in estimate.month_estimate(year=year, month=month, domain_ids=ids).customers:
        domain_id, name, code = customer.domain_id, customer.company_name, customer.customer_code
        for line in customer.lines:
            entry = book.entry(line.item_id, line.plan, domain_id, line.start)
            unit_price, amount = (None, None) if entry is None else (entry.price, line.price)
            charged.append(
                ChargedItem(
                    domain_id=domain_id,
                    customer_name=name,
                    customer_code=code,
                    item_type=line.item_type,
                    item_id=line.sub_item_id or line.item_id,
                    plan=line.plan,
                    start_date=line.start,
                    end_date=line.end,
                    units=line.units,
                    unit_price=None if amount is None else unit_price,
                    amount=amount,
                )
            )
    return charged
