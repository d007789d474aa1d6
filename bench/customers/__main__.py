"""Customers benchmarks (print figures; never tests): ``.venv/bin/python -m bench.customers [list] [resync] [refresh] [needs]``.

Each part runs in its own process on its own database (see bench/databases.py: a SQLite file under var/, and a
scratch PostgreSQL database when DATABASE_URL names a PostgreSQL server), so the figures do not depend on the
developer's data:

* ``bench.customers.list``: the customer list with 10,000 cached customers (search + filter + one page):
  median server time and SQL queries, side by side with Django admin's changelist on the same table;
* ``bench.customers.resync``: a full resync of 1,000 sandbox customers with the sandbox rate limit set to L:
  calls made per operation vs calls needed, elapsed time vs the rate-limit bound.
* ``bench.customers.refresh`` (asked by name): the continuous refresh's pace on 300 sandbox customers, and the
  oldest copy's age it holds at 1,000, 10,000 and 50,000 customers beside its bound.
* ``bench.customers.needs`` (asked by name): a day of the refresh simulated at 1,000 to 50,000 customers at half
  the limit: the oldest copy among the customers people look at, beside the goal of an hour, before and after
  reads for a decision (each size played both ways in one run).
"""

import os
import subprocess
import sys
from pathlib import Path

from bench.databases import targets

REPO = Path(__file__).resolve().parents[2]


def main(parts: list[str]) -> int:
    failed = 0
    for part in parts or ["list", "resync"]:
        for label, url in targets(f"customers-{part}"):
            env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": "", "LOG_LEVEL": "WARNING"}
            print(f"\n--- bench.customers.{part} on {label} ---", flush=True)
            failed |= subprocess.run(
                [sys.executable, "-m", f"bench.customers.{part}"], cwd=REPO, env=env
            ).returncode
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
