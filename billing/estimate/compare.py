"""The estimate against the invoice: each customer's estimated cost beside what the month's invoice billed
(`against_invoice`), the difference explained by a known rule (`Verdict`) or left to look at; kept by the worker
on each customer's copy with the month's figures (`compared_keep`), read a page at a time
(`against_invoice_page`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.paginator import Page
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from billing import rules
from billing.estimate.month import Estimate, kept_estimate, listed
from billing.models import EstimateCopy, EstimateMonth, Finding, InvoiceItem
from portal.core.lists import paginate
from portal.core.vocabulary import item_name

#: The invoice's item types the estimate prices; the others (Option Plus, adjustments, penalties) it cannot know.
ESTIMATED_TYPES = ("PRODUCT", "OPTION_PRODUCT")
NOT_ESTIMATED_TYPES = ("OPTION_PLUS", "ADJUSTMENT", "PENALTY")


class Verdict:
    """How a customer's estimate and invoice compare: the same, a difference a known rule explains, or one to
    look at."""

    SAME = "same"
    ROUNDING = "rounding"  # within ¥1 a period: each period is rounded to the yen on its own
    UNPRICED = "unpriced"  # the rest is what the price book has no price for
    NOT_BILLED = "not_billed"  # estimated, but not on the invoice
    NOT_ESTIMATED = "not_estimated"  # on the invoice, but nothing sold that the cache knows
    DIFFERS = "differs"

    EXPLAINED = (SAME, ROUNDING, UNPRICED)
    LABELS = {
        SAME: _("Same"),
        ROUNDING: _("Rounding of prorated periods (¥1 a period at most)"),
        UNPRICED: _("The price book has no price for an item"),
        NOT_BILLED: _("Estimated but not billed"),
        NOT_ESTIMATED: _("Billed but not estimated"),
        DIFFERS: _("Differs"),
    }
    #: The kind of finding of the month's check a difference to look at goes with (its page lists them).
    FINDING_KINDS = {NOT_BILLED: "active_not_billed", NOT_ESTIMATED: "billed_not_active"}


@dataclass(frozen=True)
class Compared:
    """One customer's estimated cost beside its invoiced amounts."""

    domain_id: int
    company_name: str
    estimated: int
    invoiced: int  # the invoice's plan and option items
    not_estimated: int  # its Option Plus, adjustments and penalties (shown apart)
    unpriced: tuple[str, ...]  # the items the price book has no price for, by name
    verdict: str

    @property
    def difference(self) -> int:
        return self.invoiced - self.estimated

    @property
    def explained(self) -> bool:
        return self.verdict in Verdict.EXPLAINED

    @property
    def verdict_label(self) -> str:
        return str(Verdict.LABELS[self.verdict])

    @property
    def unpriced_names(self) -> str:
        return listed(self.unpriced)

    @property
    def finding_kind(self) -> str:
        """The month's check's kind of finding this difference goes with, if one fits ("" if none does)."""
        return Verdict.FINDING_KINDS.get(self.verdict, "")

    @property
    def finding_label(self) -> str:
        return str(Finding.Kind(self.finding_kind).label) if self.finding_kind else ""


def against_invoice(result: Estimate, items: Iterable[Mapping]) -> list[Compared]:
    """Each customer's estimate beside the month's invoice items (mappings with domain_id, customer_name,
    item_type, item_id and amount): compared over the items the price book prices; the difference explained
    when it is within ¥1 a period (proration rounds each period on its own), else listed. Differences to look
    at first, then by customer."""
    billed: dict[int, dict[str, int]] = {}
    periods: dict[int, int] = {}
    apart: dict[int, int] = {}
    names: dict[int, str] = {}
    for item in items:
        domain_id = item["domain_id"]
        names.setdefault(domain_id, item["customer_name"])
        if item["item_type"] in ESTIMATED_TYPES:
            by_item = billed.setdefault(domain_id, {})
            by_item[item["item_id"]] = by_item.get(item["item_id"], 0) + (item["amount"] or 0)
            periods[domain_id] = periods.get(domain_id, 0) + 1
        elif item["item_type"] in NOT_ESTIMATED_TYPES:
            apart[domain_id] = apart.get(domain_id, 0) + (item["amount"] or 0)
    estimated = {c.domain_id: c for c in result.customers}
    out = []
    for domain_id in sorted(set(billed) | set(apart) | set(estimated)):
        customer = estimated.get(domain_id)
        by_item = billed.get(domain_id, {})
        unknown_ids = {line.item_id for line in customer.unknown} if customer else set()
        invoiced = sum(by_item.values())
        est = customer.cost if customer else 0
        compared_billed = sum(amount for item_id, amount in by_item.items() if item_id not in unknown_ids)
        compared_est = (
            sum(line.cost or 0 for line in customer.lines if line.item_id not in unknown_ids)
            if customer
            else 0
        )
        lines = len(customer.lines) if customer else 0
        gap = abs(compared_billed - compared_est)
        if customer is None and by_item:
            verdict = Verdict.NOT_ESTIMATED
        elif customer is not None and not by_item:
            verdict = Verdict.NOT_BILLED
        elif gap > max(lines, periods.get(domain_id, 0)) * rules.COST_TOLERANCE_YEN:
            verdict = Verdict.DIFFERS
        elif unknown_ids:
            verdict = Verdict.UNPRICED
        elif gap:
            verdict = Verdict.ROUNDING
        else:
            verdict = Verdict.SAME
        if customer is None and not by_item:
            continue  # only Option Plus, adjustments or penalties: nothing the estimate prices
        out.append(
            Compared(
                domain_id,
                customer.company_name if customer else names.get(domain_id, ""),
                est,
                invoiced,
                apart.get(domain_id, 0),
                tuple(sorted({line.name for line in customer.unknown})) if customer else (),
                verdict,
            )
        )
    out.sort(key=lambda c: (c.explained, c.company_name, c.domain_id))
    return out


