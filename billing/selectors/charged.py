"""What the partner's invoices to its customers are made of, for invoicing (which reads billing through its
selectors only): the month's items as charged on, in one shape (`ChargedItem`), from LINE WORKS' invoice details
priced by the price book (`month_charged_items`) or from the estimate (`month_estimated_items`); what the estimate
cannot know (`ESTIMATE_UNKNOWABLE`); and what moves when those are made from something else
(`price_book_stamp`, `month_details_stamp`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from billing import estimate, prices
from billing.models import DetailMonth
from billing.permissions import VIEW_BILLING
from portal.core.access import check
from portal.core.vocabulary import PAID_PLANS


@dataclass(frozen=True)
class ChargedItem:
    """One item of a month's invoice details as the partner charges it on to its customer: by the price book's
    price in force on the item's first day, prorated to its days (`billing.prices`). `unit_price` and `amount`
    are None when the book has no price for an item that needs one (a product or option); an adjustment or a
    penalty passes on the amount LINE WORKS billed, as the re-billing statement does, and so does an item of a
    plan that is never paid (Free, a trial) LINE WORKS billed nothing for: it is ¥0 unless the book prices it."""

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
    """The month's charged items (`margins.CHARGED_TYPES`), customer by customer, each priced by the price book,
    in two queries (the items, the book): what the partner's invoices to its customers are made of. With
    `domain_id`, that customer's items alone (one customer's draft)."""
    from billing.margins import CHARGED_TYPES, priced_item_rows
    from billing.prices import PriceBook, for_item_days, item_entry, item_units

    check(user, VIEW_BILLING)
    book = PriceBook.load(None if domain_id is None else [domain_id])
    charged = []
    for item in priced_item_rows(year, month, CHARGED_TYPES, domain_id=domain_id):
        code = item["sub_item_id"] or item["item_id"]
        entry = item_entry(book, item, year, month)
        if entry is not None and entry.price is not None:
            unit_price, amount = entry.price, for_item_days(entry.price, item, year, month)
        elif item["item_type"] in PRICED_TYPES and code and (item["plan"] in PAID_PLANS or item["amount"]):
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


def price_book_stamp() -> str:
    """Where the price book stands, as text that moves when any entry is added or removed (what a kept copy is
    worked out from: `prices.book_stamp`), read without loading the book."""
    return prices.book_stamp()


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
    ids = None if domain_id is None else [domain_id]
    book = PriceBook.load(ids)
    charged = []
    for customer in estimate.month_estimate(year=year, month=month, domain_ids=ids).customers:
        domain_id, name, code = customer.domain_id, customer.company_name, customer.customer_code
        for line in customer.lines:
            entry = book.entry(line.item_id, line.plan, domain_id, line.start, line.sub_item_id)
            # A cost learned from LINE WORKS' invoice without a price to the customer yet: the draft waits for it.
            unit_price, amount = (
                (None, None) if entry is None or entry.price is None else (entry.price, line.price)
            )
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
