"""Days of the continuous refresh, simulated with a fake clock (no sandbox, no database): what the order
(`portal.core.sync.need.refresh_order`) and the paced calls keep fresh at a given size and rate. Played by
``python -m bench.customers needs`` and, at a fifth of 50,000 customers, by tests/core/test_refresh_order.py."""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass

from portal.core.sync.need import (
    DUE_AHEAD,
    DUE_DAYS,
    OPENED_WINDOW,
    OVERDUE_SHARE,
    TURN,
    batch_size,
    oldest_age_at,
    refresh_order,
)

#: The share of a batch the overdue copies took before reads for a decision (`simulate(as_before=True)`).
OVERDUE_SHARE_BEFORE = 0.8

#: What a read for a decision costs the busiest per-item operation in `simulate`: one call (the renewal settings of
#: the option that ends). An upper bound: a decision about a subscription, a scheduled change or an order calls it
#: none.
DUE_READ_ITEM_CALLS = 1.0


@dataclass(frozen=True)
class Simulated:
    """What `simulate` saw over its last day: the oldest copy among the customers people look at (a decision due
    within DUE_DAYS, a page opened today) at its worst, how many they were at most, the oldest copy of all at its
    worst, and the customers read by need (of them, read for their decision alone) and in turn."""

    looked_at_oldest: dt.timedelta
    looked_at: int
    oldest: dt.timedelta
    read_by_need: int
    read_in_turn: int
    read_for_decision: int = 0


def simulate(
    *,
    customers: int,
    due_share: float,
    opens_a_day: int,
    rate_per_minute: float,
    calls_per_customer: float = 1.0,
    as_before: bool = False,
    needs_only: bool = False,
    batch_seconds: int = 60,
    open_refresh_minutes: int = 10,
    days: int = 2,
    seed: int = 52,
) -> Simulated:
    """Play `days` days of the continuous refresh at `rate_per_minute` (the sustained rate: the refresh goes on
    for hours) with a fake clock, batch after batch as the worker chains them, and report the last day.

    The customers: `due_share` of them have a decision due within DUE_DAYS on any day (decision dates spread
    evenly over the days, so each midnight brings a day's worth into the window); `opens_a_day` customer pages are
    opened at random between 09:00 and 18:00, each reading its customer at once when its copy is older than
    `open_refresh_minutes` (REFRESH_ON_OPEN_MINUTES). A customer read whole costs each per-customer operation one
    call and the busiest per-item one `calls_per_customer`; a customer read for its decision alone
    (`Pick.whole` False) costs the per-item one DUE_READ_ITEM_CALLS at most. Each batch has the calls the engine
    gives it (`refresh_batch_size`: the rate's calls in `batch_seconds`), a customer read whole costing the last
    batch's per-item calls per customer read whole (`refresh_whole_cost`). `as_before` plays the refresh before
    reads for a decision: every customer read whole, a batch of the rate's calls over the last batch's calls per
    customer, its shares counted in customers, OVERDUE_SHARE_BEFORE. A batch lasts what the limiter's pace makes
    of its calls and of the opens' calls since the last batch (the operation that has most sets it); the next
    follows at once. `needs_only`: the refresh beside a full resync, which reads by need alone (no turn). A copy
    read during a batch counts
    as read at the batch's start (the worst case). At the start, copies are as a round of them in turn leaves
    them."""
    play = _Play(
        customers=customers,
        due_share=due_share,
        opens_a_day=opens_a_day,
        rate_per_minute=rate_per_minute,
        calls_per_customer=calls_per_customer,
        as_before=as_before,
        needs_only=needs_only,
        batch_seconds=batch_seconds,
        open_refresh_minutes=open_refresh_minutes,
        days=days,
        seed=seed,
    )
    now = play.start
    while now < play.start + dt.timedelta(days=days):
        now = play.batch(now)
        play.opens_until(now)
        if now >= play.measured_from:
            play.measure(now)
    return Simulated(play.late, play.most, play.worst, play.by_need, play.in_turn, play.for_decision)


