"""The variance check of a month, as declarations: the month's facts, loaded once, and one small function per
kind of finding.

Every finding is computed from what was true during the invoice's period, never from today's cache: the
invoice's own items (their start and end dates), the customers' daily usage snapshots of those days
(`UsageSnapshot`), the options' daily usage (`options.selectors.usage_quantities`), the changes the audit trail
records as applied then (`portal.core.selectors.change_days`), the dates customers left
(`customers.selectors.customer_departures`) and the price book's prices in force on the items' days. So a month
checked on its last day and again a year later gives the same findings, whatever changed since.

A new kind of finding is one function `(facts) -> Iterable[Found]` added to `KINDS`, and one test.
`billing.services.finding_month_check` runs `KINDS` and stores what they found.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Exists, OuterRef

from billing import prices, rules
from billing.models import Finding, Invoice, InvoiceItem, UsageSnapshot
from billing.usage import usage_turns
from customers.selectors import Departure, customer_departures
from options.selectors import usage_quantities
from portal.core.selectors import change_days

#: The columns of an invoice item the check reads.
ITEM_FIELDS = (
    "id",
    "domain_id",
    "customer_name",
    "subscription_id",
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

#: How long before the month an audited change may have been made (a reservation is made weeks ahead).
CHANGES_LOOK_BACK = dt.timedelta(days=40)


class Usage(NamedTuple):
    """A customer's usage snapshot of one day (listCustomerUsages, taken at 00:00 of that day)."""

    product_id: str
    plan: str
    license_count: int | None
    member_count: int | None

    @property
    def terms(self) -> tuple:
        """What the invoice splits a period on when it changes (the contract: subscription, plan, licence
        count or member count)."""
        return tuple(self)


@dataclass(frozen=True)
class MonthFacts:
    """What the month held: everything a kind of finding may read."""

    year: int
    month: int
    #: The month's invoice items, as mappings of `ITEM_FIELDS`.
    items: tuple[Mapping[str, Any], ...] = ()
    #: (computed total, stated total) of the month's invoice; None before it is fetched.
    invoice_totals: tuple[int, int] | None = None
    customers: Mapping[int, Departure] = field(default_factory=dict)
    #: {domainId: {day: Usage}} from the day before the month to its last day.
    usage: Mapping[int, Mapping[dt.date, Usage]] = field(default_factory=dict)
    #: {(domainId, option, day): quantity} of the month's days.
    option_quantities: Mapping[tuple[int, str, dt.date], int] = field(default_factory=dict)
    #: {domainId: {day, ...}}: days a change was applied through the portal (the audit trail).
    change_days: Mapping[int, set[dt.date]] = field(default_factory=dict)
    prices: prices.PriceBook = field(default_factory=lambda: prices.PriceBook(()))
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(settings.BUSINESS_TIME_ZONE))

    @cached_property
    def first(self) -> dt.date:
        return rules.month_bounds(self.year, self.month)[0]

    @cached_property
    def last(self) -> dt.date:
        return rules.month_bounds(self.year, self.month)[1]

    @cached_property
    def by_customer(self) -> dict[int, list[Mapping[str, Any]]]:
        out: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
        for item in self.items:
            out[item["domain_id"]].append(item)
        return out

    @cached_property
    def departed(self) -> dict[int, str]:
        """{domainId: the day, as text} of the customers the portal knows that left before the month."""
        out = {}
        for domain_id, customer in self.customers.items():
            if customer.withdrawal_date is None and customer.removed_at is None:
                continue
            gone_on = self.gone_before(domain_id)
            if gone_on is not None:
                out[domain_id] = gone_on
        return out

    @cached_property
    def products_billed(self) -> dict[int, set[str]]:
        """{domainId: the products its plan items bill}."""
        out: dict[int, set[str]] = defaultdict(set)
        for item in self.items:
            if item["item_type"] == "PRODUCT":
                out[item["domain_id"]].add(item["item_id"])
        return out

    def gone_before(self, domain_id: int) -> str | None:
        """The day a customer left, as text, if before the month ("unknown" for a customer the portal does not
        know); None for a customer of the month."""
        customer = self.customers.get(domain_id)
        if customer is None:
            return "unknown"
        if customer.withdrawal_date and customer.withdrawal_date < self.first:
            return customer.withdrawal_date.isoformat()
        if customer.removed_at:
            removed = customer.removed_at.astimezone(self.zone).date()
            if removed < self.first:
                return removed.isoformat()
        return None

    @cached_property
    def _usage_days(self) -> dict[int, list[dt.date]]:
        return {domain_id: sorted(days) for domain_id, days in self.usage.items()}

    def usage_on(self, domain_id: int, day: dt.date) -> Usage | None:
        """The customer's terms on a day: its snapshot of that day, else of the latest day before it in the
        month's facts (old snapshots are thinned to the days terms changed: between them, terms held)."""
        days = self._usage_days.get(domain_id, [])
        index = bisect.bisect_right(days, day)
        return self.usage[domain_id][days[index - 1]] if index else None

    def known_change_days(self, domain_id: int) -> set[dt.date]:
        """Days on which the customer's terms changed in the month (its snapshots differ from the day before),
        a change was applied to it (the audit trail) or it stopped being billed (the day after its
        cancellation date: a cancellation made in LINE WORKS leaves no audit entry)."""
        days = set(self.change_days.get(domain_id, ()))
        customer = self.customers.get(domain_id)
        if customer is not None and customer.withdrawal_date is not None:
            days.add(customer.withdrawal_date + dt.timedelta(days=1))
        snaps = self.usage.get(domain_id, {})
        for day, usage in snaps.items():
            before = snaps.get(day - dt.timedelta(days=1))
            if before is not None and before.terms != usage.terms:
                days.add(day)
        return days


