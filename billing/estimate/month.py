"""The estimate of a month of every customer: what LINE WORKS will bill the partner (cost) and what the partner
charges its customers (price), per customer and in total, before the invoice arrives.

Worked out from the cache as it is now, read through the other apps' selectors (`subscriptions_sold`,
`options_sold`, `customers_billed`) and the daily usage (`month_usage`), each customer's month simulated
(`billing.estimate.simulate`) and priced by the price book (`billing.estimate.pricing`): `month_estimate` loads
everything once (nine queries) and prices every customer in memory (`estimate_of`). Read as kept by the worker
(`billing.estimate.kept`): `kept_estimate` (every customer) and `estimate_summary` (the totals and the customers
of the largest cost).

What it cannot know is said beside it (`CANNOT_KNOW`): usage-based items, adjustments and penalties, members
that will come and go, changes not in the cache; an item the price book has no price for is a line of its own,
"unknown", never 0.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from billing import prices, rules
from billing.estimate.pricing import priced, priced_whole_month
from billing.estimate.simulate import DAY, Line, Snapshot, customer_lines, steady_lines
from billing.models import EstimateCopy, EstimateMonth, PriceEntry
from billing.usage import usage_turns
from customers.selectors import BilledCustomer, customers_billed
from options.selectors import OptionsSold, options_sold, options_used
from portal.core.batches import batched
from portal.core.collector import collector_paused
from subscriptions.selectors import SubscriptionsSold, subscriptions_sold

#: What the estimate cannot know (what only the invoice says and what the cache cannot tell), stated wherever it
#: is shown; `CANNOT_KNOW` adds how it shows an item without a price (the invoice drafts block it instead).
UNKNOWABLE = (
    _(
        "Usage-based charges (Option Plus apps), adjustments and penalties (an annual contract cancelled early): "
        "only the invoice says them."
    ),
    _(
        "Plans and options billed by members (Monthly) are estimated with today's member count: members added "
        "or removed later change the bill."
    ),
    _(
        "Only what the portal knows: the month's days gone by as the customers' and options' daily usage shows "
        "them (read with every full sync), then what is sold today and the changes scheduled in LINE WORKS "
        "(reservations, pre-orders, renewals, option orders) as of the last resync. Where an option's daily "
        "usage has not been read, it counts from the day it was added as it is today."
    ),
)
CANNOT_KNOW = (
    *UNKNOWABLE,
    _("Items the price book has no price for are listed as unknown and left out of the totals."),
    _(
        "A cost learned from LINE WORKS' invoice whose price to the customer is not set yet is passed on at cost "
        "in the price to customers."
    ),
)


class CustomerEstimate(NamedTuple):
    """One customer's estimate of a month: its lines (a tuple: the kept estimate makes one a customer)."""

    domain_id: int
    company_name: str
    domain: str
    customer_code: str
    lines: tuple[Line, ...] = ()
    #: A kept copy's (cost, price, lines without a price); None when worked out (summed from the lines).
    totals: tuple[int, int, int] | None = None

    @property
    def cost(self) -> int:
        return sum(line.cost or 0 for line in self.lines)

    @property
    def price(self) -> int:
        return sum(line.price or 0 for line in self.lines)

    @property
    def margin(self) -> int:
        return self.price - self.cost

    @property
    def unknown(self) -> tuple[Line, ...]:
        """The lines the price book has no price for."""
        return tuple(line for line in self.lines if not line.known)

    @property
    def unknown_count(self) -> int:
        return len(self.unknown)

    @property
    def unknown_names(self) -> str:
        """What the price book has no price for, by name, as a list in the reader's language."""
        return listed(sorted({line.name for line in self.unknown}))


def listed(names: Iterable[str]) -> str:
    return pgettext("between the items of a list", ", ").join(names)


@dataclass(frozen=True)
class Estimate:
    year: int
    month: int
    customers: tuple[CustomerEstimate, ...] = ()

    @property
    def cost(self) -> int:
        return sum(c.cost for c in self.customers)

    @property
    def price(self) -> int:
        return sum(c.price for c in self.customers)

    @property
    def margin(self) -> int:
        return self.price - self.cost

    @property
    def unknown(self) -> int:
        """How many lines the price book has no price for."""
        return sum(c.unknown_count for c in self.customers)

    @property
    def customers_unknown(self) -> int:
        return sum(1 for c in self.customers if c.unknown_count)

    def of(self, domain_id: int) -> CustomerEstimate | None:
        return next((c for c in self.customers if c.domain_id == domain_id), None)


