"""The kept estimate: each customer's estimate of a month kept by the worker (`EstimateCopy`) with the month's
figures (`EstimateMonth`), so the pages read rows (`billing.estimate.month.kept_estimate`, `estimate_summary`).

`estimate_keep` brings a month up to what `month_estimate` works out: the customers whose cache copy was written
since, or the whole month when what it is worked out from differs (`_basis`: the price book, the business date,
the rules); in batches (`KEEP_BATCH`), then sets the month beside its invoice (`billing.estimate.compare`) and sums
its totals. `estimate_state` says how a month's kept estimate stands; `KEEPER` is how `portal.core.kept` runs it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Count, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from billing import prices, rules
from billing.estimate.compare import compared_keep
from billing.estimate.month import ESTIMATE_FIGURES, Estimate, estimate_with_book, months_estimated
from billing.margins import month_margins
from billing.models import DetailMonth, EstimateCopy, EstimateMonth, Invoice
from customers.selectors import customers_live, customers_removed_since
from portal.core import clock
from portal.core.copies import copies_changed_count, copies_changed_since
from portal.core.kept import KEPT_MARGIN, Keeper, KeptState

#: The estimate's rules, as a number: a kept estimate worked out by other rules (an older release) is worked out
#: again. Move it on with any change to how lines are worked out or priced, or to what a month keeps (3: its
#: margins; 4: an option's tier priced on its own, and the items without a price).
RULES = 4

#: The customers of the largest billed cost whose margins a month keeps (the findings page shows them).
MARGINS_KEPT = 200


#: The name of the kept estimate among the copies kept (`portal.core.kept`).
KEPT = "billing.estimate"
#: Customers worked out at once by the worker, each batch stored in a transaction of its own.
KEEP_BATCH = 500


def _basis(year: int, month: int, book: str, today: dt.date | None = None) -> dict:
    """What a month is worked out from as a whole: the price book's stamp (`prices.book_stamp`), the business
    date, when the month's invoice and its details were stored (what its estimate is set beside: "" before the
    invoice is), the rules."""
    details = DetailMonth.objects.filter(year=year, month=month).values("synced_at")
    stored = (
        Invoice.objects.filter(year=year, month=month).values_list("synced_at", Subquery(details)).first()
    )
    return {
        "book": book,
        "today": (today or clock.today()).isoformat(),
        "invoice": " ".join(moment.isoformat() for moment in stored if moment) if stored else "",
        "rules": RULES,
    }


def estimate_state(
    year: int, month: int, today: dt.date | None = None, *, book: str | None = None
) -> KeptState:
    """How the month's kept estimate stands (a reader's few counted reads, nothing worked out): when it was
    brought up to date, how many customers' copies were written (or removed) since, and whether what the whole
    month is worked out from differs now (the price book's stamp, the business date, the rules). `book`: the
    price book's stamp read already (a page that asks for several months reads it once)."""
    kept = EstimateMonth.objects.filter(year=year, month=month).first()
    if kept is None:
        return KeptState(None)
    behind = copies_changed_count(kept.worked_at) + len(customers_removed_since(kept.worked_at))
    stamp = prices.book_stamp() if book is None else book
    return KeptState(kept.worked_at, behind, kept.basis != _basis(year, month, stamp, today))


def estimate_keep(*, year: int, month: int, today: dt.date | None = None, whole: bool = False) -> None:
    """Bring the month's kept estimate (`EstimateMonth`, `EstimateCopy`) up to what `month_estimate` works out
    (the worker's, never a reader's): the customers whose cache copy was written since it was worked out
    (`portal.core.copies`, moved on by the sync engine after every store and listing page and by the change
    engine when a change is applied; a customer added is written by its listing page) are worked out again and
    kept; those removed from the API since are dropped. The whole month is worked out again when what it was
    worked out from differs: the price book, the business date, the estimate's rules (`RULES`). A write that
    goes round both engines (the Django admin, a shell) is not seen until one of them differs. In batches of
    `KEEP_BATCH` customers, each stored in its own transaction, so a reader meanwhile reads the rest as kept.
    `whole`: every customer worked out again, whatever changed."""
    # The stamp before the book: an entry added between the two reads moves the stamp, and the month is worked
    # out again, never kept as worked out from a book it was not.
    basis = _basis(year, month, prices.book_stamp(), today)
    book = prices.PriceBook.load()
    started = timezone.now()
    kept = EstimateMonth.objects.filter(year=year, month=month).first()
    compared: list[int] | None = None  # the customers set beside the invoice again (None: every one)
    margins = kept.margins if kept is not None else []
    if whole or kept is None or kept.basis != basis:
        # What the margins are worked out from (the invoice's items, the price book) is in the basis.
        margins = month_margins(year, month, limit=MARGINS_KEPT) if basis["invoice"] else []
        live = sorted(customers_live())
        _keep_batches(year, month, live, book)
        gone = sorted(
            set(EstimateCopy.objects.filter(year=year, month=month).values_list("domain_id", flat=True))
            - set(live)
        )
    else:
        since = kept.worked_at - KEPT_MARGIN
        # Worked out again: the customers whose copy was written since (a customer added too: its listing page);
        # dropped: those removed from the API since (a complete listing removes without writing their copy).
        todo = copies_changed_since(since)
        gone = sorted(customers_removed_since(since) - todo)
        if not todo and not gone:
            return  # nothing was written since: the copies and `worked_at` stand
        _keep_batches(year, month, sorted(todo), book)
        compared = sorted(todo | set(gone))
    with transaction.atomic():
        for index in range(0, len(gone), KEEP_BATCH):
            EstimateCopy.objects.filter(
                year=year, month=month, domain_id__in=gone[index : index + KEEP_BATCH]
            ).delete()
        figures = compared_keep(year, month, compared, batch=KEEP_BATCH) if basis["invoice"] else {}
        _kept_month(year, month, started, basis, figures, _totals(year, month), margins)


def _keep_batches(year: int, month: int, domain_ids: list[int], book: prices.PriceBook) -> None:
    for index in range(0, len(domain_ids), KEEP_BATCH):
        batch = domain_ids[index : index + KEEP_BATCH]
        result = estimate_with_book(year, month, batch, book)
        with transaction.atomic():
            EstimateCopy.objects.filter(year=year, month=month, domain_id__in=batch).delete()
            _keep(year, month, result, batch)


def _keep(year: int, month: int, result: Estimate, worked: Iterable[int]) -> None:
    """Keep the customers' estimates worked out (a customer with nothing billed: a row without lines)."""
    estimated = {c.domain_id: c for c in result.customers}
    rows = []
    for domain_id in sorted(worked):
        c = estimated.get(domain_id)
        rows.append(
            EstimateCopy(
                year=year,
                month=month,
                domain_id=domain_id,
                company_name=c.company_name if c else "",
                domain=c.domain if c else "",
                customer_code=c.customer_code if c else "",
                cost=c.cost if c else 0,
                price=c.price if c else 0,
                unknown=c.unknown_count if c else 0,
                periods=len(c.lines) if c else 0,
                lines=json.dumps(
                    [[*line[:5], line.start.isoformat(), line.end.isoformat(), *line[7:]] for line in c.lines]
                    if c
                    else [],
                    separators=(",", ":"),
                    ensure_ascii=False,
                ),
            )
        )
    EstimateCopy.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)


