"""`python -m bench seed`: the command (bench/seed/__init__.py says what it writes)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def setup(url: str) -> None:
    """Django on the database `url` (before any model is imported)."""
    import django

    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    os.environ["REDIS_URL"] = ""
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    django.setup()


def _about() -> str:
    """The first paragraph of the package's docstring."""
    import bench.seed

    return (bench.seed.__doc__ or "").split("\n\n")[0]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench seed", description=_about())
    parser.add_argument("--customers", type=int, default=1000, help="how many customers (10-200000)")
    parser.add_argument("--months", type=int, default=12, help="months of history (0-36)")
    parser.add_argument(
        "--database",
        default="",
        help="the database's URL (default DATABASE_URL, else var/bench-seed.sqlite3)",
    )
    parser.add_argument(
        "--history-only",
        action="store_true",
        help="only the history of the customers the database holds (the soak's, after its first resync)",
    )
    args = parser.parse_args(argv)
    if not 10 <= args.customers <= 200_000 or not 0 <= args.months <= 36:
        parser.error("--customers 10-200000, --months 0-36")
    url = (
        args.database or os.environ.get("DATABASE_URL") or f"sqlite:///{REPO / 'var' / 'bench-seed.sqlite3'}"
    )
    setup(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from bench.seed.database import history, seed
    from customers.models import Customer

    t0 = time.perf_counter()
    if args.history_only:
        if not Customer.objects.exists():
            print("--history-only: the database holds no customers to give a history.", file=sys.stderr)
            return 2
        written = history(months=args.months, verbose=True)
        args.customers = Customer.objects.count()
    elif Customer.objects.exists():
        print("The database holds customers already: seed an empty one.", file=sys.stderr)
        return 2
    else:
        written = seed(customers=args.customers, months=args.months, verbose=True)
    print(
        f"seeded {args.customers:,} customers and {args.months} months in {time.perf_counter() - t0:.0f} s:"
    )
    for label, n in sorted(written.items()):
        print(f"  {label:32} {n:>12,}")
    return 0
