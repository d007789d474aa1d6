"""The estimate of a month: what LINE WORKS will bill the partner (cost) and what the partner charges its
customers (price), per customer and in total, before the invoice arrives.

Computed, never stored: from the cache as it is now (each customer's subscriptions with their licences, options
with their quantities, and the scheduled changes with their dates: reservations, pre-orders, renewals, option
orders, the cancellation date), read through the other apps' selectors (`subscriptions_sold`, `options_sold`,
`customers_billed`), priced by the price book (`billing.prices`). A change dated within the month splits it into
periods, each prorated by its days as the invoice does (contract/parts/billing.notes.md, "Proration";
`rules.prorated`), priced as of its first day.

What it cannot know is said beside it (`CANNOT_KNOW`): usage-based items, adjustments and penalties, members
that will come and go, changes not in the cache; an item the price book has no price for is a line of its own,
"unknown", never 0.

`month_estimate(year, month)` loads everything once (nine queries) and prices every customer in memory;
`against_invoice` sets an estimate beside a month's invoice, per customer, each difference explained by a known
rule or left to look at.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from billing import prices, rules
from billing.models import EstimateCopy, EstimateMonth, Finding, Invoice, PriceEntry
from billing.usage import usage_turns
from customers.selectors import BilledCustomer, customers_billed, customers_live, customers_removed_since
from options.rules import SUB_OPTIONS
from options.selectors import OptionsSold, SoldOption, UsedOption, options_sold, options_used
from portal.core import clock
from portal.core.collector import collector_paused
from portal.core.copies import copies_changed_count, copies_changed_since
from portal.core.kept import KEPT_MARGIN, Keeper, KeptState
from portal.core.vocabulary import LICENSE_PLANS, PAID_PLANS, Plan, item_name, label
from subscriptions.rules import PAID_EQUIVALENT
from subscriptions.selectors import Scheduled, SoldSubscription, SubscriptionsSold, subscriptions_sold

DAY = dt.timedelta(days=1)

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
)


class Line(NamedTuple):
    """One period of one item: a subscription's plan or an option, with the same terms from `start` to `end`.
    `cost` and `price` are None when the price book has no price for it (unknown, not 0). A tuple: a kept
    estimate makes one of each stored period as it is read."""

    item_type: str  # PRODUCT or OPTION_PRODUCT, as the invoice's items
    item_id: str  # the product or option, as the invoice bills it (its code)
    sub_item_id: str  # the sub option, if any
    plan: str
    units: int  # what it is priced by: licences, members or quantity
    start: dt.date
    end: dt.date
    subscription_id: int | None = None
    cost: int | None = None
    price: int | None = None

    @property
    def name(self) -> str:
        """What is sold, by name: the sub option when there is one (it names its option), else the product."""
        return item_name(self.sub_item_id or self.item_id)

    @property
    def plan_name(self) -> str:
        return label(Plan, self.plan) if self.plan else ""

    @property
    def known(self) -> bool:
        return self.cost is not None


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
        return _listed(sorted({line.name for line in self.unknown}))


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


def _listed(names: Iterable[str]) -> str:
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


# --- the month of one customer, simulated ------------------------------------------------------------------


@dataclass
class _Sub:
    subscription_id: int
    product_id: str
    plan: str
    licences: int | None


@dataclass
class _Option:
    option_product_id: str
    sub_option_id: str
    subscription_id: int | None
    plan: str
    quantity: int | None


@dataclass
class _State:
    subs: dict[int, _Sub] = field(default_factory=dict)
    options: dict[str, _Option] = field(default_factory=dict)

    def paid_sub(self, subscription_id: int | None = None) -> _Sub | None:
        """The option's subscription, else the customer's paid one (options belong to the main subscription)."""
        if subscription_id in self.subs:
            return self.subs[subscription_id]
        return next((s for s in self.subs.values() if s.plan in PAID_PLANS), None) or next(
            iter(self.subs.values()), None
        )

    def end_sub(self, subscription_id: int) -> None:
        """A subscription ends, and its options with it (a cancellation cancels every option)."""
        self.subs.pop(subscription_id, None)
        for key, option in list(self.options.items()):
            if option.subscription_id not in self.subs:
                del self.options[key]


#: An event: (day, order within the day, what it does). Order within a day as LINE WORKS applies them:
#: departures, term starts, reservations, pre-orders, renewals, then option orders, option renewals, Trial ends.
_Event = tuple[dt.date, int, Callable[[_State], None]]


def _is_trial_sub_option(sub_option_id: str) -> bool:
    found = SUB_OPTIONS.get(sub_option_id)
    return bool(found and found.trial)


def _subscription_events(sub: SoldSubscription, option_orders: set[str]) -> list[_Event]:
    events: list[_Event] = []
    reservation = sub.reservation
    sid = sub.subscription_id
    if reservation is not None:
        day = reservation.apply_date
        if reservation.type == "START_PAID_SERVICE":

            def convert(state: _State, r: Scheduled = reservation) -> None:
                s = state.subs.get(sid)
                if s is None:
                    return
                s.product_id = r.product_id or PAID_EQUIVALENT.get(s.product_id, s.product_id)
                s.plan = r.plan or s.plan
                s.licences = r.license_count if s.plan in LICENSE_PLANS else None
                # A scheduled paid conversion converts the Trial options that have no order of their own.
                for option in state.options.values():
                    if option.plan == Plan.TRIAL and option.option_product_id not in option_orders:
                        option.plan = s.plan

            events.append((day, 2, convert))
        elif reservation.type == "ADD_LICENSE":

            def add(state: _State, r: Scheduled = reservation) -> None:
                s = state.subs.get(sid)
                if s is not None:
                    s.licences = (s.licences or 0) + (r.license_count or 0)

            events.append((day, 2, add))
        elif reservation.type == "CANCEL":
            events.append((day, 2, lambda state: state.end_sub(sid)))
    if sub.renewal_type and sub.plan_end_date is not None and sub.plan in PAID_PLANS:
        renewal_day = sub.plan_end_date + DAY
        if sub.renewal_type == "CANCEL":
            events.append((renewal_day, 4, lambda state: state.end_sub(sid)))
        elif sub.renewal_type == "CHANGE":

            def renew(state: _State) -> None:
                s = state.subs.get(sid)
                if s is None:
                    return
                s.product_id = sub.renewal_product_id or s.product_id
                s.plan = sub.renewal_plan or s.plan
                if s.plan in LICENSE_PLANS:
                    if sub.renewal_license_count is not None:
                        s.licences = sub.renewal_license_count
                else:
                    s.licences = None

            events.append((renewal_day, 4, renew))
    return events


def _pre_order_event(pre: Scheduled, number: int) -> _Event:
    def start(state: _State) -> None:
        if any(s.plan in PAID_PLANS for s in state.subs.values()):
            return  # paid by other means meanwhile: the pre-order has nothing left to do
        moved = next(iter(state.subs), None)
        state.subs.clear()
        new_id = -number  # not known before it starts
        licences = pre.license_count if pre.plan in LICENSE_PLANS else None
        state.subs[new_id] = _Sub(new_id, pre.product_id, pre.plan, licences)
        for option in state.options.values():  # the Free/Trial subscription's options move over
            if option.subscription_id in (moved, None):
                option.subscription_id = new_id

    return (pre.apply_date, 3, start)


def _option_events(option: SoldOption) -> list[_Event]:
    key = option.option_product_id
    events: list[_Event] = []
    if option.plan == Plan.TRIAL:

        def trial_ends(state: _State) -> None:
            found = state.options.get(key)
            if found is not None and found.plan == Plan.TRIAL:
                del state.options[key]

        events.append((option.plan_end_date + DAY, 7, trial_ends))
    elif option.renewal_type == "CHANGE" and option.plan in PAID_PLANS:

        def renew(state: _State) -> None:
            found = state.options.get(key)
            if found is not None:
                found.sub_option_id = option.renewal_sub_option_id or found.sub_option_id
                if option.renewal_quantity is not None:
                    found.quantity = option.renewal_quantity

        events.append((option.plan_end_date + DAY, 6, renew))
    return events


def _order_event(order) -> _Event:
    key = order.option_product_id

    def apply(state: _State) -> None:
        found = state.options.get(key)
        if order.type == "APPLY" and found is None:
            sub = state.paid_sub()
            if sub is None:
                return
            trial = _is_trial_sub_option(order.sub_option_id) or sub.plan not in PAID_PLANS
            state.options[key] = _Option(
                key,
                order.sub_option_id,
                sub.subscription_id,
                Plan.TRIAL if trial else sub.plan,
                order.quantity,
            )
        elif found is None:
            return
        elif order.type == "START_PAID_SERVICE" and found.plan == Plan.TRIAL:
            sub = state.paid_sub(found.subscription_id)
            if sub is not None and sub.plan in PAID_PLANS:
                found.plan = sub.plan
        elif order.type == "CHANGE_QUANTITY":
            found.quantity = order.quantity
        elif order.type == "CANCEL":
            del state.options[key]

    return (order.apply_date, 5, apply)


def _units(plan: str, licences: int | None, members: int | None, quantity: int | None = None) -> int:
    return rules.units(plan=plan, license_count=licences, member_count=members, quantity=quantity)


def _terms(
    state: _State, members: int | None, used: Sequence[UsedOption] | None = None
) -> dict[tuple, tuple]:
    """What is billed on a day of `state`: {(item type, subscription or option): terms}, paid plans only (Free
    and Trial are not billed). With `used` (the options' daily usage of that day), the options are those it
    recorded, not the state's."""
    out: dict[tuple, tuple] = {}
    for s in state.subs.values():
        if s.plan in PAID_PLANS:
            out[("PRODUCT", s.subscription_id)] = (
                s.product_id,
                "",
                s.plan,
                _units(s.plan, s.licences, members),
                s.subscription_id,
            )
    if used is not None:
        sub = state.paid_sub()
        for u in used:
            if u.plan in PAID_PLANS:
                licences = u.license_count if u.license_count is not None else (sub.licences if sub else None)
                out[("OPTION_PRODUCT", u.option_product_id)] = (
                    u.option_product_id,
                    u.sub_option_id,
                    u.plan,
                    _units(
                        u.plan,
                        licences,
                        u.member_count if u.member_count is not None else members,
                        u.quantity,
                    ),
                    sub.subscription_id if sub else None,
                )
        return out
    for o in state.options.values():
        if o.plan in PAID_PLANS:
            sub = state.paid_sub(o.subscription_id)
            out[("OPTION_PRODUCT", o.option_product_id)] = (
                o.option_product_id,
                o.sub_option_id,
                o.plan,
                _units(o.plan, sub.licences if sub else None, members, o.quantity),
                sub.subscription_id if sub else o.subscription_id,
            )
    return out


#: A day's usage snapshot of a customer's subscription: (day, product, plan, licences).
Snapshot = tuple[dt.date, str, str, "int | None"]


def customer_lines(
    *,
    first: dt.date,
    last: dt.date,
    members: int | None,
    withdrawal_date: dt.date | None = None,
    subscriptions: Sequence[SoldSubscription] = (),
    pre_orders: Sequence[Scheduled] = (),
    options: Sequence[SoldOption] = (),
    orders: Sequence = (),
    usage: Sequence[Snapshot] = (),
    used_options: Sequence[UsedOption] = (),
) -> list[Line]:
    """The month first..last of one customer as periods of unchanged terms (unpriced lines). The days its daily
    usage snapshots cover (`usage`, sorted: the month's days gone by) have the terms they show, as the invoice
    bills them; from the day after, what the cache holds now, then each scheduled change on its day. Options
    likewise: on the days their daily usage covers (`used_options`, runs of unchanged terms) those it recorded;
    on the other days those the cache holds, each from the day it was added."""
    ordered = {o.option_product_id for o in orders}
    history = [u for u in usage if u[0] <= last]
    from_cache = max(first, history[-1][0] + DAY) if history else first
    main_id = subscriptions[0].subscription_id if subscriptions else 0

    cache_events: list[_Event] = []
    for sub in subscriptions:
        if from_cache < sub.plan_start_date <= last:

            def begin(st: _State, sub: SoldSubscription = sub) -> None:
                st.subs[sub.subscription_id] = _Sub(
                    sub.subscription_id, sub.product_id, sub.plan, sub.license_count
                )

            cache_events.append((sub.plan_start_date, 1, begin))
        cache_events.extend(_subscription_events(sub, ordered))
    for number, pre in enumerate(pre_orders, start=1):
        cache_events.append(_pre_order_event(pre, number))
    for option in options:
        cache_events.extend(_option_events(option))
    cache_events.extend(_order_event(order) for order in orders)
    cache_events.sort(key=lambda e: (e[0], e[1]))
    pending = [e for e in cache_events if e[0] <= from_cache]

    def load_cache(st: _State) -> None:
        """From `from_cache` on: the subscriptions as the cache holds them, and the changes scheduled before
        that day which the cache does not show applied yet."""
        st.subs.clear()
        if withdrawal_date is not None and withdrawal_date < from_cache:
            st.options.clear()
            return
        for sub in subscriptions:
            if not from_cache < sub.plan_start_date <= last:
                st.subs[sub.subscription_id] = _Sub(
                    sub.subscription_id, sub.product_id, sub.plan, sub.license_count
                )
        for event in pending:
            event[2](st)

    def snapshot(terms: tuple) -> Callable[[_State], None]:
        def apply(st: _State) -> None:
            st.subs.clear()
            product, plan, licences = terms
            if product:
                st.subs[main_id] = _Sub(main_id, product, plan, licences)

        return apply

    state = _State()
    events: list[_Event] = []
    # Options as the cache holds them, each from the day it was added (the days their usage covers are
    # replaced by what it recorded: `take`).
    for option in options:
        added = _Option(
            option.option_product_id,
            option.sub_option_id,
            option.subscription_id,
            option.plan,
            option.quantity,
        )
        if option.added_on is None or option.added_on <= first:
            state.options[option.option_product_id] = added
        elif option.added_on <= last:

            def add_option(st: _State, added: _Option = added) -> None:
                st.options.setdefault(added.option_product_id, replace(added))

            events.append((option.added_on, 1, add_option))
    used_last = max((run.end for run in used_options), default=None)
    for run in used_options:  # a day the options' recorded terms change is a day to take
        for day in (run.start, run.end + DAY):
            if first < day <= last:
                events.append((day, -2, _nothing))
    if history:
        before = [u for u in history if u[0] <= first]
        previous = tuple(before[-1][1:]) if before else ("", "", None)
        snapshot(previous)(state)
        for day, *terms in history:
            if day > first and tuple(terms) != previous:
                previous = tuple(terms)
                events.append((day, -1, snapshot(previous)))
        if from_cache <= last:
            events.append((from_cache, 0, load_cache))
    else:
        load_cache(state)
    events.extend(e for e in cache_events if from_cache < e[0] <= last)
    if withdrawal_date is not None and withdrawal_date < last:
        # Billed up to and including the cancellation date.
        events.append((withdrawal_date + DAY, 9, lambda st: (st.subs.clear(), st.options.clear())))
    events.sort(key=lambda e: (e[0], e[1]))

    open_lines: dict[tuple, Line] = {}
    lines: list[Line] = []

    def take(day: dt.date) -> None:
        """Close the lines whose terms end the day before `day` and open those that start on it."""
        now = _terms(state, members, _used_on(used_options, day) if used_last and day <= used_last else None)
        for key, line in list(open_lines.items()):
            if now.get(key) != _key_terms(line):
                lines.append(line._replace(end=day - DAY))
                del open_lines[key]
        for key, (item_id, sub_item_id, plan, units, sid) in now.items():
            if key not in open_lines:
                open_lines[key] = Line(key[0], item_id, sub_item_id, plan, units, day, last, sid)

    if withdrawal_date is not None and withdrawal_date < first:
        return []
    take(first)
    index = 0
    for day in sorted({e[0] for e in events}):
        while index < len(events) and events[index][0] == day:
            events[index][2](state)
            index += 1
        take(day)
    lines.extend(open_lines.values())
    return sorted(lines, key=lambda line: (line.item_type != "PRODUCT", line.item_id, line.start))


def _nothing(state: _State) -> None:
    """An event that changes nothing: a day on which the options' recorded usage changes."""


def _used_on(runs: Sequence[UsedOption], day: dt.date) -> list[UsedOption]:
    """The options in use on `day` by their daily usage: each option's run covering it (the latest begun)."""
    found: dict[str, UsedOption] = {}
    for run in runs:
        if run.start <= day <= run.end:
            found[run.option_product_id] = run
    return list(found.values())


def _steady_lines(
    *,
    first: dt.date,
    last: dt.date,
    members: int | None,
    withdrawal_date: dt.date | None,
    subscriptions: Sequence[SoldSubscription],
    pre_orders: Sequence[Scheduled],
    options: Sequence[SoldOption],
    orders: Sequence,
    usage: Sequence[Snapshot],
    used_options: Sequence[UsedOption],
) -> list[Line] | None:
    """The month of a customer with nothing dated in it, in closed form: one subscription, no scheduled change,
    renewal, Trial end, option added or order on or before the month's last day, no cancellation before it, and
    daily usage (if any) that shows the cache's terms from the month's start. Its lines are whole-month periods
    of what the cache holds, exactly what `customer_lines` gives for it; None for any other customer (walked
    day by day)."""
    if len(subscriptions) != 1 or used_options or any(order.apply_date <= last for order in orders):
        return None
    if withdrawal_date is not None and withdrawal_date < last:
        return None
    sub = subscriptions[0]
    if sub.plan_start_date > first or (sub.reservation is not None and sub.reservation.apply_date <= last):
        return None
    if (
        sub.renewal_type in ("CANCEL", "CHANGE")
        and sub.plan in PAID_PLANS
        and sub.plan_end_date is not None
        and sub.plan_end_date < last
    ):
        return None
    if any(pre.apply_date <= last for pre in pre_orders):
        return None
    if usage:
        held = (sub.product_id, sub.plan, sub.license_count)
        if (
            not sub.product_id
            or usage[0][0] > first
            or any(tuple(u[1:]) != held for u in usage if u[0] <= last)
        ):
            return None
    for option in options:
        if option.added_on is not None and option.added_on > first:
            return None
        if (
            option.plan == Plan.TRIAL or (option.renewal_type == "CHANGE" and option.plan in PAID_PLANS)
        ) and (option.plan_end_date < last):
            return None
    lines = []
    sid, licences = sub.subscription_id, sub.license_count
    if sub.plan in PAID_PLANS:
        units = _units(sub.plan, licences, members)
        lines.append(Line("PRODUCT", sub.product_id, "", sub.plan, units, first, last, sid))
    for option in options:
        if option.plan in PAID_PLANS:
            units = _units(option.plan, licences, members, option.quantity)
            item_id, sub_item_id = option.option_product_id, option.sub_option_id
            lines.append(Line("OPTION_PRODUCT", item_id, sub_item_id, option.plan, units, first, last, sid))
    lines.sort(key=lambda line: (line.item_type != "PRODUCT", line.item_id))
    return lines


def _key_terms(line: Line) -> tuple:
    return (line.item_id, line.sub_item_id, line.plan, line.units, line.subscription_id)


def priced(line: Line, book: prices.PriceBook, domain_id: int, year: int, month: int) -> Line:
    """The line with its cost and price by the price book's entry in force on its first day, prorated to its
    days; unchanged (unknown) when the book has no price for it."""
    entry = book.entry(line.item_id, line.plan, domain_id, line.start)
    if entry is None:
        return line
    if line.start.day == 1 and (line.end + DAY).day == 1:  # the whole month: nothing to prorate
        cost, price = entry.cost * line.units, entry.price * line.units
    else:
        cost = rules.prorated(entry.cost * line.units, line.start, line.end, year, month)
        price = rules.prorated(entry.price * line.units, line.start, line.end, year, month)
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


def _priced_whole_month(
    line: Line,
    book: prices.PriceBook,
    domain_id: int,
    entries: dict[tuple, PriceEntry | None],
    overridden: set[int],
) -> Line:
    """`priced` for a line of the whole month (nothing to prorate), the book's entry looked up once for each
    item and plan (for a customer without a price of its own)."""
    if domain_id in overridden:
        entry = book.entry(line.item_id, line.plan, domain_id, line.start)
    else:
        key = (line.item_id, line.plan)
        if key not in entries:
            entries[key] = book.entry(line.item_id, line.plan, None, line.start)
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
        entry.price * units,
    )