@dataclass(frozen=True)
class Found:
    """One finding: what was expected and what was billed, as the bare values the pages put in words."""

    domain_id: int
    customer_name: str
    kind: str
    subject: str
    expected: str
    billed: str
    items: tuple[int, ...] = ()


def month_facts(*, year: int, month: int) -> MonthFacts:
    """Load what the month held, once (a handful of queries, none per customer)."""
    first, last = rules.month_bounds(year, month)
    zone = ZoneInfo(settings.BUSINESS_TIME_ZONE)
    invoice = Invoice.objects.filter(year=year, month=month).first()
    usage: dict[int, dict[dt.date, Usage]] = {}
    make = tuple.__new__  # a Usage from a row's terms, without the keyword machinery (one per row)
    for row in usage_turns(first - dt.timedelta(days=1), last):
        days = usage.get(row[0])
        if days is None:
            days = usage[row[0]] = {}
        days[row[1]] = make(Usage, row[2:])
    return MonthFacts(
        year=year,
        month=month,
        items=tuple(InvoiceItem.objects.filter(year=year, month=month).values(*ITEM_FIELDS)),
        invoice_totals=None if invoice is None else (invoice.computed_total, invoice.total_amount),
        customers=customer_departures(),
        usage=usage,
        option_quantities=usage_quantities(first=first, last=last),
        change_days=change_days(
            since=dt.datetime.combine(first - CHANGES_LOOK_BACK, dt.time(), tzinfo=zone),
            until=dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=zone),
            zone=zone,
        ),
        prices=prices.PriceBook.load(),
        zone=zone,
    )


def customers_without_usage(*, year: int, month: int) -> int:
    """How many customers billed in the month have no usage snapshot of it: the check cannot compare their
    licences or periods with what was sold (kept by `billing.services.finding_month_check` on the month's
    `DetailMonth`, for the findings page)."""
    first, last = rules.month_bounds(year, month)
    seen = UsageSnapshot.objects.filter(
        domain_id=OuterRef("domain_id"), used_date__gte=first, used_date__lte=last
    )
    return (
        InvoiceItem.objects.filter(year=year, month=month)
        .exclude(Exists(seen))
        .values("domain_id")
        .distinct()
        .count()
    )


