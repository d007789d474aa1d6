"""Billing benchmarks (print figures; never tests): ``.venv/bin/python -m bench.billing [pages] [fetch] [estimate]``.

Each part runs in its own process on its own database (bench/databases.py):

* ``bench.billing.pages``: 10,000 cached customers with 12 months of invoice details (about 30,000 items a
  month): a month's details page (filter + one page of 100, and the htmx partial) median time and SQL queries,
  next to Django admin's changelist of the same table; the variance check of a month, next to reading the
  month's items alone (the floor any check pays);
* ``bench.billing.estimate``: the running month's estimate at 10,000 customers (subscriptions, options, scheduled
  changes, the month's daily usage so far), next to reading their subscriptions and options once;
* ``bench.billing.fetch``: fetching a month from a sandbox (listInvoiceDetails walked 20 customers a page):
  calls made vs pages needed, elapsed time vs the rate-limit bound.
"""

import os
import subprocess
import sys
from pathlib import Path

from bench.databases import targets

REPO = Path(__file__).resolve().parents[2]


def main(parts: list[str]) -> int:
    failed = 0
    for part in parts or ["pages", "fetch", "estimate"]:
        for label, url in targets(f"billing-{part}"):
            env = {**os.environ, "DATABASE_URL": url, "REDIS_URL": "", "LOG_LEVEL": "WARNING"}
            print(f"\n--- bench.billing.{part} on {label} ---", flush=True)
            failed |= subprocess.run(
                [sys.executable, "-m", f"bench.billing.{part}"], cwd=REPO, env=env
            ).returncode
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
