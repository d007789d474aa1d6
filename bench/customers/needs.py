"""What the continuous refresh keeps fresh at 1,000, 10,000 and 50,000 customers, simulated (no sandbox, no
database): `bench.customers.day.simulate` plays two days of batches with a fake clock at the sustained rate
(half of 240 calls a minute: the refresh goes on for hours) and prints the second day's worst oldest copy among the
customers people look at (a decision due within 7 days, a page opened today), beside the goal (an hour), and the
oldest copy of all; each size twice, in one run: "before", every customer read whole (the refresh until now), and
"after", a customer read for its decision due alone reads its per-item calls about that decision only.

The customers are bench.seed's: 9 % with a decision due within 7 days (180 of 2,000 seeded), OPENS_A_DAY pages
a working day for each Account manager and Support contact. The calls a customer read whole costs the refresh's
busiest operation: 1 (the sandbox's customers, as ``bench.customers refresh`` measures them) and 2.5 (bench.seed's
options, each one's renewal settings read); a read for a decision costs it one
(bench.customers.day.DUE_READ_ITEM_CALLS, an upper bound). Last, at 2.5 calls, the refresh beside a full resync: while one runs (at 50,000 customers, most of the
day: a pass is 125,000 calls of the busiest operation) the refresh reads by need only and the limiter shares each
operation's rate between them, about half each; then the same with the full resync giving way to the refresh
while it has customers to read by need (RESYNC_FULL_SHARE_GIVING_WAY: the refresh has the rest of the rate). Run
through ``python -m bench.customers needs``; BENCH_SIZES (comma-separated) chooses the sizes, BENCH_ALONGSIDE_ONLY=1
runs only the last two.
"""

from __future__ import annotations

import os
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()

from bench.customers import day as day_of  # noqa: E402
from bench.seed import OPENS_A_DAY, PEOPLE  # noqa: E402
from portal.core.sync import need  # noqa: E402

DUE_SHARE = 0.09
SIZES = tuple(int(n) for n in os.environ.get("BENCH_SIZES", "1000,10000,50000").split(","))
RATE = 240 * 0.5


def main() -> None:
    opens = OPENS_A_DAY * (len(PEOPLE["account_manager"]) + len(PEOPLE["support"]))
    print(
        f"rate {RATE:.0f} calls a minute per operation; {opens} pages opened a day; {DUE_SHARE:.0%} due in 7 days; "
        f"goal: the oldest copy people look at under {need.LOOKED_AT_GOAL}"
    )
    print(
        f"{'customers':>10} {'calls/cust':>10} {'read':>7} {'looked at':>10} {'oldest of them':>15} {'goal':>6} "
        f"{'oldest of all':>14} {'for decision':>13}"
    )
    # The refresh alone at the sustained rate; then beside a full resync (at 50,000 customers one runs most of
    # the day), which takes about half of each operation's rate through the one limiter, or gives way to it.
    from django.conf import settings

    giving_way = RATE * (1 - settings.RESYNC_FULL_SHARE_GIVING_WAY)
    runs = [
        (calls, RATE, "") for calls in (1.0, 2.5)
    ] + [  # beside a full resync the refresh reads by need alone
        (2.5, RATE / 2, "with a full resync alongside"),
        (2.5, giving_way, "with a full resync alongside, giving way"),
    ]
    if os.environ.get("BENCH_ALONGSIDE_ONLY"):
        runs = runs[2:]
    for calls, rate, note in runs:
        if note:
            print(f"{note}: the refresh has {rate:.0f} calls a minute per operation")
        for size in SIZES:
            for label, whole in (("before", True), ("after", False)):
                t0 = time.perf_counter()
                day = day_of.simulate(
                    customers=size,
                    due_share=DUE_SHARE,
                    opens_a_day=opens,
                    rate_per_minute=rate,
                    calls_per_customer=calls,
                    as_before=whole,
                    needs_only=bool(note),
                )
                ok = "ok" if day.looked_at_oldest < need.LOOKED_AT_GOAL else "OVER"
                reads = day.read_by_need + day.read_in_turn
                print(
                    f"{size:>10,} {calls:>10} {label:>7} {day.looked_at:>10,} {_age(day.looked_at_oldest):>15} "
                    f"{ok:>6} {_age(day.oldest):>14} {day.read_for_decision / max(1, reads):>13.0%}"
                    f"  ({time.perf_counter() - t0:.0f} s)",
                    flush=True,
                )


def _age(age) -> str:
    minutes = round(age.total_seconds() / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"


if __name__ == "__main__":
    main()