def _kept_month(
    year: int,
    month: int,
    worked_at: dt.datetime,
    basis: dict,
    compared: dict,
    totals: dict,
    margins: list[dict],
) -> None:
    EstimateMonth.objects.bulk_create(
        [
            EstimateMonth(
                year=year,
                month=month,
                worked_at=worked_at,
                basis=basis,
                compared=compared,
                totals=totals,
                margins=margins,
            )
        ],
        update_conflicts=True,
        unique_fields=["year", "month"],
        update_fields=["worked_at", "basis", "compared", "totals", "margins"],
    )


def _totals(year: int, month: int) -> dict:
    """The month's totals over its kept copies with lines, in one aggregate (the worker's, once it has kept
    the month)."""
    summed = EstimateCopy.objects.filter(year=year, month=month, periods__gt=0).aggregate(
        all_cost=Coalesce(Sum("cost"), 0),
        all_price=Coalesce(Sum("price"), 0),
        all_customers=Count("pk"),
        all_unknown=Coalesce(Sum("unknown"), 0),
        all_customers_unknown=Count("pk", filter=Q(unknown__gt=0)),
    )
    totals = {name: summed[f"all_{name}"] for name in ESTIMATE_FIGURES}
    totals["unpriced"] = _unpriced(year, month)
    return totals


def _unpriced(year: int, month: int) -> list[list]:
    """The items the month's kept copies have no price for, with their number of periods: [[item, tier, plan,
    periods], ...] (the worker's: it reads the lines of the copies with such a period only)."""
    found: dict[tuple[str, str, str], int] = {}
    copies = EstimateCopy.objects.filter(year=year, month=month, unknown__gt=0).values_list(
        "lines", flat=True
    )
    for lines in copies.iterator(chunk_size=500):
        for line in json.loads(lines):
            # [item type, item, tier, plan, units, start, end, subscription, cost, price]
            if line[8] is None:
                key = (line[1], line[2], line[3])
                found[key] = found.get(key, 0) + 1
    return [[*key, periods] for key, periods in sorted(found.items())]


def months_kept(today: dt.date) -> list[tuple[int, int]]:
    """The months the Invoices page estimates today (the next invoice's month and the running month) and the
    last closed one (its estimate against the invoice): kept ahead by the worker every minute
    (`portal.core.kept`), so the first reader of a business day, or after the price book changed, reads rows."""
    months = months_estimated(today, invoiced=set(Invoice.objects.values_list("year", "month")))
    closed = rules.last_closed_month(today)
    return months if closed in months else [closed, *months]


#: The kept estimate, as `portal.core.kept` runs it.
KEEPER = Keeper(
    name=KEPT,
    months=months_kept,
    state=estimate_state,
    keep=lambda year, month, whole: estimate_keep(year=year, month=month, whole=whole),
)
