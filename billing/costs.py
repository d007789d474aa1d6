"""Costs learned from LINE WORKS' invoices: what a month's invoice details say each product or option costs the
partner a month per unit, and which lines cannot be a price and why (pure functions; stored by
`services.invoice_cost_learn` when the month is stored, proposed and accepted by `selectors.cost_proposal` and
`services.invoice_cost_accept`).

The contract's settlement item carries no unit amount: only the line's `amount` for its period
(`startDate`..`endDate`) and what it counts (`licenseCount`, `memberCount`, `quantity`). So a line is a price
only when its amount is one month of whole units:

- a plan (PRODUCT) or an option (OPTION_PRODUCT), on a paid plan, billed more than ¥0;
- covering the whole month (a line split by a change is charged for its own days, rounded: not a month's);
- with something counted (`rules.units`: the quantity of a quantity-based option, licences of a licence plan,
  members otherwise) that divides its amount into whole yen.

Its unit amount is then amount / units, keyed by product or option, tier (subItemId: an option's tiers are
billed at their own amounts) and plan. Where customers are billed different unit amounts for the same key, the
one most of its lines have is the price; the others are listed (a discount of one customer's, perhaps), and a
tie is no price at all. Subtotals, adjustments, penalties and Option Plus are never prices.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef

from billing import rules
from billing.models import DetailMonth, InvoiceCost
from billing.prices import PriceBook
from portal.core.vocabulary import PAID_PLANS, Plan, item_name, label

Reason = InvoiceCost.Reason

#: Item types that are never a price, and why.
NOT_PRICES = {
    "SUMMARY": Reason.SUBTOTAL,
    "ADJUSTMENT": Reason.ADJUSTMENT,
    "PENALTY": Reason.PENALTY,
    "OPTION_PLUS": Reason.OPTION_PLUS,
}
PRICED_TYPES = ("PRODUCT", "OPTION_PRODUCT")


@dataclass(frozen=True)
class Learned:
    """One row of what a month's invoice says: a price (`reason` "") or lines that are not one, and why."""

    item_type: str
    item_id: str
    sub_item_id: str
    plan: str
    unit_cost: int | None
    reason: str
    lines: int
    customers: int
    example_domain_id: int | None
    #: Its company name as the invoice names it ("" when the invoice gives none).
    example_name: str = ""


def line_unit(item: Any, year: int, month: int) -> tuple[int | None, str]:
    """(unit amount a month, "") for a line that is a month's price, else (None, why not) (`Reason`)."""
    kind = item.item_type
    if kind in NOT_PRICES:
        return None, NOT_PRICES[kind]
    if kind not in PRICED_TYPES:
        return None, Reason.UNKNOWN
    if item.amount is None:
        return None, Reason.NO_AMOUNT
    if item.plan not in PAID_PLANS or item.amount <= 0:
        return None, Reason.NOT_BILLED
    first, last = rules.month_bounds(year, month)
    if (item.start_date or first) > first or (item.end_date or last) < last:
        return None, Reason.PART_OF_MONTH
    units = rules.units(
        plan=item.plan,
        license_count=item.license_count,
        member_count=item.member_count,
        quantity=item.quantity,
    )
    if units <= 0:
        return None, Reason.NO_UNITS
    if item.amount % units:
        return None, Reason.UNEVEN
    return item.amount // units, Reason.PRICE


def learned_costs(items: Iterable[Any], year: int, month: int) -> list[Learned]:
    """What the month's items (objects with the invoice item's fields) say: per product or option, tier and plan
    the unit amount most of its whole-month lines were billed at, the other amounts (`DIFFERS`, or `SEVERAL`
    when none is billed most), and the lines that cannot be a price grouped by why."""
    units: dict[tuple, Counter[int]] = defaultdict(Counter)
    who: dict[tuple, set[int]] = defaultdict(set)
    not_prices: Counter[tuple] = Counter()
    names: dict[int, str] = {}
    for item in items:
        key = (item.item_type, item.item_id or "", item.sub_item_id or "", item.plan or "")
        unit, reason = line_unit(item, year, month)
        names.setdefault(item.domain_id, item.customer_name or "")
        if unit is None:
            not_prices[(*key, reason)] += 1
            who[(*key, reason)].add(item.domain_id)
        else:
            units[key][unit] += 1
            who[(*key, unit)].add(item.domain_id)
    out = []
    for key, counted in units.items():
        ranked = counted.most_common()
        tie = len(ranked) > 1 and ranked[0][1] == ranked[1][1]
        for position, (unit, lines) in enumerate(ranked):
            reason = Reason.SEVERAL if tie else Reason.PRICE if position == 0 else Reason.DIFFERS
            customers = who[(*key, unit)]
            first = min(customers)
            out.append(Learned(*key, unit, reason, lines, len(customers), first, names[first]))
    for (*key, reason), lines in not_prices.items():
        customers = who[(*key, reason)]
        item_type, item_id, sub_item_id, plan = key
        first = min(customers)
        out.append(
            Learned(
                item_type,
                item_id,
                sub_item_id,
                plan,
                None,
                reason,
                lines,
                len(customers),
                first,
                names[first],
            )
        )
    return out


