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
limit: the refresh goes on for hours); bench/customers/day.py plays days of batches at that pace with a fake
clock (`python -m bench.customers needs`).
A pure function of what it is given, `now` included (tests give it a fake clock).
"""

from __future__ import annotations

import datetime as dt
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