# --- the month of every customer ----------------------------------------------------------------------------


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
        steady = _steady_lines(**facts)
        if steady is None:
            lines = customer_lines(**facts)
            priced_lines = tuple(priced(line, book, domain_id, year, month) for line in lines)
        else:
            lines = steady
            priced_lines = tuple(
                _priced_whole_month(line, book, domain_id, whole_month, overridden) for line in steady
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
    return _estimate_with_book(year, month, domain_ids, prices.PriceBook.load())


# --- the kept estimate -------------------------------------------------------------------------------------

#: The estimate's rules, as a number: a kept estimate worked out by other rules (an older release) is worked out
#: again. Move it on with any change to how lines are worked out or priced.
RULES = 1


#: The name of the kept estimate among the copies kept (`portal.core.kept`).
KEPT = "billing.estimate"
#: Customers worked out at once by the worker, each batch stored in a transaction of its own.
KEEP_BATCH = 500


def _basis(book: prices.PriceBook, today: dt.date | None = None) -> dict:
    return {"book": book.fingerprint, "today": (today or clock.today()).isoformat(), "rules": RULES}


def estimate_state(year: int, month: int, today: dt.date | None = None) -> KeptState:
    """How the month's kept estimate stands (a reader's few counted reads, nothing worked out): when it was
    brought up to date, how many customers' copies were written (or removed) since, and whether what the whole
    month is worked out from differs now (the price book, the business date, the rules)."""
    kept = EstimateMonth.objects.filter(year=year, month=month).first()
    if kept is None:
        return KeptState(None)
    behind = copies_changed_count(kept.worked_at) + len(customers_removed_since(kept.worked_at))
    return KeptState(kept.worked_at, behind, kept.basis != _basis(prices.PriceBook.load(), today))


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
    book = prices.PriceBook.load()
    basis = _basis(book, today)
    started = timezone.now()
    kept = EstimateMonth.objects.filter(year=year, month=month).first()
    if whole or kept is None or kept.basis != basis:
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
    with transaction.atomic():
        for index in range(0, len(gone), KEEP_BATCH):
            EstimateCopy.objects.filter(
                year=year, month=month, domain_id__in=gone[index : index + KEEP_BATCH]
            ).delete()
        _kept_month(year, month, started, basis)


def _keep_batches(year: int, month: int, domain_ids: list[int], book: prices.PriceBook) -> None:
    for index in range(0, len(domain_ids), KEEP_BATCH):
        batch = domain_ids[index : index + KEEP_BATCH]
        result = _estimate_with_book(year, month, batch, book)
        with transaction.atomic():
            EstimateCopy.objects.filter(year=year, month=month, domain_id__in=batch).delete()
            _keep(year, month, result, batch)


def kept_estimate(*, year: int, month: int) -> Estimate:
    """The month's estimate of every customer still in the API, as kept (`estimate_keep`): read, never worked
    out (each customer's lines, domain and code read when first asked). The CSV, the estimate against the
    invoice and the drafts of a partner that bills in advance read it."""
    with collector_paused():
        rows = list(
            EstimateCopy.objects.filter(year=year, month=month, periods__gt=0)
            .order_by("company_name", "domain_id")  # the estimate's order
            .values_list("domain_id", "company_name", "cost", "price", "unknown")
        )
        source, make = _KeptLines(year, month), tuple.__new__
        out = tuple(make(_KeptCustomer, (row[0], row[1], source, None, None, row[2:5])) for row in rows)
    return Estimate(year, month, out)


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

    @property
    def margin(self) -> int:
        return self.price - self.cost


def estimate_summary(*, year: int, month: int, top: int) -> Summary:
    """The month's kept estimate's totals (one aggregate) and its `top` customers of the largest cost (along the
    copies' cost index), their lines read for those alone."""
    copies = EstimateCopy.objects.filter(year=year, month=month, periods__gt=0)
    totals = copies.aggregate(
        all_cost=Coalesce(Sum("cost"), 0),
        all_price=Coalesce(Sum("price"), 0),
        all_unknown=Coalesce(Sum("unknown"), 0),
        customers=Count("pk"),
        customers_unknown=Count("pk", filter=Q(unknown__gt=0)),
    )
    rows = list(
        copies.order_by("-cost", "company_name", "domain_id").values_list(
            "domain_id", "company_name", "cost", "price", "unknown"
        )[:top]
    )
    source, make = _KeptLines(year, month, [row[0] for row in rows]), tuple.__new__
    return Summary(
        year,
        month,
        totals["all_cost"],
        totals["all_price"],
        totals["customers"],
        totals["all_unknown"],
        totals["customers_unknown"],
        tuple(make(_KeptCustomer, (row[0], row[1], source, None, None, row[2:5])) for row in rows),
    )


def _estimate_with_book(
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


def _kept_month(year: int, month: int, worked_at: dt.datetime, basis: dict) -> None:
    EstimateMonth.objects.bulk_create(
        [EstimateMonth(year=year, month=month, worked_at=worked_at, basis=basis)],
        update_conflicts=True,
        unique_fields=["year", "month"],
        update_fields=["worked_at", "basis"],
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


# --- estimate against the invoice ---------------------------------------------------------------------------

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
        return _listed(self.unpriced)

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
