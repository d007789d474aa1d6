"""What the continuous refresh keeps fresh at 1,000, 10,000 and 50,000 customers, simulated (no sandbox, no
database): `portal.core.sync.need.simulate` plays two days of batches with a fake clock at the sustained rate (half
of 240 calls a minute: the refresh goes on for hours) and prints the second day's worst oldest copy among the
customers people look at (a decision due within 7 days, a page opened today), beside the goal (an hour), and the
oldest copy of all.

The customers are bench.seed's: 9 % with a decision due within 7 days (180 of 2,000 seeded), OPENS_A_DAY pages
a working day for each Account manager and Support contact. The calls a customer costs the refresh's busiest
operation: 1 (the sandbox's customers, as ``bench.customers refresh`` measures them) and 2.5 (bench.seed's
options, each one's renewal settings read). Run through ``python -m bench.customers needs``; BENCH_SIZES
(comma-separated) chooses the sizes.
"""

from __future__ import annotations

import os
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()

from bench.seed import OPENS_A_DAY, PEOPLE  # noqa: E402
from portal.core.sync import need  # noqa: E402

DUE_SHARE = 0.09
SIZES = tuple(int(n) for n in os.environ.get("BENCH_SIZES", "1000,10000,50000").split(","))
RATE = 240 * 0.5


def main() -> None:
    opens = OPENS_A_DAY * (len(PEOPLE["account_manager"]) + len(PEOPLE["support"]))
    print(
        f"rate {RATE:.0f} calls a minute per operation; {opens} pages opened a day; {DUE_SHARE:.0%} due in 7 days"
    )
    print(
        f"{'customers':>10} {'calls/cust':>10} {'looked at':>10} {'oldest of them':>15} {'goal':>6} {'oldest of all':>14}"
    )
    for calls in (1.0, 2.5):
        for size in SIZES:
            t0 = time.perf_counter()
            day = need.simulate(
                customers=size,
                due_share=DUE_SHARE,
                opens_a_day=opens,
                rate_per_minute=RATE,
                calls_per_customer=calls,
            )
            ok = "ok" if day.looked_at_oldest < need.LOOKED_AT_GOAL else "OVER"
            print(
                f"{size:>10,} {calls:>10} {day.looked_at:>10,} {str(day.looked_at_oldest):>15} {ok:>6} "
                f"{str(day.oldest):>14}  ({time.perf_counter() - t0:.0f} s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