def key_of(item_id: str, sub_item_id: str, plan: str) -> str:
    """A price's key as a form sends it ("STD||MONTHLY"): product or option, tier, plan."""
    return f"{item_id}|{sub_item_id}|{plan}"


def month_first(year: int, month: int) -> dt.date:
    return dt.date(year, month, 1)


class Status:
    """A learned price against the price book in force on the month's first day."""

    NEW = "new"  # the book has no cost for it
    CHANGED = "changed"  # the book's cost differs
    SAME = "same"  # the book has it


@dataclass(frozen=True)
class Proposed:
    """A price the month's invoice says, beside the price book's entry in force on the month's first day and the
    previous month's invoice."""

    item_type: str
    item_id: str
    sub_item_id: str
    plan: str
    unit_cost: int
    lines: int
    customers: int
    status: str
    book_cost: int | None  # the cost in force on the month's first day (None: none)
    price: int | None  # the price to the customer the new entry keeps (None: not set)
    next_from: dt.date | None  # the book's next entry of the same key after the month's first day
    last_cost: int | None  # the previous month's invoice's unit amount (None: none, or not learned)
    last_learned: bool  # whether the previous month's invoice was learned at all

    @property
    def key(self) -> str:
        return key_of(self.item_id, self.sub_item_id, self.plan)

    @property
    def acceptable(self) -> bool:
        return self.status != Status.SAME

    @property
    def item_label(self) -> str:
        return item_name(self.sub_item_id or self.item_id)

    @property
    def plan_label(self) -> str:
        return label(Plan, self.plan) if self.plan else ""

    @property
    def since_last(self) -> str:
        """What changed since the previous month's invoice: "new", "changed", "same" or "" (not learned)."""
        if not self.last_learned:
            return ""
        if self.last_cost is None:
            return "new"
        return "same" if self.last_cost == self.unit_cost else "changed"


def learned_months() -> set[tuple[int, int]]:
    """The months whose invoice details were stored and learned from (a month stored before the portal learned
    costs has none until it is fetched again)."""
    learned = InvoiceCost.objects.filter(year=OuterRef("year"), month=OuterRef("month"))
    return set(DetailMonth.objects.filter(Exists(learned)).values_list("year", "month"))


def proposed_rows(year: int, month: int, book: PriceBook | None = None) -> list[Proposed]:
    """The month's learned prices beside the general price book in force on its first day and the previous
    month's invoice: those the book lacks first, then those it has otherwise, then those it has; by name within."""
    first = month_first(year, month)
    book = PriceBook.general() if book is None else book
    (last_year, last_month), _now = rules.months_back(year, month, 2)
    last = {
        (r.item_id, r.sub_item_id, r.plan): r.unit_cost
        for r in InvoiceCost.objects.filter(year=last_year, month=last_month, reason=Reason.PRICE)
    }
    last_learned = bool(last) or InvoiceCost.objects.filter(year=last_year, month=last_month).exists()
    out = []
    for row in InvoiceCost.objects.filter(year=year, month=month, reason=Reason.PRICE):
        entry = book.entry(row.item_id, row.plan, None, first, row.sub_item_id)
        assert row.unit_cost is not None
        status = (
            Status.NEW if entry is None else Status.SAME if entry.cost == row.unit_cost else Status.CHANGED
        )
        out.append(
            Proposed(
                item_type=row.item_type,
                item_id=row.item_id,
                sub_item_id=row.sub_item_id,
                plan=row.plan,
                unit_cost=row.unit_cost,
                lines=row.lines,
                customers=row.customers,
                status=status,
                book_cost=None if entry is None else entry.cost,
                price=None if entry is None else entry.price,
                next_from=book.next_from(row.item_id, row.sub_item_id, row.plan, None, first),
                last_cost=last.get((row.item_id, row.sub_item_id, row.plan)),
                last_learned=last_learned,
            )
        )
    order = {Status.NEW: 0, Status.CHANGED: 1, Status.SAME: 2}
    plans = {plan: position for position, plan in enumerate(Plan.values)}
    # An option's sub options in their own order (Shared Storage 1 TB, 5 TB, 10 TB), not by their names.
    out.sort(
        key=lambda r: (
            order[r.status],
            r.item_type != "PRODUCT",
            item_name(r.item_id),
            r.sub_item_id,
            plans.get(r.plan, len(plans)),
        )
    )
    return out
