"""The continuous refresh's order: which customers it reads next, by need, the rest in turn.

The refresh (engine.resync_refresh) reads a batch of customers at a time, as many as the calls of its busiest
operation allow in about RESYNC_REFRESH_BATCH_SECONDS, and asks `refresh_order` which. A customer is read ahead of
its turn when its copy is older than what its need allows (`KEEP_FRESH`), in this order of needs:

1. **failed**: the last read of it failed (retried once its copy is older than KEEP_FRESH["failed"]);
2. **due**: a decision about it is due soon (a scheduled change or a renewal within DUE_DAYS, declared by the
   apps: `declarations.DueSoon`);
3. **opened**: someone opened its page within OPENED_WINDOW;
4. **changed**: the portal wrote to it within CHANGED_WINDOW;
5. **today**: someone opened its page earlier today (the business day).

Within a need, the oldest copy first. Needs take at most NEED_SHARE of a batch, so the others' turn always comes:
the rest of the batch is the customers with the oldest copies (round robin: a customer read goes to the end).

What is read: a customer read for a decision due alone (no other need) is read for that decision (`Pick.whole`
False): every per-customer call, and of the per-item calls only those about the decision (`PerItem.due_items`:
the renewal settings of the option that ends, not of each option). Any other need, and the turn, read the customer
whole. A whole read costs the busiest operation more calls (`whole_cost`: a per-item operation's calls per
customer) than a read for a decision (one), and the shares are shares of those calls, so the turn's customers
cost what they cost.

What people look at (LOOKED_AT: a decision due within DUE_DAYS, a page opened today) is kept younger than
LOOKED_AT_GOAL (an hour): a copy of theirs older than OVERDUE comes before every need, the oldest first, and
may take up to OVERDUE_SHARE of a batch's calls (the other needs then have their share beyond it, within that).
So when many decisions fall due at once (a month's end at 50,000 customers), the refresh gives them more of its
calls for a while, and the turn still has the rest. The calls a batch has are the sustained rate's (half the
limit: the refresh goes on for hours); `simulate` plays a day of batches at that pace with a fake clock
(`python -m bench.customers needs` prints it at 50,000 customers, before and after reads for a decision).
A pure function of what it is given, `now` included (tests give it a fake clock).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: The needs, first first.
NEEDS = ("failed", "due", "opened", "changed", "today")
#: The needs of the customers people look at, whose oldest copy the Sync page shows.
LOOKED_AT = ("due", "opened", "today")
#: A customer in turn (no need, or its need's copy is fresh enough).
TURN = "turn"
#: How old the copy of a customer with each need may be before the refresh reads it ahead of its turn.
KEEP_FRESH = {
    "failed": dt.timedelta(minutes=2),
    "due": dt.timedelta(minutes=15),
    "opened": dt.timedelta(minutes=5),
    "changed": dt.timedelta(minutes=5),
    "today": dt.timedelta(minutes=30),
}
#: The oldest copy among the customers people look at stays younger than this.
LOOKED_AT_GOAL = dt.timedelta(hours=1)
#: A copy of a customer people look at this old is read before every need...
OVERDUE = dt.timedelta(minutes=40)
#: ...in up to this share of a batch's calls (the turn keeps the rest: at 50,000 customers the full resync reads
#: everyone whole too).
OVERDUE_SHARE = 0.9
#: The share before reads for a decision (`simulate(as_before=True)` plays that refresh).
OVERDUE_SHARE_BEFORE = 0.8
#: A customer whose page was opened within this long counts as opened recently.
OPENED_WINDOW = dt.timedelta(hours=1)
#: A customer the portal wrote to within this long counts as changed recently.
CHANGED_WINDOW = dt.timedelta(hours=1)
#: A decision due within this many days (today included) makes a customer's copy worth keeping fresh.
DUE_DAYS = 7
#: The decisions due are those of DUE_DAYS from this long ahead (today's included), so the customers a
#: midnight brings into the window are read in the hour before it, and fresh when it comes.
DUE_AHEAD = dt.timedelta(hours=1)
#: At most this share of a batch is read by need; the rest in turn.
NEED_SHARE = 0.5

_NEVER = dt.datetime.min.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Pick:
    domain_id: int
    why: str  # one of NEEDS, or TURN
    #: Read whole (every call of the customer), or, for a customer read only for a decision due (no other need:
    #: not failed, opened or changed), for that decision: every per-customer call, and of the per-item calls those
    #: about the decision (`PerItem.due_items`: the option that ends, not each option's renewal settings).
    whole: bool = True


def refresh_order(
    *,
    now: dt.datetime,
    size: float,
    needs: Mapping[str, Iterable[int]],
    copies: Mapping[int, dt.datetime | None],
    oldest: Iterable[int],
    whole_cost: float = 1.0,
    overdue_share: float = OVERDUE_SHARE,
) -> list[Pick]:
    """The next customers to read, as many as `size` calls of the busiest operation allow.

    `needs`: the customers of each need (keys of NEEDS); `copies`: when the copy of each live customer among
    them was read (a customer absent from it is not live and never picked; None: never read); `oldest`: live
    customers, the oldest copy first (at least as many as `size` allows when there are that many). A read for a
    decision (`Pick.whole` False) costs one call of the busiest operation, a customer read whole `whole_cost`
    (its calls per customer on the per-item operation), so the shares above are shares of the calls: the turn's
    customers, read whole, cost what they cost, not what a read for a decision does. With `whole_cost` 1, `size`
    is the batch's customers."""
    whole = {domain_id for need in NEEDS if need != "due" for domain_id in needs.get(need, ())}
    picked: dict[int, str] = {}
    spent = 0.0

    def take(domain_id: int, why: str, limit: float) -> bool:
        """Pick it if its read fits within `limit` calls (the first pick always fits)."""
        nonlocal spent
        cost = 1.0 if why == "due" and domain_id not in whole else max(1.0, whole_cost)
        if picked and spent + cost > limit:
            return False
        picked[domain_id] = why
        spent += cost
        return True

    overdue: dict[int, str] = {}
    for need in LOOKED_AT:
        for domain_id in needs.get(need, ()):
            if domain_id in copies and now - (copies[domain_id] or _NEVER) >= OVERDUE:
                overdue.setdefault(domain_id, need)
    late = sorted(overdue, key=lambda domain_id: (copies[domain_id] or _NEVER, domain_id))
    most = min(size, max(1, int(size * overdue_share)))
    for domain_id in late:
        if not take(domain_id, overdue[domain_id], most):
            break
    # The other needs: their share beyond the overdue copies, within the most a batch reads by need.
    base = min(size, max(1, int(size * NEED_SHARE)))
    share = min(most, spent + base) if picked else base
    for need in NEEDS:
        due = [
            domain_id
            for domain_id in set(needs.get(need, ()))
            if domain_id in copies
            and domain_id not in picked
            and now - (copies[domain_id] or _NEVER) >= KEEP_FRESH[need]
        ]
        due.sort(key=lambda domain_id: (copies[domain_id] or _NEVER, domain_id))
        for domain_id in due:
            if not take(domain_id, need, share):
                break
    for domain_id in oldest:
        if domain_id not in picked and not take(domain_id, TURN, size):
            break
    # A customer with a decision due and no other need is read for its decision; any other need reads it whole.
    return [
        Pick(domain_id, why, whole=why != "due" or domain_id in whole) for domain_id, why in picked.items()
    ]


