"""Options benchmarks (print figures; never tests):
``.venv/bin/python -m bench.options [list] [instructions] [resync]``.

Each part runs in its own process on its own database (see bench/databases.py: a SQLite file under var/, and a
scratch PostgreSQL database when DATABASE_URL names a PostgreSQL server), so the figures do not depend on the
developer's data:

* ``bench.options.list``: the global Options list with 10,000 cached customers and 25,000 cached options
  (search + filters + one page): median server time and SQL queries, side by side with the Customers list
  measured in the same run on the same database;
* ``bench.options.instructions``: the same Options and Customers requests in instructions per request,
  counted by valgrind's callgrind (SQLite only; several minutes): figures that repeat on a noisy machine;
* ``bench.options.resync``: a full resync of sandbox customers (BENCH_CUSTOMERS, default 300): for the option
  operations, calls made vs calls needed.

With no part named: list and resync (instructions only when asked, for its length).
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
        for label, url in targets(f"options-{part}"):
            env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": "", "LOG_LEVEL": "WARNING"}
            print(f"\n--- bench.options.{part} on {label} ---", flush=True)
            failed |= subprocess.run(
                [sys.executable, "-m", f"bench.options.{part}"], cwd=REPO, env=env
            ).returncode
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