def estimate_of(
    *,
    year: int,
    month: int,
    customers: Mapping[int, BilledCustomer],
    subscriptions: SubscriptionsSold,
    options: OptionsSold,
    book: prices.PriceBook,
    usage: Mapping[int, Sequence[Snapshot]] | None = None,
) -> Estimate:
    """The estimate from what was read (no query): every customer with something billed in the month."""
    first, last = rules.month_bounds(year, month)
    out = []
    usage = usage or {}
    whole_month: dict[
        tuple, PriceEntry | None
    ] = {}  # the book's entry of a whole-month line, by item and plan
    overridden = book.customers()
    for domain_id, customer in customers.items():
        if customer.withdrawal_date is not None and customer.withdrawal_date < first:
            continue
        facts = {
            "first": first,
            "last": last,
            "members": customer.member_count,
            "withdrawal_date": customer.withdrawal_date,
            "subscriptions": subscriptions.subscriptions.get(domain_id, ()),
            "pre_orders": subscriptions.pre_orders.get(domain_id, ()),
            "options": options.options.get(domain_id, ()),
            "orders": options.orders.get(domain_id, ()),
            "usage": usage.get(domain_id, ()),
            "used_options": options.used.get(domain_id, ()),
        }
        steady = steady_lines(**facts)
        if steady is None:
            lines = customer_lines(**facts)
            priced_lines = tuple(priced(line, book, domain_id, year, month) for line in lines)
        else:
            lines = steady
            priced_lines = tuple(
                priced_whole_month(line, book, domain_id, whole_month, overridden) for line in steady
            )
        if lines:
            out.append(
                CustomerEstimate(
                    domain_id, customer.company_name, customer.domain, customer.customer_code, priced_lines
                )
            )
    out.sort(key=lambda c: (c.company_name, c.domain_id))
    return Estimate(year, month, tuple(out))


def month_estimate(*, year: int, month: int, domain_ids: Iterable[int] | None = None) -> Estimate:
    """The month's estimate of every customer still in the API (or of `domain_ids`), from the cache: nine
    queries whatever the number of customers."""
    ids = None if domain_ids is None else list(domain_ids)
    return estimate_with_book(year, month, ids, prices.PriceBook.load(ids))


def estimate_with_book(
    year: int, month: int, domain_ids: Iterable[int] | None, book: prices.PriceBook
) -> Estimate:
    ids = None if domain_ids is None else sorted(domain_ids)
    first, last = rules.month_bounds(year, month)
    options = options_sold(domain_ids=ids)
    options.used = options_used(first=first, last=last, domain_ids=ids)
    return estimate_of(
        usage=month_usage(first=first, last=last, domain_ids=ids),
        year=year,
        month=month,
        customers=customers_billed(domain_ids=ids),
        subscriptions=subscriptions_sold(domain_ids=ids),
        options=options,
        book=book,
    )


def month_usage(*, first: dt.date, last: dt.date, domain_ids=None) -> dict[int, list[Snapshot]]:
    """What the customers' daily usage snapshots of the month's days gone by (and of the day before it) say
    they were sold (product, plan, licences), sorted by day: for a customer whose terms held, its first and
    last day; for the others, every day (`billing.usage.usage_turns`: one grouped read, then the rows of those
    that changed)."""
    out: dict[int, list[Snapshot]] = {}
    for domain_id, day, product, plan, licences in usage_turns(
        first - DAY, last, ("product_id", "plan", "license_count"), domain_ids=domain_ids
    ):
        out.setdefault(domain_id, []).append((day, product, plan, licences))
    for days in out.values():
        days.sort(key=lambda snap: snap[0])
    return out


def months_estimated(today: dt.date, *, invoiced: set[tuple[int, int]]) -> list[tuple[int, int]]:
    """The months the pages estimate: the one the next invoice covers (the last closed month while its invoice
    has not arrived, else the running month) and the running month; one month when they are the same."""
    running = rules.month_of(today)
    closed = rules.last_closed_month(today)
    return [running] if closed in invoiced else [closed, running]


# --- the month as kept by the worker (`billing.estimate.kept`) ----------------------------------------


class _KeptLines:
    """The kept lines (and domain and code) of a month's customers (or of `domain_ids`), read in one query the
    first time any is asked for."""

    def __init__(self, year: int, month: int, domain_ids: list[int] | None = None) -> None:
        self.year, self.month, self.domain_ids = year, month, domain_ids
        self._rest: dict[int, tuple[str, str, str]] | None = None

    def rest(self, domain_id: int) -> tuple[str, str, str]:
        """(domain, customer code, lines as JSON)."""
        if self._rest is None:
            copies = EstimateCopy.objects.filter(year=self.year, month=self.month)
            if self.domain_ids is not None:
                copies = copies.filter(domain_id__in=self.domain_ids)
            self._rest = {
                row[0]: row[1:] for row in copies.values_list("domain_id", "domain", "customer_code", "lines")
            }
        return self._rest[domain_id]

    def of(self, domain_id: int) -> tuple[Line, ...]:
        make, day = tuple.__new__, dt.date.fromisoformat
        return tuple(
            make(Line, (*x[:5], day(x[5]), day(x[6]), *x[7:])) for x in json.loads(self.rest(domain_id)[2])
        )


