"""A simulated line priced: its cost and price by the price book's entry in force on its first day (`priced`),
(its price to the customer the cost passed on while the book has none: `prices.unit_price`) prorated by its
days as the invoice does (contract/parts/billing.notes.md, "Proration"; `rules.prorated`), and
a line of the whole month priced with the book's entry looked up once per item and plan (`priced_whole_month`).
The lines are `billing.estimate.simulate`'s; the book is `billing.prices`."""

from __future__ import annotations

from billing import prices, rules
from billing.estimate.simulate import DAY, Line
from billing.models import PriceEntry


def priced(line: Line, book: prices.PriceBook, domain_id: int, year: int, month: int) -> Line:
    """The line with its cost and price by the price book's entry in force on its first day, prorated to its
    days; unchanged (unknown) when the book has no price for it."""
    entry = book.entry(line.item_id, line.plan, domain_id, line.start, line.sub_item_id)
    if entry is None:
        return line
    unit_price = prices.unit_price(entry)
    if line.start.day == 1 and (line.end + DAY).day == 1:  # the whole month: nothing to prorate
        cost, price = entry.cost * line.units, unit_price * line.units
    else:
        cost = rules.prorated(entry.cost * line.units, line.start, line.end, year, month)
        price = rules.prorated(unit_price * line.units, line.start, line.end, year, month)
    return Line(
        line.item_type,
        line.item_id,
        line.sub_item_id,
        line.plan,
        line.units,
        line.start,
        line.end,
        line.subscription_id,
        cost=cost,
        price=price,
    )


def priced_whole_month(
    line: Line,
    book: prices.PriceBook,
    domain_id: int,
    entries: dict[tuple, PriceEntry | None],
    overridden: set[int],
) -> Line:
    """`priced` for a line of the whole month (nothing to prorate), the book's entry looked up once for each
    item and plan (for a customer without a price of its own)."""
    if domain_id in overridden:
        entry = book.entry(line.item_id, line.plan, domain_id, line.start, line.sub_item_id)
    else:
        key = (line.item_id, line.sub_item_id, line.plan)
        if key not in entries:
            entries[key] = book.entry(line.item_id, line.plan, None, line.start, line.sub_item_id)
        entry = entries[key]
    if entry is None:
        return line
    units = line.units
    return Line(
        line.item_type,
        line.item_id,
        line.sub_item_id,
        line.plan,
        units,
        line.start,
        line.end,
        line.subscription_id,
        entry.cost * units,
        prices.unit_price(entry) * units,
    )
