"""The month's charged items priced by the price book, and the margin per customer worked out from them: billed
cost (the vendor's invoice details), expected cost and the price charged to the customer (the price book), and
the margin. Read by the exports (`billing.exports`: the statement), the customers' charged
items (`billing.selectors.charged`) and the kept estimate, which keeps the month's largest margins for the
findings page (`billing.estimate.kept`)."""

from __future__ import annotations

from billing import rules
from billing.models import InvoiceItem
from billing.prices import PriceBook, expected_cost, for_item_days, item_entry, item_units

CHARGED_TYPES = ("PRODUCT", "OPTION_PRODUCT", "OPTION_PLUS", "ADJUSTMENT", "PENALTY")


def priced_item_rows(year: int, month: int, types=CHARGED_TYPES, *, domain_id: int | None = None):
    """The month's items of `types` as mappings, customer by customer (what the statement and the customers'
    invoices price); with `domain_id`, that customer's alone (read along its index)."""
    qs = InvoiceItem.objects.filter(year=year, month=month, item_type__in=types)
    if domain_id is not None:
        qs = qs.filter(domain_id=domain_id)
    return qs.order_by("customer_name", "domain_id", "type_order", "position").values(
        "domain_id",
        "customer_name",
        "customer_code",
        "item_type",
        "item_id",
        "sub_item_id",
        "plan",
        "start_date",
        "end_date",
        "license_count",
        "member_count",
        "quantity",
        "amount",
    )


def charged(item: dict, book: PriceBook, year: int, month: int) -> tuple[int | None, int, int | None]:
    """(unit price or None, units, amount charged to the customer): the price book's price prorated to the
    item's days; without a price in the book, the amount billed by the vendor is passed on."""
    entry = item_entry(book, item, year, month)
    if entry is None:
        return None, item_units(item), item["amount"] or 0
    if entry.price is None:  # a cost learned from LINE WORKS' invoice, no price set yet: passed on
        return None, item_units(item), item["amount"] or 0
    return entry.price, item_units(item), for_item_days(entry.price, item, year, month)


def month_margins(year: int, month: int, *, limit: int | None = None) -> list[dict]:
    """Per customer of the month: billed cost, expected cost (price book; None without prices), revenue (the
    price charged to the customer) and margin, largest cost first. `cost_difference` compares the billed
    cost of the items the book prices with their expected cost (None within ¥1)."""
    book = PriceBook.load()
    out: dict[int, dict] = {}
    for item in priced_item_rows(year, month).iterator(chunk_size=2000):
        row = out.setdefault(
            item["domain_id"],
            {
                "domain_id": item["domain_id"],
                "customer_name": item["customer_name"],
                "billed": 0,
                "expected": None,
                "billed_priced": 0,
                "revenue": 0,
            },
        )
        row["billed"] += item["amount"] or 0
        _price, _units, amount = charged(item, book, year, month)
        row["revenue"] += amount
        cost = expected_cost(book, item, year, month)
        if cost is not None:
            row["expected"] = (row["expected"] or 0) + cost
            row["billed_priced"] += item["amount"] or 0
    rows = sorted(out.values(), key=lambda r: -r["billed"])
    for row in rows:
        row["margin"] = row["revenue"] - row["billed"]
        # Compared on the items the book prices only (an item without a price has no expected cost).
        difference = None if row["expected"] is None else row["billed_priced"] - row["expected"]
        row["cost_difference"] = (
            difference if difference is not None and abs(difference) > rules.COST_TOLERANCE_YEN else None
        )
    return rows[:limit] if limit else rows