class _Play:
    """The refresh as `simulate` plays it: each customer's copy, the turn (the oldest copy first), the decisions
    due by day, the pages opened, and what the last day saw."""

    def __init__(
        self,
        *,
        customers: int,
        due_share: float,
        opens_a_day: int,
        rate_per_minute: float,
        calls_per_customer: float,
        as_before: bool,
        needs_only: bool,
        batch_seconds: int,
        open_refresh_minutes: int,
        days: int,
        seed: int,
    ) -> None:
        import random
        from collections import OrderedDict

        rng = random.Random(seed)
        self.rate, self.calls, self.batch_seconds = rate_per_minute, calls_per_customer, batch_seconds
        self.as_before, self.needs_only = as_before, needs_only
        self.open_refresh = dt.timedelta(minutes=open_refresh_minutes)
        self.start = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)  # a midnight (the simulation's own business day)
        round_time = oldest_age_at(
            customers=customers, calls_per_customer=calls_per_customer, rate_per_minute=rate_per_minute
        )
        ids = list(range(customers))
        rng.shuffle(ids)
        self.copies: dict[int, dt.datetime | None] = {
            domain_id: self.start - round_time * (n + 1) / customers for n, domain_id in enumerate(ids)
        }
        self.turn: OrderedDict[int, None] = OrderedDict.fromkeys(ids)
        per_day = round(customers * due_share / DUE_DAYS)
        self.decisions = {
            day: rng.sample(range(customers), per_day) for day in range(-DUE_DAYS, days + DUE_DAYS + 1)
        }
        self.opens = sorted(
            (
                self.start + dt.timedelta(days=day, hours=9) + dt.timedelta(seconds=rng.uniform(0, 9 * 3600)),
                rng.randrange(customers),
            )
            for day in range(days)
            for _ in range(opens_a_day)
        )
        self.opened_at: dict[int, dt.datetime] = {}
        self.late = self.worst = dt.timedelta(0)
        self.most = self.by_need = self.in_turn = self.for_decision = 0
        self.per_customer = calls_per_customer  # the last batch's per-item calls per customer read whole
        self.spent_one = self.spent_items = 0.0  # calls the opens made since the last batch started
        self.measured_from = self.start + dt.timedelta(days=days - 1)

    def batch(self, now: dt.datetime) -> dt.datetime:
        """One batch at `now`, as the engine orders and paces it; when the next starts."""
        picks = self.picks(now)
        items = 0.0
        decided = 0  # customers read for their decision alone
        for pick in picks:
            self.copies[pick.domain_id] = now
            self.turn.move_to_end(pick.domain_id)
            whole = pick.whole or self.as_before
            items += self.calls if whole else min(self.calls, DUE_READ_ITEM_CALLS)
            decided += not whole
            if now >= self.measured_from:
                self.in_turn += pick.why == TURN
                self.by_need += pick.why != TURN
                self.for_decision += not whole
        if picks:
            # The engine's estimate (refresh_whole_cost): the per-item calls of the customers read whole, per
            # customer; a batch of reads for decisions alone leaves the last estimate.
            if len(picks) > decided:
                self.per_customer = max(
                    1.0, (items - decided * min(self.calls, DUE_READ_ITEM_CALLS)) / (len(picks) - decided)
                )
            minutes = max(len(picks) + self.spent_one, items + self.spent_items) / self.rate
            now += dt.timedelta(minutes=minutes)
        else:
            now += dt.timedelta(seconds=self.batch_seconds)  # nothing to read: beat's tick restarts the chain
        self.spent_one = self.spent_items = 0.0
        return now

    def picks(self, now: dt.datetime) -> list:
        """What `refresh_order` gives the batch at `now`."""
        day = (now - self.start).days
        midnight = self.start + dt.timedelta(days=day)
        ahead = (now + DUE_AHEAD - self.start).days  # the day the decisions come from in DUE_AHEAD
        due_ahead = {d for k in range(day, ahead + DUE_DAYS) for d in self.decisions[k]}
        today = {d for d, at in self.opened_at.items() if at >= midnight}
        if self.as_before:  # before: a batch of customers, each read whole
            size = batch_size(
                rate_per_minute=self.rate, seconds=self.batch_seconds, calls_per_customer=self.per_customer
            )
        else:  # the calls of the busiest operation, a customer read whole costing what the last batch's did
            size = batch_size(rate_per_minute=self.rate, seconds=self.batch_seconds, calls_per_customer=1)
        return refresh_order(
            now=now,
            size=size,
            whole_cost=1.0 if self.as_before else self.per_customer,
            overdue_share=OVERDUE_SHARE_BEFORE if self.as_before else OVERDUE_SHARE,
            needs={
                "due": due_ahead,
                "opened": [d for d in today if now - self.opened_at[d] <= OPENED_WINDOW],
                "today": today,
            },
            copies=self.copies,
            oldest=[] if self.needs_only else list(itertools.islice(self.turn, size + size // 2 + 1)),
        )

    def opens_until(self, now: dt.datetime) -> None:
        """The pages opened before `now`, each reading its customer when its copy is older than the setting."""
        while self.opens and self.opens[0][0] < now:
            at, domain_id = self.opens.pop(0)
            self.opened_at[domain_id] = at
            if at - (self.copies[domain_id] or at) > self.open_refresh:
                self.copies[domain_id] = at
                self.turn.move_to_end(domain_id)
                self.spent_one += 1
                self.spent_items += self.calls

    def measure(self, now: dt.datetime) -> None:
        """The oldest copy people look at, of all, and how many they look at, at `now`."""
        days = (now - self.start).days
        midnight = self.start + dt.timedelta(days=days)
        looked_at = {d for k in range(days, days + DUE_DAYS) for d in self.decisions[k]}
        looked_at.update(d for d, at in self.opened_at.items() if at >= midnight)
        oldest_looked_at = min((self.copies[d] or self.start for d in looked_at), default=now)
        self.late = max(self.late, now - oldest_looked_at)
        self.worst = max(self.worst, now - (self.copies[next(iter(self.turn))] or self.start))
        self.most = max(self.most, len(looked_at))
