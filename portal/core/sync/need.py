"""The continuous refresh's order: which customers it reads next, by need, the rest in turn.

The refresh (engine.resync_refresh) reads a batch of customers at a time, as many as the rate limit lets it read
in about RESYNC_REFRESH_BATCH_SECONDS, and asks `refresh_order` which. A customer is read ahead of its turn when its
copy is older than what its need allows (`KEEP_FRESH`), in this order of needs:

1. **failed**: the last read of it failed (retried once its copy is older than KEEP_FRESH["failed"]);
2. **due**: a decision about it is due soon (a scheduled change or a renewal within DUE_DAYS, declared by the
   apps: `declarations.DueSoon`);
3. **opened**: someone opened its page within OPENED_WINDOW;
4. **changed**: the portal wrote to it within CHANGED_WINDOW.

Within a need, the oldest copy first. Needs take at most NEED_SHARE of a batch, so the others' turn always comes:
the rest of the batch is the customers with the oldest copies (round robin: a customer read goes to the end).
A pure function of what it is given, `now` included (tests give it a fake clock).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

#: The needs, first first.
NEEDS = ("failed", "due", "opened", "changed")
#: A customer in turn (no need, or its need's copy is fresh enough).
TURN = "turn"
#: How old the copy of a customer with each need may be before the refresh reads it ahead of its turn.
KEEP_FRESH = {
    "failed": dt.timedelta(minutes=2),
    "due": dt.timedelta(minutes=15),
    "opened": dt.timedelta(minutes=5),
    "changed": dt.timedelta(minutes=5),
}
#: A customer whose page was opened within this long counts as opened recently.
OPENED_WINDOW = dt.timedelta(hours=1)
#: A customer the portal wrote to within this long counts as changed recently.
CHANGED_WINDOW = dt.timedelta(hours=1)
#: A decision due within this many days (today included) makes a customer's copy worth keeping fresh.
DUE_DAYS = 7
#: At most this share of a batch is read by need; the rest in turn.
NEED_SHARE = 0.5

_NEVER = dt.datetime.min.replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class Pick:
    domain_id: int
    why: str  # one of NEEDS, or TURN


def refresh_order(
    *,
    now: dt.datetime,
    size: int,
    needs: Mapping[str, Iterable[int]],
    copies: Mapping[int, dt.datetime | None],
    oldest: Iterable[int],
) -> list[Pick]:
    """The next `size` customers to read.

    `needs`: the customers of each need (keys of NEEDS); `copies`: when the copy of each live customer among
    them was read (a customer absent from it is not live and never picked; None: never read); `oldest`: live
    customers, the oldest copy first (at least `size` of them when there are that many)."""
    picked: dict[int, str] = {}
    share = min(size, max(1, int(size * NEED_SHARE)))
    for need in NEEDS:
        due = [
            domain_id
            for domain_id in set(needs.get(need, ()))
            if domain_id in copies
            and domain_id not in picked
            and now - (copies[domain_id] or _NEVER) >= KEEP_FRESH[need]
        ]
        due.sort(key=lambda domain_id: (copies[domain_id] or _NEVER, domain_id))
        for domain_id in due[: share - len(picked)]:
            picked[domain_id] = need
    for domain_id in oldest:
        if len(picked) >= size:
            break
        picked.setdefault(domain_id, TURN)
    return [Pick(domain_id, why) for domain_id, why in picked.items()]


def batch_size(*, rate_per_minute: float, seconds: float, calls_per_customer: float) -> int:
    """How many customers one batch reads: what the busiest operation's rate allows in `seconds`, each customer
    costing it `calls_per_customer` calls (1 for a per-customer operation; a per-item one's average items)."""
    return max(1, int(rate_per_minute * seconds / 60 / max(1.0, calls_per_customer)))


def oldest_age_at(*, customers: int, calls_per_customer: float, rate_per_minute: float) -> dt.timedelta:
    """The oldest copy's age the refresh holds with `customers` customers, nothing read by need: one round
    of them at the busiest operation's rate (`bench.customers refresh` prints it from the measured pace)."""
    return dt.timedelta(minutes=customers * max(1.0, calls_per_customer) / rate_per_minute)