# --- the kinds of finding --------------------------------------------------------------------------------


def arithmetic(facts: MonthFacts) -> Iterator[Found]:
    """The invoice's total is not the sum of its parts (listInvoices' arithmetic)."""
    if facts.invoice_totals and facts.invoice_totals[0] != facts.invoice_totals[1]:
        computed, stated = facts.invoice_totals
        yield Found(0, "", Finding.Kind.ARITHMETIC, "total", str(computed), str(stated))


def billed_not_active(facts: MonthFacts) -> Iterator[Found]:
    """A customer who had left before the month (cancelled, or removed from the API) was charged in it."""
    customers, departed = facts.customers, facts.departed
    for domain_id, billed in facts.by_customer.items():
        if domain_id in customers and domain_id not in departed:
            continue  # a customer of the month
        charged = [i for i in billed if i["item_type"] != "SUMMARY" and (i["amount"] or 0) > 0]
        gone_on = facts.gone_before(domain_id) if charged else None
        if gone_on:
            yield Found(
                domain_id,
                billed[0]["customer_name"],
                Finding.Kind.BILLED_NOT_ACTIVE,
                "customer",
                "" if gone_on == "unknown" else gone_on,
                str(sum(i["amount"] or 0 for i in charged)),
                tuple(i["id"] for i in charged),
            )


def active_not_billed(facts: MonthFacts) -> Iterator[Found]:
    """A product the customer's snapshots show on a paid plan on a day of the month, without a plan item."""
    departed, products_billed, first = facts.departed, facts.products_billed, facts.first
    for domain_id, snaps in facts.usage.items():
        if domain_id in departed:
            continue
        sold: dict[str, tuple[dt.date, str]] = {}  # product: (the latest day it was paid for, its plan)
        for day, usage in snaps.items():
            paid = day >= first and usage.plan in rules.PAID_PLANS and usage.product_id
            if paid and (usage.product_id not in sold or sold[usage.product_id][0] < day):
                sold[usage.product_id] = (day, usage.plan)
        if not sold:
            continue
        billed = products_billed.get(domain_id, ())
        for product, (_day, plan) in sold.items():
            if product not in billed:
                customer = facts.customers.get(domain_id)
                yield Found(
                    domain_id,
                    customer.company_name if customer else "",
                    Finding.Kind.ACTIVE_NOT_BILLED,
                    product,
                    f"{product} {plan}",
                    "",
                )


def _subject(key: str, item: Mapping[str, Any], last: dt.date) -> str:
    """A count finding's subject: the subscription or option, and the item's last day when it ends before the
    month does (a split period has an item per part)."""
    return key if item["end_date"] == last else f"{key}:{item['end_date'].isoformat()}"


def _in_month(item: Mapping[str, Any], facts: MonthFacts) -> bool:
    end = item["end_date"]
    return end is not None and facts.first <= end <= facts.last


def licences(facts: MonthFacts) -> Iterator[Found]:
    """A licence plan billed for another licence count than the customer's snapshot of the item's last day."""
    for domain_id, billed in facts.by_customer.items():

        def on(day: dt.date, domain_id=domain_id) -> int | None:
            usage = facts.usage_on(domain_id, day)
            return usage.license_count if usage else None

        for item in billed:
            if item["item_type"] != "PRODUCT" or item["plan"] not in rules.LICENSE_PLANS:
                continue
            if not _in_month(item, facts):
                continue
            expected = _expected(item["license_count"], item["end_date"], facts.last, on)
            if expected is not None:
                yield Found(
                    domain_id,
                    item["customer_name"],
                    Finding.Kind.LICENCES,
                    _subject(str(item["subscription_id"]), item, facts.last),
                    str(expected),
                    str(item["license_count"]),
                    (item["id"],),
                )


