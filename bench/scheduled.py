"""The Scheduled changes page with 10,000 cached customers and 5,000 upcoming items (prints figures; not a test).

``.venv/bin/python -m bench.scheduled`` (also run by ``make bench``). It runs on a database of its own, made
afresh: var/bench-scheduled.sqlite3, then a scratch PostgreSQL database when DATABASE_URL names a server
(bench/databases.py); both figures are printed.

Through Django's test client as a signed-in Account manager (so every item carries its form's link too):
the agenda over the default range, its htmx partial, the calendar of this month and one filtered request
(customer search + two types), each on the manager's own customers (the Owner filter's "Mine", where the page
opens: the seed gives them none, so these draw no item), then the agenda, its partial and the calendar on
everyone's customers (a page of items drawn). For each: the median server time over RUNS requests and the SQL queries per
request, first at a smaller size (SMALL_*), then at the full size, to show the query count does not grow.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import sys
import time
from pathlib import Path

import django

REPO = Path(__file__).resolve().parents[1]

if __name__ == "__main__" and not os.environ.get("BENCH_DATABASE_URL"):
    # Once per database (bench/databases.py: SQLite, and PostgreSQL when DATABASE_URL names a server).
    import subprocess

    from bench.databases import targets

    failed = 0
    for label, url in targets("scheduled"):
        print(f"\n--- bench.scheduled on {label} ---", flush=True)
        env = {**os.environ, "BENCH_DATABASE_URL": url}
        failed |= subprocess.run([sys.executable, "-m", "bench.scheduled"], cwd=REPO, env=env).returncode
    sys.exit(1 if failed else 0)

os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
os.environ["DATABASE_URL"] = (
    os.environ.get("BENCH_DATABASE_URL") or f"sqlite:///{REPO / 'var' / 'bench-scheduled.sqlite3'}"
)
os.environ["REDIS_URL"] = ""
os.environ.setdefault("LOG_LEVEL", "WARNING")
# The test client's host; not the test environment, whose template instrumentation would distort the timings.
os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.common import company_name, sign_in, timed_get  # noqa: E402
from customers.models import Customer  # noqa: E402
from portal.core import clock  # noqa: E402
from portal.core.sync.full import refresh_planner_statistics  # noqa: E402
from subscriptions.models import PreOrder, Reservation, Subscription  # noqa: E402

CUSTOMERS, ITEMS = 10_000, 5_000
SMALL_CUSTOMERS, SMALL_ITEMS = 2_000, 500
HORIZON = 92
RUNS = 25
URL = "/scheduled/"


def seed(first: int, customers: int, items: int, rng: random.Random) -> None:
    """Customers first..first+customers-1, each with a paid subscription (renewing unchanged unless it is one
    of the items), and `items` upcoming changes: 40 % pre-orders (within the contract's 31 days), 30 %
    reservations and 30 % renewal changes over the next HORIZON days. One in ten customers is removed, and
    as many renewal changes again lie beyond the horizon, so the filters have rows to leave out."""
    now, today = timezone.now(), clock.today()
    rows, subs = [], []
    for i in range(first, first + customers):
        c, sub = _customer(i, rng, now=now, today=today)
        rows.append(c)
        subs.append(sub)
    live = [s for s, c in zip(subs, rows, strict=True) if c.removed_at is None]
    rng.shuffle(live)
    n_pre, n_res = items * 4 // 10, items * 3 // 10
    n_renew = items - n_pre - n_res
    _renewals_changed(live[:n_renew], live[n_renew : 2 * n_renew], rng, today=today)
    reservations = [
        Reservation(
            subscription_id=s.subscription_id,
            customer_id=s.customer_id,
            type=rng.choice(["ADD_LICENSE", "CANCEL"]),
            apply_date=today + dt.timedelta(days=rng.randint(1, HORIZON)),
            license_count=rng.randint(1, 50),
            synced_at=now,
        )
        for s in live[2 * n_renew : 2 * n_renew + n_res]
    ]
    pre_orders = _pre_orders(first, n_pre, live, rng, now=now, today=today)
    with transaction.atomic():
        Customer.objects.bulk_create(rows, batch_size=1000)
        Subscription.objects.bulk_create(subs, batch_size=1000)
        Reservation.objects.bulk_create(reservations, batch_size=1000)
        PreOrder.objects.bulk_create(pre_orders, batch_size=1000)
    # As a full resync leaves the database: with planner statistics.
    refresh_planner_statistics()


def _customer(
    i: int, rng: random.Random, *, now: dt.datetime, today: dt.date
) -> tuple[Customer, Subscription]:
    """Customer i (one in ten removed) and its paid subscription, renewing unchanged after the horizon."""
    c = Customer(
        domain_id=30_000_000 + i,
        tenant_id=30_000_000 + i,
        domain=f"s{i:05d}.example.jp",
        domain_type="DOMAIN",
        company_name=company_name(rng, ["株式会社", "", "合同会社"], i),
        customer_code=f"SC-{i:05d}",
        product_id=rng.choice(["STD", "ADV"]),
        plan="ANNUAL_LICENSE",
        usage_status="ACTIVE",
        member_count=rng.randint(1, 500),
        max_member_count=500,
        removed_at=now if i % 10 == 9 else None,
        synced_at=now,
    )
    c.refresh_derived()
    subscription = Subscription(
        subscription_id=90_000_000 + i,
        customer_id=c.domain_id,
        product_id=c.product_id,
        plan="ANNUAL_LICENSE",
        plan_start_date=today - dt.timedelta(days=200),
        plan_end_date=today + dt.timedelta(days=rng.randint(HORIZON + 1, 400)),
        license_count=rng.randint(5, 500),
        status="ACTIVE",
        renewal_type="STAY",
        synced_at=now,
    )
    return c, subscription


def _renewals_changed(
    within: list[Subscription], beyond: list[Subscription], rng: random.Random, *, today: dt.date
) -> None:
    """Renewal changes ending within the horizon (changed or cancelled), and as many beyond it (cancelled)."""
    for s in within:
        s.renewal_type = rng.choice(["CHANGE", "CANCEL"])
        s.plan_end_date = today + dt.timedelta(days=rng.randint(0, HORIZON - 1))
        if s.renewal_type == "CHANGE":
            s.renewal_plan, s.renewal_license_count = "ANNUAL_LICENSE", rng.randint(5, 800)
    for s in beyond:
        s.renewal_type = "CANCEL"


def _pre_orders(
    first: int, count: int, live: list[Subscription], rng: random.Random, *, now: dt.datetime, today: dt.date
) -> list[PreOrder]:
    """`count` pre-orders of live customers within the contract's 31 days (a monthly one with no licences)."""
    pre_orders = [
        PreOrder(
            pre_order_id=95_000_000 + first + k,
            customer_id=rng.choice(live).customer_id,
            product_id="STD",
            plan=rng.choice(["MONTHLY", "ANNUAL_LICENSE"]),
            license_count=rng.randint(5, 100),
            apply_date=today + dt.timedelta(days=rng.randint(1, 31)),
            synced_at=now,
        )
        for k in range(count)
    ]
    for p in pre_orders:
        if p.plan == "MONTHLY":
            p.license_count = None
    return pre_orders


def measure(client: Client, params: dict, headers: dict | None = None) -> tuple[float, int, int]:
    """Median milliseconds over RUNS requests, SQL queries per request, response size in kB."""
    client.get(URL, params, headers=headers or {})  # warm-up: templates, translations
    timings, counts = [], set()
    for _ in range(RUNS):
        ms, queries, response = timed_get(client, URL, params, headers)
        timings.append(ms)
        counts.add(queries)
    assert len(counts) == 1, f"query count varies between identical requests: {counts}"
    return statistics.median(timings), counts.pop(), len(response.content) // 1024


def upcoming(user) -> tuple[int, int]:
    """Items in the default range (removed customers left out), and how many the agenda's first page shows."""
    from schedule import selectors, sources

    result = selectors.agenda(user=user, filters=sources.ScheduleFilters())
    return result["total"], result["count"]


def main() -> int:
    call_command("migrate", verbosity=0)
    from accounts.services import user_create_with_role
    from portal.core.access import Role

    user = user_create_with_role(
        username="bench-manager", password="bench-pass-123", role=Role.ACCOUNT_MANAGER
    )
    client = Client()
    sign_in(client, user)
    rng = random.Random(6)
    today = clock.today()
    htmx = {"HX-Request": "true", "HX-Target": "agenda"}
    # The Owner filter named in every request: a value chosen is remembered for the next request without one.
    mine, everyone = {"owner": "mine"}, {"owner": "all"}
    requests = {
        "agenda (default range)": (mine, None),
        "agenda, htmx partial": (mine, htmx),
        "calendar (this month)": ({"view": "calendar", **mine}, None),
        "calendar (next month)": (
            {"view": "calendar", "month": f"{(today.replace(day=28) + dt.timedelta(days=5)):%Y-%m}", **mine},
            None,
        ),
        "filtered (search + 2 types)": ({"q": "サクラ", "kind": ["pre_order", "renewal"], **mine}, None),
        "agenda, everyone's": (everyone, None),
        "agenda partial, everyone's": (everyone, htmx),
        "calendar, everyone's": ({"view": "calendar", **everyone}, None),
    }
    print(f"today (business date): {today}; {RUNS} requests each, as an Account manager")
    seed(0, SMALL_CUSTOMERS, SMALL_ITEMS, rng)
    small = {name: measure(client, params, headers) for name, (params, headers) in requests.items()}
    t0 = time.perf_counter()
    seed(SMALL_CUSTOMERS, CUSTOMERS - SMALL_CUSTOMERS, ITEMS - SMALL_ITEMS, rng)
    print(
        f"seeded {Customer.objects.count():,} customers, {Subscription.objects.count():,} subscriptions, "
        f"{PreOrder.objects.count():,} pre-orders, {Reservation.objects.count():,} reservations "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    total, shown = upcoming(user)
    print(
        f"upcoming items in the default range: {total:,}; the agenda's first page shows {shown:,} (whole days)"
    )
    print(
        f"{'request':30} {'median ms':>10} {'SQL':>4} {'kB':>6}   at {SMALL_CUSTOMERS:,} customers / "
        f"{SMALL_ITEMS:,} items: {'median ms':>9} {'SQL':>4}"
    )
    failed = False
    for name, (params, headers) in requests.items():
        ms, queries, size = measure(client, params, headers)
        small_ms, small_queries, _ = small[name]
        print(f"{name:30} {ms:10.1f} {queries:4d} {size:6d}   {'':>32} {small_ms:9.1f} {small_queries:4d}")
        failed |= queries != small_queries
    agenda_ms = statistics.median([measure(client, mine)[0] for _ in range(3)])
    print(f"agenda median (3 more rounds): {agenda_ms:.1f} ms (target <= 50 ms)")
    for name, path in (("CSV export", "export.csv"), ("iCalendar export", "export.ics")):
        t0 = time.perf_counter()
        response = client.get(URL + path)
        size = sum(len(chunk) for chunk in response.streaming_content)
        print(f"{name} (all {total:,} items): {(time.perf_counter() - t0) * 1000:.0f} ms, {size // 1024} kB")
    if failed:
        print("FAILED: the query count depends on the data size", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
