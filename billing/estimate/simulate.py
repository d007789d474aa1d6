"""The month of one customer, simulated: from what the cache holds now (its subscriptions with their licences,
options with their quantities, the scheduled changes with their dates: reservations, pre-orders, renewals, option
orders, the cancellation date) and its daily usage of the days gone by, the month as periods of unchanged terms
(`Line`), unpriced; `billing.estimate.pricing` prices them.

`customer_lines` walks the month day by day: the changes are events (`_Event`) applied to a state (`_State`) in
the order LINE WORKS applies them, and the terms billed each day (`_terms`) open and close the lines.
`steady_lines` gives the same lines in closed form for a customer with nothing dated in the month.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import NamedTuple

from billing import rules
from options.rules import SUB_OPTIONS
from options.selectors import SoldOption, UsedOption
from portal.core.vocabulary import LICENSE_PLANS, PAID_PLANS, Plan, item_name, label
from subscriptions.rules import PAID_EQUIVALENT
from subscriptions.selectors import Scheduled, SoldSubscription

DAY = dt.timedelta(days=1)


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
    if withdrawal_date is not None and withdrawal_date < first:
        return []
    history = [u for u in usage if u[0] <= last]
    from_cache = max(first, history[-1][0] + DAY) if history else first
    cache_events = _cache_events(subscriptions, pre_orders, options, orders, from_cache=from_cache, last=last)
    load_cache = _cache_loader(
        subscriptions,
        [e for e in cache_events if e[0] <= from_cache],
        withdrawal_date=withdrawal_date,
        from_cache=from_cache,
        last=last,
    )
    state = _State()
    # The events in this order, for those of the same day and order within it (the sort keeps it).
    events = _options_added(state, options, first=first, last=last)
    events.extend(_usage_days(used_options, first=first, last=last))
    if history:
        main_id = subscriptions[0].subscription_id if subscriptions else 0
        events.extend(_history_events(state, history, main_id, first=first))
        if from_cache <= last:
            events.append((from_cache, 0, load_cache))
    else:
        load_cache(state)
    events.extend(e for e in cache_events if from_cache < e[0] <= last)
    if withdrawal_date is not None and withdrawal_date < last:
        # Billed up to and including the cancellation date.
        events.append((withdrawal_date + DAY, 9, lambda st: (st.subs.clear(), st.options.clear())))
    events.sort(key=lambda e: (e[0], e[1]))
    return _walk(state, events, members=members, used_options=used_options, first=first, last=last)


def _sub_of(sub: SoldSubscription) -> _Sub:
    """A subscription as the cache holds it."""
    return _Sub(sub.subscription_id, sub.product_id, sub.plan, sub.license_count)


def _cache_events(
    subscriptions: Sequence[SoldSubscription],
    pre_orders: Sequence[Scheduled],
    options: Sequence[SoldOption],
    orders: Sequence,
    *,
    from_cache: dt.date,
    last: dt.date,
) -> list[_Event]:
    """What the cache holds dated, in order: the subscriptions that start after `from_cache` (within the
    month), their scheduled changes and renewals, the pre-orders, the options' renewals and Trial ends, the
    option orders."""
    ordered = {o.option_product_id for o in orders}
    events: list[_Event] = []
    for sub in subscriptions:
        if from_cache < sub.plan_start_date <= last:

            def begin(st: _State, sub: SoldSubscription = sub) -> None:
                st.subs[sub.subscription_id] = _sub_of(sub)

            events.append((sub.plan_start_date, 1, begin))
        events.extend(_subscription_events(sub, ordered))
    for number, pre in enumerate(pre_orders, start=1):
        events.append(_pre_order_event(pre, number))
    for option in options:
        events.extend(_option_events(option))
    events.extend(_order_event(order) for order in orders)
    events.sort(key=lambda e: (e[0], e[1]))
    return events


def _cache_loader(
    subscriptions: Sequence[SoldSubscription],
    pending: Sequence[_Event],
    *,
    withdrawal_date: dt.date | None,
    from_cache: dt.date,
    last: dt.date,
) -> Callable[[_State], None]:
    """The event of `from_cache`, the first day the usage does not cover."""

    def load_cache(st: _State) -> None:
        """From `from_cache` on: the subscriptions as the cache holds them, and the changes scheduled before
        that day which the cache does not show applied yet (`pending`)."""
        st.subs.clear()
        if withdrawal_date is not None and withdrawal_date < from_cache:
            st.options.clear()
            return
        for sub in subscriptions:
            if not from_cache < sub.plan_start_date <= last:
                st.subs[sub.subscription_id] = _sub_of(sub)
        for event in pending:
            event[2](st)

    return load_cache


def _options_added(
    state: _State, options: Sequence[SoldOption], *, first: dt.date, last: dt.date
) -> list[_Event]:
    """Options as the cache holds them, each from the day it was added: those added by `first` put in `state`,
    the others an event of their day (the days their usage covers are replaced by what it recorded: `_walk`)."""
    events: list[_Event] = []
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
    return events


def _usage_days(used_options: Sequence[UsedOption], *, first: dt.date, last: dt.date) -> list[_Event]:
    """A day the options' recorded terms change is a day to take: an event that changes nothing."""
    events: list[_Event] = []
    for run in used_options:
        for day in (run.start, run.end + DAY):
            if first < day <= last:
                events.append((day, -2, _nothing))
    return events


def _snapshot(main_id: int, terms: tuple) -> Callable[[_State], None]:
    """The subscription as a day's usage snapshot shows it (`terms`: product, plan, licences; none without a
    product)."""

    def apply(st: _State) -> None:
        st.subs.clear()
        product, plan, licences = terms
        if product:
            st.subs[main_id] = _Sub(main_id, product, plan, licences)

    return apply


def _history_events(
    state: _State, history: Sequence[Snapshot], main_id: int, *, first: dt.date
) -> list[_Event]:
    """The days gone by as the usage snapshots show them: `state` as of `first` (the latest snapshot by then),
    then an event on each day the terms change."""
    before = [u for u in history if u[0] <= first]
    previous = tuple(before[-1][1:]) if before else ("", "", None)
    _snapshot(main_id, previous)(state)
    events: list[_Event] = []
    for day, *terms in history:
        if day > first and tuple(terms) != previous:
            previous = tuple(terms)
            events.append((day, -1, _snapshot(main_id, previous)))
    return events


def _walk(
    state: _State,
    events: Sequence[_Event],
    *,
    members: int | None,
    used_options: Sequence[UsedOption],
    first: dt.date,
    last: dt.date,
) -> list[Line]:
    """The month walked from `first`: on each day with events, they are applied to `state` in order and the
    lines whose terms changed are closed and opened again (`_terms`; on the days the options' usage covers,
    the options it recorded)."""
    used_last = max((run.end for run in used_options), default=None)
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


def steady_lines(
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