def batch_size(*, rate_per_minute: float, seconds: float, calls_per_customer: float) -> int:
    """How many customers one batch reads: what the busiest operation's rate allows in `seconds`, each customer
    costing it `calls_per_customer` calls (1 for a per-customer operation; a per-item one's average items)."""
    return max(1, int(rate_per_minute * seconds / 60 / max(1.0, calls_per_customer)))


def oldest_age_at(*, customers: int, calls_per_customer: float, rate_per_minute: float) -> dt.timedelta:
    """The oldest copy's age the refresh holds with `customers` customers, nothing read by need: one round
    of them at the busiest operation's rate (`bench.customers refresh` prints it from the measured pace)."""
    return dt.timedelta(minutes=customers * max(1.0, calls_per_customer) / rate_per_minute)


# --- A day of the refresh, simulated (a fake clock): what the order and the paced calls keep fresh ---------------


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
    follows at once. A copy read during a batch counts
    as read at the batch's start (the worst case). At the start, copies are as a round of them in turn leaves
    them."""
    import random
    from collections import OrderedDict

    rng = random.Random(seed)
    start = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)  # a midnight (the simulation's own business day)
    round_time = oldest_age_at(
        customers=customers, calls_per_customer=calls_per_customer, rate_per_minute=rate_per_minute
    )
    ids = list(range(customers))
    rng.shuffle(ids)
    copies: dict[int, dt.datetime | None] = {
        domain_id: start - round_time * (n + 1) / customers for n, domain_id in enumerate(ids)
    }
    turn: OrderedDict[int, None] = OrderedDict.fromkeys(ids)  # the oldest copy first
    per_day = round(customers * due_share / DUE_DAYS)
    decisions = {day: rng.sample(range(customers), per_day) for day in range(-DUE_DAYS, days + DUE_DAYS + 1)}
    opens = sorted(
        (
            start + dt.timedelta(days=day, hours=9) + dt.timedelta(seconds=rng.uniform(0, 9 * 3600)),
            rng.randrange(customers),
        )
        for day in range(days)
        for _ in range(opens_a_day)
    )
    opened_at: dict[int, dt.datetime] = {}
    late = dt.timedelta(0)
    worst = dt.timedelta(0)
    most = 0
    by_need = in_turn = for_decision = 0
    per_customer = (
        calls_per_customer  # the last batch's calls per customer read whole on the per-item operation
    )
    spent_one = spent_items = 0.0  # calls the opens made since the last batch started
    measured_from = start + dt.timedelta(days=days - 1)
    now = start
    while now < start + dt.timedelta(days=days):
        day = (now - start).days
        midnight = start + dt.timedelta(days=day)
        ahead = (now + DUE_AHEAD - start).days  # the day the decisions come from in DUE_AHEAD
        due_ahead = {d for k in range(day, ahead + DUE_DAYS) for d in decisions[k]}
        today = {d for d, at in opened_at.items() if at >= midnight}
        if as_before:  # before: a batch of customers, each read whole
            size = batch_size(
                rate_per_minute=rate_per_minute, seconds=batch_seconds, calls_per_customer=per_customer
            )
        else:  # the calls of the busiest operation, a customer read whole costing what the last batch's did
            size = batch_size(rate_per_minute=rate_per_minute, seconds=batch_seconds, calls_per_customer=1)
        picks = refresh_order(
            now=now,
            size=size,
            whole_cost=1.0 if as_before else per_customer,
            overdue_share=OVERDUE_SHARE_BEFORE if as_before else OVERDUE_SHARE,
            needs={
                "due": due_ahead,
                "opened": [d for d in today if now - opened_at[d] <= OPENED_WINDOW],
                "today": today,
            },
            copies=copies,
            oldest=list(itertools.islice(turn, size + size // 2 + 1)),
        )
        items = 0.0
        decided = 0  # customers read for their decision alone
        for pick in picks:
            copies[pick.domain_id] = now
            turn.move_to_end(pick.domain_id)
            whole = pick.whole or as_before
            items += calls_per_customer if whole else min(calls_per_customer, DUE_READ_ITEM_CALLS)
            decided += not whole
            if now >= measured_from:
                in_turn += pick.why == TURN
                by_need += pick.why != TURN
                for_decision += not whole
        if picks:
            # The engine's estimate (refresh_whole_cost): the per-item calls of the customers read whole, per
            # customer; a batch of reads for decisions alone leaves the last estimate.
            if len(picks) > decided:
                per_customer = max(
                    1.0,
                    (items - decided * min(calls_per_customer, DUE_READ_ITEM_CALLS)) / (len(picks) - decided),
                )
            minutes = max(len(picks) + spent_one, items + spent_items) / rate_per_minute
            now += dt.timedelta(minutes=minutes)
        else:
            now += dt.timedelta(seconds=batch_seconds)  # nothing to read: beat's tick restarts the chain
        spent_one = spent_items = 0.0
        while opens and opens[0][0] < now:
            at, domain_id = opens.pop(0)
            opened_at[domain_id] = at
            if at - (copies[domain_id] or at) > dt.timedelta(minutes=open_refresh_minutes):
                copies[domain_id] = at
                turn.move_to_end(domain_id)
                spent_one += 1
                spent_items += calls_per_customer
        if now < measured_from:
            continue
        midnight = start + dt.timedelta(days=(now - start).days)
        looked_at = {
            d for k in range((now - start).days, (now - start).days + DUE_DAYS) for d in decisions[k]
        }
        looked_at.update(d for d, at in opened_at.items() if at >= midnight)
        oldest_looked_at = min((copies[d] or start for d in looked_at), default=now)
        late = max(late, now - oldest_looked_at)
        worst = max(worst, now - (copies[next(iter(turn))] or start))
        most = max(most, len(looked_at))
    return Simulated(late, most, worst, by_need, in_turn, for_decision)
