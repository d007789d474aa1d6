"""The home page's worklist with 10,000 cached customers (prints figures; not a test).

``.venv/bin/python -m bench.home [customers]`` (also run by ``make bench``; a smaller `customers` for a quick
look, its reference a fifth of it). It runs on a database of its own, made afresh:
var/bench-home.sqlite3, then a scratch PostgreSQL database when DATABASE_URL names a server
(bench/databases.py); both figures are printed.

Through Django's test client, signed in as an Account manager (who looks after one customer in twelve, as one of
ten; two in twelve are nobody's), Support, Finance and an Admin (everyone's, then the unassigned ones): the median server time of
the home page over RUNS requests and its SQL queries per request, first at SMALL_CUSTOMERS (the reference, in
the same run), then at CUSTOMERS, to show the time stays within the target and the query count does not grow.
The data has work of every kind: renewals and trials ending, trials in their grace period, scheduled changes,
customers near their maximum users, licence plans with unused licences, stale customers, operations unknown
or failed, recent activity, invoices and findings.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from pathlib import Path

import django

REPO = Path(__file__).resolve().parents[1]

if __name__ == "__main__" and not os.environ.get("BENCH_DATABASE_URL"):
    import subprocess

    from bench.databases import targets

    failed = 0
    for label, url in targets("home"):
        print(f"\n--- bench.home on {label} ---", flush=True)
        env = {**os.environ, "BENCH_DATABASE_URL": url}
        failed |= subprocess.run(
            [sys.executable, "-m", "bench.home", *sys.argv[1:]], cwd=REPO, env=env
        ).returncode
    sys.exit(1 if failed else 0)

os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
os.environ["DATABASE_URL"] = (
    os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{REPO / 'var' / 'bench-home.sqlite3'}"
)
os.environ["REDIS_URL"] = ""
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.common import sign_in, timed_get  # noqa: E402
from bench.seed import customers_seed  # noqa: E402
from billing.models import Finding, Invoice  # noqa: E402
from customers.models import Customer  # noqa: E402
from portal.core import clock  # noqa: E402
from portal.core.models import Operation  # noqa: E402
from portal.core.sync.full import refresh_planner_statistics  # noqa: E402
from subscriptions.models import PreOrder, Reservation, Subscription  # noqa: E402

CUSTOMERS = (
    int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isascii() and sys.argv[1].isdigit() else 10_000
)
SMALL_CUSTOMERS = CUSTOMERS // 5
#: The Account managers' ids: customer i is looked after by MANAGERS[i % 12], nobody's when i % 12 >= 10.
MANAGERS: list[int] = []
RUNS = 25
TARGET_MS = 50
URL = "/"


def seed(first: int, customers: int, rng: random.Random) -> None:
    """Customers first..first+customers-1 as bench.seed makes them (`bench.seed.customers_seed`: the home
    page's work of every kind), looked after by MANAGERS; with planner statistics, as a full resync leaves
    them."""
    customers_seed(first, customers, rng, managers=MANAGERS)
    refresh_planner_statistics()


def measure(client: Client) -> tuple[float, float, int, int]:
    """Median milliseconds over RUNS requests (wall clock, and this process's CPU time: SQLite runs in the
    process, so the CPU time is the page's own cost even when other processes share the cores), SQL queries
    per request, response size in kB."""
    client.get(URL)  # warm-up: templates, translations
    timings, cpu, counts = [], [], set()
    for _ in range(RUNS):
        t0 = time.process_time()
        ms, queries, response = timed_get(client, URL, {})
        cpu.append((time.process_time() - t0) * 1000)
        timings.append(ms)
        counts.add(queries)
    assert len(counts) == 1, f"query count varies between identical requests: {counts}"
    return statistics.median(timings), statistics.median(cpu), counts.pop(), len(response.content) // 1024


def main() -> int:
    call_command("migrate", verbosity=0)
    from accounts.services import user_create_with_role
    from portal.core.access import Role

    clients = {}
    for role in (Role.ACCOUNT_MANAGER, Role.SUPPORT, Role.FINANCE, Role.ADMIN):
        client = Client()
        user = user_create_with_role(username=f"bench-{role.value}", password="bench-pass-123", role=role)
        sign_in(client, user)
        clients[role.label] = client
        if role == Role.ACCOUNT_MANAGER:
            MANAGERS.append(user.pk)
    for n in range(9):
        colleague = user_create_with_role(
            username=f"bench-manager-{n}", password="bench-pass-123", role=Role.ACCOUNT_MANAGER
        )
        MANAGERS.append(colleague.pk)
    # The Admin's second look: the unassigned customers' work (the choice is remembered in the session).
    unassigned = Client()
    sign_in(
        unassigned,
        user_create_with_role(username="bench-admin-2", password="bench-pass-123", role=Role.ADMIN),
    )
    unassigned.get(URL, {"owner": "none"})
    clients["Admin (unassigned)"] = unassigned
    rng = random.Random(14)
    Invoice.objects.create(
        year=2026, month=10, total_amount=1_234_567, payment_status="UNPAID", synced_at=timezone.now()
    )
    print(f"today (business date): {clock.today()}; {RUNS} requests each")
    seed(0, SMALL_CUSTOMERS, rng)
    small = {name: measure(client) for name, client in clients.items()}
    t0 = time.perf_counter()
    seed(SMALL_CUSTOMERS, CUSTOMERS - SMALL_CUSTOMERS, rng)
    print(
        f"seeded {Customer.objects.count():,} customers, {Subscription.objects.count():,} subscriptions, "
        f"{PreOrder.objects.count() + Reservation.objects.count():,} scheduled changes, "
        f"{Operation.objects.count():,} operations, {Finding.objects.count():,} findings "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    print(f"load average (1 min) during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(
        f"{'home page as':18} {'median ms':>9} {'CPU ms':>7} {'SQL':>4} {'kB':>4}   reference at "
        f"{SMALL_CUSTOMERS:,} customers: {'median ms':>9} {'CPU ms':>7} {'SQL':>4}"
    )
    failed = False
    for name, client in clients.items():
        ms, cpu, queries, size = measure(client)
        small_ms, small_cpu, small_queries, _ = small[name]
        print(
            f"{name:18} {ms:9.1f} {cpu:7.1f} {queries:4d} {size:4d}   {'':>30}"
            f"{small_ms:9.1f} {small_cpu:7.1f} {small_queries:4d}"
        )
        failed |= queries != small_queries
        if ms > TARGET_MS:
            print(f"OVER TARGET: {name}'s home page takes {ms:.1f} ms (median; target <= {TARGET_MS} ms)")
            failed = True
    if failed:
        print("FAILED: see above", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
