"""Finance's prices: the price book as of any day, and what an item costs (or is charged) by it.

Read once (`PriceBook.load()`), then looked up in memory; the variance check, the margins and the re-billing
statement all price an item here, so they agree.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from django.db.models import Count, Max, Q

from billing import rules
from billing.models import PriceEntry


class PriceBook:
    """The price book as of any day: `entry(item_id, plan, domain_id, day, sub_item_id)` is the entry in force
    that day, a customer's override before the general price, then an option's tier before the option's price for
    every tier, then a plan's price before the item's price for every plan."""

    def __init__(self, entries: Iterable[PriceEntry]) -> None:
        self._entries: dict[tuple[str, str, str, int | None], list[PriceEntry]] = defaultdict(list)
        for entry in entries:
            self._entries[(entry.item_id, entry.sub_item_id, entry.plan, entry.domain_id)].append(entry)
        for found in self._entries.values():
            found.sort(key=lambda e: (e.effective_from, e.pk or 0), reverse=True)

    @classmethod
    def load(cls, domain_ids: Iterable[int] | None = None) -> PriceBook:
        """The whole book; with `domain_ids`, the general entries and those customers' own alone: what pricing
        those customers reads (one customer's page or draft), where the customers' own prices grow with the
        partner's customers (`python -m bench scale`, the customer page's instructions)."""
        if domain_ids is None:
            return cls(PriceEntry.objects.all())
        return cls(PriceEntry.objects.filter(Q(domain_id__isnull=True) | Q(domain_id__in=list(domain_ids))))

    @classmethod
    def general(cls) -> PriceBook:
        """The book without the customers' own prices (what LINE WORKS' invoice is compared with)."""
        return cls(PriceEntry.objects.filter(domain_id__isnull=True))

    def entry(
        self, item_id: str, plan: str, domain_id: int | None, day: dt.date, sub_item_id: str = ""
    ) -> PriceEntry | None:
        tiers = (sub_item_id, "") if sub_item_id else ("",)
        for customer in (domain_id, None) if domain_id is not None else (None,):
            for tier in tiers:
                for each_plan in (plan, ""):
                    for entry in self._entries.get((item_id, tier, each_plan, customer), ()):
                        if entry.effective_from <= day:
                            return entry
        return None

    def next_from(
        self, item_id: str, sub_item_id: str, plan: str, domain_id: int | None, after: dt.date
    ) -> dt.date | None:
        """The day the next entry of exactly this key takes over after `after` (None: none)."""
        later = [e.effective_from for e in self._entries.get((item_id, sub_item_id, plan, domain_id), ())]
        return min((day for day in later if day > after), default=None)

    def customers(self) -> set[int]:
        """The customers with a price of their own."""
        return {domain_id for *_key, domain_id in self._entries if domain_id is not None}

    def __bool__(self) -> bool:
        return bool(self._entries)


def unit_price(entry: PriceEntry) -> int:
    """An entry's price to the customer a month per unit; its cost passed on while its price is not set (a cost
    learned from LINE WORKS' invoice for an item the book had no price for)."""
    return entry.cost if entry.price is None else entry.price


def book_stamp() -> str:
    """Where the price book stands, as text that moves whenever an entry is added or removed: its number of
    entries and its newest entry's key, in one aggregate, without loading the book. The book is append-only (a
    new price is a new entry, never an edit), so these two say whether it changed. What a kept copy records it
    was worked out from, and what a reader compares to know whether it is behind."""
    found = PriceEntry.objects.aggregate(entries=Count("*"), newest=Max("pk"))
    return f"{found['entries']}:{found['newest'] or 0}"


def item_units(item: Mapping[str, Any]) -> int:
    """What an item (a row of the month's items, as a mapping) is priced by (`rules.units`)."""
    return rules.units(
        plan=item["plan"],
        license_count=item["license_count"],
        member_count=item["member_count"],
        quantity=item["quantity"],
    )


def item_entry(book: PriceBook, item: Mapping[str, Any], year: int, month: int) -> PriceEntry | None:
    """The entry in force on the item's first day (the month's first day for an item without dates)."""
    first, _last = rules.month_bounds(year, month)
    return book.entry(
        item["item_id"],
        item["plan"],
        item["domain_id"],
        item["start_date"] or first,
        item.get("sub_item_id") or "",
    )


def for_item_days(monthly_unit: int, item: Mapping[str, Any], year: int, month: int) -> int:
    """A monthly unit amount times the item's units, prorated to the item's own days."""
    first, last = rules.month_bounds(year, month)
    return rules.prorated(
        monthly_unit * item_units(item), item["start_date"] or first, item["end_date"] or last, year, month
    )


def expected_cost(book: PriceBook, item: Mapping[str, Any], year: int, month: int) -> int | None:
    """What the vendor should bill for the item by the price book (None when the book has no price for it)."""
    entry = item_entry(book, item, year, month)
    return None if entry is None else for_item_days(entry.cost, item, year, month)