def quantity(facts: MonthFacts) -> Iterator[Found]:
    """An option billed by quantity for another quantity than its usage of the item's last day."""
    for domain_id, billed in facts.by_customer.items():
        for item in billed:
            if (
                item["item_type"] != "OPTION_PRODUCT"
                or item["quantity"] is None
                or not _in_month(item, facts)
            ):
                continue

            def on(day: dt.date, option=item["item_id"], domain_id=domain_id) -> int | None:
                return facts.option_quantities.get((domain_id, option, day))

            expected = _expected(item["quantity"], item["end_date"], facts.last, on)
            if expected is not None:
                yield Found(
                    domain_id,
                    item["customer_name"],
                    Finding.Kind.QUANTITY,
                    _subject(item["item_id"], item, facts.last),
                    str(expected),
                    str(item["quantity"]),
                    (item["id"],),
                )


def _expected(
    billed: int | None, end: dt.date, last: dt.date, on: Callable[[dt.date], int | None]
) -> int | None:
    """The count expected where it differs from the billed one, else None. The snapshot of the item's last day
    says what held that day; a change made during that day shows only in the next day's snapshot, which is
    accepted too while it is a day of the month."""
    on_end = on(end)
    if on_end is None or on_end == billed:
        return None
    if end < last and on(end + dt.timedelta(days=1)) == billed:
        return None
    return on_end


def period(facts: MonthFacts) -> Iterator[Found]:
    """A plan item that starts after the 1st or ends before the month's last day, with no known change within
    a day of that boundary (checked for the customers whose snapshots of the month say what changed when)."""
    for domain_id, billed in facts.by_customer.items():
        if not facts.usage.get(domain_id):
            continue  # without the month's snapshots nothing says which days terms changed
        known = None
        for item in billed:
            if item["item_type"] != "PRODUCT":
                continue
            for boundary in _boundaries(item, facts.first, facts.last):
                if known is None:
                    known = facts.known_change_days(domain_id)
                if not any(abs((boundary - day).days) <= 1 for day in known):
                    yield Found(
                        domain_id,
                        item["customer_name"],
                        Finding.Kind.PERIOD,
                        f"{item['subscription_id']}:{boundary.isoformat()}",
                        boundary.isoformat(),
                        f"{item['start_date']}..{item['end_date']}",
                        (item["id"],),
                    )


def _boundaries(item: Mapping[str, Any], first: dt.date, last: dt.date) -> list[dt.date]:
    """The days a split item's terms changed: its start (if after the 1st) and the day after its end (if
    before the month's last day)."""
    out = []
    if item["start_date"] and item["start_date"] > first:
        out.append(item["start_date"])
    if item["end_date"] and item["end_date"] < last:
        out.append(item["end_date"] + dt.timedelta(days=1))
    return out


def cost(facts: MonthFacts) -> Iterator[Found]:
    """A product or option billed more than ¥1 away from the price book's cost in force on its first day,
    prorated to its days."""
    if not facts.prices:
        return
    for item in facts.items:
        if item["item_type"] not in ("PRODUCT", "OPTION_PRODUCT") or item["amount"] is None:
            continue
        expected = prices.expected_cost(facts.prices, item, facts.year, facts.month)
        if expected is not None and abs(expected - item["amount"]) > rules.COST_TOLERANCE_YEN:
            yield Found(
                item["domain_id"],
                item["customer_name"],
                Finding.Kind.COST,
                f"{item['item_id']}:{item['start_date']}",
                str(expected),
                str(item["amount"]),
                (item["id"],),
            )


#: The kinds of finding the check runs, in order.
KINDS: tuple[Callable[[MonthFacts], Iterable[Found]], ...] = (
    arithmetic,
    billed_not_active,
    active_not_billed,
    licences,
    quantity,
    period,
    cost,
)


def findings_of(facts: MonthFacts) -> list[Found]:
    """Every finding of the month: each declared kind run on the same facts."""
    return [found for kind in KINDS for found in kind(facts)]