class _KeptCustomer(CustomerEstimate):
    """A customer's estimate read from its kept copy: its name and totals as kept, its lines, domain and code
    read when asked (the pages read the totals; the CSV and a customer's periods the rest). Equal to the
    `CustomerEstimate` of the same lines."""

    __slots__ = ()

    # Made as a tuple (domain_id, company name, the month's `_KeptLines`, None, None,
    # (cost, price, lines without a price)).

    @property
    def domain(self) -> str:  # type: ignore[override]
        return tuple.__getitem__(self, 2).rest(self[0])[0]

    @property
    def customer_code(self) -> str:  # type: ignore[override]
        return tuple.__getitem__(self, 2).rest(self[0])[1]

    @property
    def lines(self) -> tuple[Line, ...]:  # type: ignore[override]
        return tuple.__getitem__(self, 2).of(self[0])

    @property
    def cost(self) -> int:
        return self.totals[0]

    @property
    def price(self) -> int:
        return self.totals[1]

    @property
    def unknown_count(self) -> int:
        return self.totals[2]

    def _as_computed(self) -> tuple:
        return (self[0], self[1], self.domain, self.customer_code, self.lines, None)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, tuple):
            theirs = other._as_computed() if isinstance(other, _KeptCustomer) else tuple(other)
            return self._as_computed() == theirs
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    __hash__ = None  # type: ignore[assignment]


def kept_estimate(*, year: int, month: int, domain_ids: list[int] | None = None) -> Estimate:
    """The month's estimate of every customer still in the API (or of `domain_ids`), as kept (`estimate_keep`):
    read, never worked out (each customer's lines, domain and code read when first asked). The CSV, the
    worker's estimate against the invoice and the drafts of a partner that bills in advance read it."""
    copies = EstimateCopy.objects.filter(year=year, month=month, periods__gt=0)
    if domain_ids is not None:
        copies = copies.filter(domain_id__in=domain_ids)
    with collector_paused():
        rows = list(
            copies.order_by("company_name", "domain_id").values_list(  # the estimate's order
                "domain_id", "company_name", "cost", "price", "unknown"
            )
        )
        source, make = _KeptLines(year, month, domain_ids), tuple.__new__
        out = tuple(make(_KeptCustomer, (row[0], row[1], source, None, None, row[2:5])) for row in rows)
    return Estimate(year, month, out)


def kept_estimate_batches(*, year: int, month: int, size: int) -> Iterator[Estimate]:
    """The month's kept estimate (`kept_estimate`) `size` customers at a time, in its order: the download of
    every customer's estimate holds a batch of customers' lines, not the month's."""
    keys = (
        EstimateCopy.objects.filter(year=year, month=month, periods__gt=0)
        .order_by("company_name", "domain_id")
        .values_list("domain_id", flat=True)
        .iterator(chunk_size=size)
    )
    for batch in batched(keys, size):
        yield kept_estimate(year=year, month=month, domain_ids=batch)


#: The month's totals the worker keeps (`EstimateMonth.totals`), over its customers with an estimate.
ESTIMATE_FIGURES = ("cost", "price", "customers", "unknown", "customers_unknown")


@dataclass(frozen=True)
class Summary:
    """A month's kept estimate as the Invoices page shows it, read with SQL whatever the number of customers:
    the totals and counts, and the customers of the largest cost (`top`)."""

    year: int
    month: int
    cost: int
    price: int
    customers: int
    unknown: int
    customers_unknown: int
    top: tuple[CustomerEstimate, ...]
    #: The items without a price and their number of periods: ((item, tier, plan, periods), ...), as kept.
    unpriced: tuple[tuple[str, str, str, int], ...] = ()

    @property
    def margin(self) -> int:
        return self.price - self.cost


def estimate_summary(*, year: int, month: int, top: int) -> Summary:
    """The month's kept estimate's totals (as the worker summed them when it kept the month: `_totals`; 0 before
    it has) and its `top` customers of the largest cost (along the copies' cost index), their lines read for
    those alone: never every customer's copy."""
    kept = EstimateMonth.objects.filter(year=year, month=month).values_list("totals", flat=True).first()
    totals = {name: (kept or {}).get(name, 0) for name in ESTIMATE_FIGURES}
    copies = EstimateCopy.objects.filter(year=year, month=month, periods__gt=0)
    rows = list(
        copies.order_by("-cost", "company_name", "domain_id").values_list(
            "domain_id", "company_name", "cost", "price", "unknown"
        )[:top]
    )
    source, make = _KeptLines(year, month, [row[0] for row in rows]), tuple.__new__
    return Summary(
        year,
        month,
        totals["cost"],
        totals["price"],
        totals["customers"],
        totals["unknown"],
        totals["customers_unknown"],
        tuple(make(_KeptCustomer, (row[0], row[1], source, None, None, row[2:5])) for row in rows),
        tuple((item, tier, plan, periods) for item, tier, plan, periods in (kept or {}).get("unpriced", [])),
    )
