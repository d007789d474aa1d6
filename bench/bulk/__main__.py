"""Bulk change benchmarks (print figures; never tests): ``.venv/bin/python -m bench.bulk [dryrun] [pace]``.

Each part runs in its own process on its own database (bench/databases.py: a SQLite file under var/, and a
scratch PostgreSQL database when DATABASE_URL names a PostgreSQL server):

* ``bench.bulk.dryrun``: the dry run of a bulk renewal of 2,000 subscriptions (every row checked against the
  contract's rules and the cache, nothing sent, the checked rows stored for the page), beside its reference:
  reading the same 2,000 rows once, as the action reads them. Time and SQL queries, interleaved, medians.
* ``bench.bulk.pace``: a batch of renewals sent to the sandbox through the change pipeline by two threads (as
  two workers would), each row paced by the client's rate limiter: elapsed time beside the rate-limit bound
  (the fastest the limit allows: one request per 1/rate s after the first). Goal: at most 1.05 x the bound.
"""

import os
import subprocess
import sys
from pathlib import Path

from bench.databases import targets

REPO = Path(__file__).resolve().parents[2]


def main(parts: list[str]) -> int:
    failed = 0
    for part in parts or ["dryrun", "pace"]:
        for label, url in targets(f"bulk-{part}"):
            env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": "", "LOG_LEVEL": "WARNING"}
            print(f"\n--- bench.bulk.{part} on {label} ---", flush=True)
            failed |= subprocess.run(
                [sys.executable, "-m", f"bench.bulk.{part}"], cwd=REPO, env=env
            ).returncode
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
