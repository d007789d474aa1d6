"""The page frame: instructions per request of a few portal pages beside Django admin's changelist of the same
customers, from one callgrind process on SQLite (prints figures; not a test).

``.venv/bin/python -m bench frame [--customers 1000] [--profile PAGE]``

It makes a scratch SQLite database (var/bench-frame-<customers>.sqlite3, migrated at every run, seeded once and
kept for the next run of the same size), with production settings (DEBUG off: `setup`), grows it with bench.seed (no history) and runs bench.scale's callgrind
harness on the pages below: one process under valgrind, uninstrumented but for each page's MEASURED requests (after one unmeasured warm-up
request of each page). SQLite, so the database's work is inside the process and counted too. The last lines give
each page's ratio to the admin changelist, measured in the same run: the goal of issue 29, point 5, is the
Customers list at 3× fewer instructions than the changelist or better.

``--profile PAGE`` prints cProfile's costliest functions (cumulative) of MEASURED requests of that page instead,
to find what a page pays before its own work.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from pathlib import Path

from bench.pages import Page

REPO = Path(__file__).resolve().parents[1]
GOAL = 3.0
#: Requests counted per page, after one unmeasured warm-up request of it.
MEASURED = int(os.environ.get("BENCH_FRAME_MEASURED", "10"))


def frame_pages() -> list[Page]:
    """The pages measured; BENCH_FRAME_ONLY (names separated by "|") keeps some of them."""
    chosen = [
        Page("Customers list", "/customers/"),
        Page("Home, Admin", "/"),
        Page("Home, Account manager", "/", role="account_manager"),
        Page("Subscriptions list", "/subscriptions/"),
        Page("Health check (middleware, signed in)", "/healthz"),
        Page("Change password (frame and a small form)", "/accounts/password_change/"),
        Page("Customers list, htmx results", "/customers/", params={"q": "サクラ"}, target="results"),
        # A page of changes drawn by day (the core renderer's grouped list), and the month grid (its template).
        Page("Scheduled changes, agenda", "/scheduled/", params={"owner": "all"}),
        Page("Scheduled changes, agenda, htmx", "/scheduled/", params={"owner": "all"}, target="agenda"),
        Page("Scheduled changes, calendar", "/scheduled/", params={"owner": "all", "view": "calendar"}),
        Page("admin changelist: customers", "/admin/customers/customer/", reference=True),
    ]
    only = [name for name in os.environ.get("BENCH_FRAME_ONLY", "").split("|") if name]
    return [page for page in chosen if page.label in only] if only else chosen


def database(customers: int) -> Path:
    return REPO / "var" / f"bench-frame-{customers}.sqlite3"


def setup(path: Path) -> None:
    """Production settings (DEBUG off, as bench.load serves and users get: no SQL kept per query, the static
    files' manifest), on the SQLite file at `path`, with the file cache of one machine (no server needed)."""
    import django

    from bench.load import production_env

    os.environ.update(production_env(path.with_name("bench-frame-partner-api-key.pem")))
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    os.environ["REDIS_URL"] = ""
    os.environ.setdefault(
        "SECRET_KEY", secrets.token_urlsafe(50)
    )  # one key for this process and the measured
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    django.setup()


def prepare(customers: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from bench.scale import clients
    from bench.seed import seed
    from customers.models import Customer

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # as the README's deployment does
    if not Customer.objects.exists():
        t0 = time.perf_counter()
        seed(customers=customers, months=0)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        print(
            f"grew to {Customer.objects.count():,} customers in {time.perf_counter() - t0:.1f} s", flush=True
        )
    clients()  # the users, made here rather than in the measured process


def run_counted() -> None:
    """In the process callgrind watches (bench.scale's loop, over this benchmark's pages)."""
    from bench.scale import run_counted as counted

    counted(frame_pages(), MEASURED, frozen=True)


def count(path: Path) -> dict[str, float]:
    from bench.scale import callgrind_pages

    return callgrind_pages(
        ["bench.frame", "--counted", str(path)],
        names=[p.label for p in frame_pages()],
        measured=MEASURED,
        env={},
        out="bench-frame-callgrind",
    )


def profile(name: str) -> None:
    import cProfile
    import pstats

    from bench.scale import clients, request

    page = next((p for p in frame_pages() if p.label == name), None)
    if page is None:
        raise SystemExit(
            f"--profile: no such page: {name} (one of: {', '.join(p.label for p in frame_pages())})"
        )
    client = clients()[page.role]
    request(client, page)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(MEASURED):
        request(client, page)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(60)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench frame", description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--profile", default="", metavar="PAGE", help="cProfile one page instead")
    args = parser.parse_args(argv)
    path = database(args.customers)
    setup(path)
    prepare(args.customers)
    if args.profile:
        profile(args.profile)
        return 0
    from bench.scale import instructions_unavailable

    note = instructions_unavailable()
    if note:
        print(note)
        return 0
    figures = count(path)
    admin = figures.get("admin changelist: customers", float("nan"))
    print(
        f"\n{args.customers:,} customers, SQLite, {MEASURED} measured requests per page (one callgrind run)"
    )
    print(f"{'page':42} {'Minstr':>8} {'admin ÷ page':>13}")
    for page in frame_pages():
        value = figures[page.label]
        print(f"{page.label:42} {value:8.1f} {admin / value:12.2f}×")
    ratio = admin / figures.get("Customers list", float("nan"))
    print(f"Customers list: {ratio:.2f}× fewer instructions than the admin changelist (goal ≥ {GOAL:g}×)")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--counted"]:
        setup(Path(sys.argv[2]))
        run_counted()
    else:
        sys.exit(main(sys.argv[1:]))