#: The figures of the estimate against the invoice a month keeps (`EstimateMonth.compared`): the totals of the
#: customers set beside the invoice, and how many are the same, differ by what a rule explains, or differ.
COMPARED_FIGURES = ("estimated", "invoiced", "not_estimated", "same", "explained", "to_look_at")


def compared_keep(year: int, month: int, domain_ids: list[int] | None, *, batch: int) -> dict:
    """Set the kept estimates of the customers (`domain_ids`, else every one) beside the month's invoice
    (`against_invoice`), and keep each one's comparison on its copy (a customer the invoice bills without one
    gets a row without lines), in batches of `batch` (the keeper's `KEEP_BATCH`); then the month's figures, summed over its copies in
    one aggregate. The worker's: a reader reads the figures and a page of the rows."""
    if domain_ids is None:
        _compared_batch(year, month, None)
    else:
        for index in range(0, len(domain_ids), batch):
            _compared_batch(year, month, domain_ids[index : index + batch])
    # Summed under names of their own: an aggregate may not share a column's name (`invoiced`, `explained`).
    summed = (
        EstimateCopy.objects.filter(year=year, month=month)
        .exclude(verdict="")
        .aggregate(
            all_estimated=Coalesce(Sum("cost"), 0),
            all_invoiced=Coalesce(Sum("invoiced"), 0),
            all_not_estimated=Coalesce(Sum("not_estimated"), 0),
            all_same=Count("pk", filter=Q(verdict=Verdict.SAME)),
            all_explained=Count("pk", filter=Q(explained=True) & ~Q(verdict=Verdict.SAME)),
            all_to_look_at=Count("pk", filter=Q(explained=False)),
        )
    )
    return {name: summed[f"all_{name}"] for name in COMPARED_FIGURES}


def _compared_batch(year: int, month: int, domain_ids: list[int] | None) -> None:
    items = InvoiceItem.objects.filter(
        year=year, month=month, item_type__in=ESTIMATED_TYPES + NOT_ESTIMATED_TYPES
    )
    copies = EstimateCopy.objects.filter(year=year, month=month)
    if domain_ids is not None:
        items, copies = items.filter(domain_id__in=domain_ids), copies.filter(domain_id__in=domain_ids)
    found = kept_estimate(year=year, month=month, domain_ids=domain_ids)
    compared = against_invoice(
        found, items.values("domain_id", "customer_name", "item_type", "item_id", "amount")
    )
    copies.exclude(verdict="").update(verdict="", explained=False, invoiced=0, not_estimated=0)
    EstimateCopy.objects.bulk_create(
        [
            EstimateCopy(
                year=year,
                month=month,
                domain_id=c.domain_id,
                company_name=c.company_name,
                invoiced=c.invoiced,
                not_estimated=c.not_estimated,
                verdict=c.verdict,
                explained=c.explained,
            )
            for c in compared
        ],
        batch_size=1000,
        update_conflicts=True,
        unique_fields=["year", "month", "domain_id"],
        update_fields=["company_name", "invoiced", "not_estimated", "verdict", "explained"],
    )


def against_invoice_page(
    *, year: int, month: int, page: str | int | None, per_page: int
) -> tuple[dict, Page]:
    """The month's estimate against its invoice as the worker keeps it (`compared_keep`): its figures
    (`COMPARED_FIGURES`, 0 until the worker has set the month beside its invoice) and one page of the customers
    whose estimate and invoice differ (`Compared`), those to look at first, then by name, read along their
    index (`billing_estimate_differs`): never every customer."""
    kept = EstimateMonth.objects.filter(year=year, month=month).values_list("compared", flat=True).first()
    figures = {name: (kept or {}).get(name, 0) for name in COMPARED_FIGURES}
    differ = (
        EstimateCopy.objects.filter(year=year, month=month)
        .exclude(verdict__in=["", Verdict.SAME])
        .order_by("explained", "company_name", "domain_id")
    )
    fields = ("domain_id", "company_name", "cost", "invoiced", "not_estimated", "verdict", "unknown", "lines")
    found = paginate(
        differ,
        page=page,
        per_page=per_page,
        fields=fields,
        count=lambda: figures["explained"] + figures["to_look_at"],
    )
    found.object_list = [_compared_row(row) for row in found.object_list]
    return figures, found


def _compared_row(row) -> Compared:
    """A kept comparison as the page lists it, the items without a price named from its kept lines."""
    # A kept line: [item type, item, sub item, plan, units, start, end, subscription, cost, price].
    unpriced = {item_name(x[2] or x[1]) for x in json.loads(row.lines) if x[8] is None} if row.unknown else ()
    return Compared(
        row.domain_id,
        row.company_name,
        row.cost,
        row.invoiced,
        row.not_estimated,
        tuple(sorted(unpriced)),
        row.verdict,
    )
