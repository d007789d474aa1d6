"""The API's lists against the pages that show the same rows, in one run (prints figures; not a test).

``.venv/bin/python -m bench api [--customers 5000]``

Each pair is a list page and its API endpoint asked the same query (the same rows: the endpoint binds the page's
own filter form and calls the page's own selector and pager, docs/api.md): the Customers, Subscriptions and
Options lists (as they open, and searched by a word many customers share), a worklist section's full list and
the Scheduled changes agenda. On bench.frame's scratch SQLite database (production settings, seeded once and kept
for the next run of the same size), it prints for each: the queries of one request, the bytes of the answer, the
median wall time of MEASURED requests, and the instructions per request from one callgrind process (SQLite: the
database's work is counted too). The API's figures are beside the page's and divided by them; the run exits
non-zero when an endpoint costs more instructions than its page.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from bench.pages import WORD, Page

#: Requests counted per page, after one unmeasured warm-up request of it.
MEASURED = int(os.environ.get("BENCH_API_MEASURED", "10"))
#: An endpoint may cost at most this share of its page's instructions.
AT_MOST = 1.0


def pairs() -> list[tuple[Page, Page]]:
    """(page, endpoint) with the same query; each as the role that works with it."""
    found = []
    for label, path, api, params, role in (
        ("Customers", "/customers/", "/api/v1/customers", {"owner": "all"}, "admin"),
        ("Customers, searched", "/customers/", "/api/v1/customers", {"owner": "all", "q": WORD}, "admin"),
        ("Subscriptions", "/subscriptions/", "/api/v1/subscriptions", {"owner": "all"}, "account_manager"),
        (
            "Subscriptions, searched",
            "/subscriptions/",
            "/api/v1/subscriptions",
            {"owner": "all", "q": WORD},
            "account_manager",
        ),
        ("Options", "/options/", "/api/v1/options", {"owner": "all"}, "support"),
        (
            "Worklist: renewal decisions",
            "/work/renewal-decisions/",
            "/api/v1/worklists/renewal-decisions",
            {"owner": "all"},
            "account_manager",
        ),
        ("Scheduled changes", "/scheduled/", "/api/v1/scheduled-changes", {"owner": "all"}, "support"),
    ):
        found.append(
            (
                Page(f"{label}: page", path, params=params, role=role),
                Page(f"{label}: API", api, params=params, role=role, api=True),
            )
        )
    return found


def every_page() -> list[Page]:
    return [page for pair in pairs() for page in pair]


def run_counted() -> None:
    """In the process callgrind watches (bench.scale's loop, over these pages)."""
    from bench.scale import run_counted as counted

    counted(every_page(), MEASURED, frozen=True)


def count(path: Path) -> dict[str, float]:
    from bench.scale import callgrind_pages

    return callgrind_pages(
        ["bench.api", "--counted", str(path)],
        names=[p.label for p in every_page()],
        measured=MEASURED,
        env={},
        out="bench-api-callgrind",
    )


def measure() -> dict[str, tuple[int, int, float]]:
    """Each page's queries and bytes of one request, and the median milliseconds of MEASURED requests."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.pages import body
    from bench.scale import clients, request

    by_role = clients()
    out = {}
    for page in every_page():
        client = by_role[page.role]
        url = page.url()
        request(client, page, url=url)
        connection.queries_log.clear()  # a full log (the seed's) would capture nothing
        with CaptureQueriesContext(connection) as ctx:
            response = request(client, page, url=url)
        queries = len(ctx.captured_queries)  # now: the next request empties the log it reads
        times = []
        for _ in range(MEASURED):
            t0 = time.perf_counter()
            request(client, page, url=url)
            times.append((time.perf_counter() - t0) * 1000)
        out[page.label] = (queries, len(body(response)), statistics.median(times))
    return out


def report(customers: int, figures: dict, instructions: dict) -> int:
    print(f"\n{customers:,} customers, SQLite, production settings; {MEASURED} measured requests each")
    print(f"{'list':34} {'':5} {'queries':>7} {'bytes':>9} {'ms':>7} {'Minstr':>8} {'API ÷ page':>11}")
    worse = []
    for page, api in pairs():
        label = page.label.removesuffix(": page")
        for shown, which in ((page, "page"), (api, "API")):
            queries, size, ms = figures[shown.label]
            minstr = instructions.get(shown.label, float("nan"))
            ratio = ""
            if which == "API":
                share = minstr / instructions.get(page.label, float("nan"))
                ratio = f"{share:10.2f}×"
                if share > AT_MOST:
                    worse.append(label)
            print(
                f"{label if which == 'page' else '':34} {which:5} {queries:7d} {size:9,d} {ms:7.1f} {minstr:8.1f} {ratio:>11}"
            )
    if worse:
        print(f"Costs more than its page: {', '.join(worse)}")
        return 1
    print(f"Every endpoint costs at most {AT_MOST:g}× its page's instructions.")
    return 0


def main(argv: list[str]) -> int:
    from bench.frame import database, prepare, setup

    parser = argparse.ArgumentParser(prog="python -m bench api", description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=5000)
    args = parser.parse_args(argv)
    path = database(args.customers)
    setup(path)
    prepare(args.customers)
    figures = measure()
    from bench.scale import instructions_unavailable

    note = instructions_unavailable()
    if note:
        print(note)
    instructions = {} if note else count(path)
    return report(args.customers, figures, instructions)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--counted"]:
        from bench.frame import setup

        setup(Path(sys.argv[2]))
        run_counted()
    else:
        sys.exit(main(sys.argv[1:]))
