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

import datetime as dt
import os
import random
import statistics
import sys
import time
import uuid
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
from django.db import transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.common import company_name, sign_in, timed_get  # noqa: E402
from billing.models import Finding, Invoice  # noqa: E402
from customers.models import Customer, CustomerOwner  # noqa: E402
from portal.core import clock  # noqa: E402
from portal.core.models import AuditEntry, Operation  # noqa: E402
from portal.core.sync.engine import refresh_planner_statistics  # noqa: E402
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
    """Customers first..first+customers-1: 70 % on a licence plan, 20 % monthly, 10 % on a trial (ending over
    the next 30 days or ended up to 40 days ago); terms ending over the next 400 days; one in ten near its
    maximum users, one in twenty stale, one in ten removed; a pre-order or reservation for one in eight over
    the next 31 days; per 1,000 customers 20 operations (a quarter unknown, a quarter failed) and 50 audit
    entries; 30 findings per 1,000 customers."""
    now, today = timezone.now(), clock.today()
    day = dt.timedelta(days=1)
    rows, subs, res, pres, ops, audits, findings, owners = [], [], [], [], [], [], [], []
    for i in range(first, first + customers):
        kind = rng.random()
        plan = "TRIAL" if kind < 0.1 else "MONTHLY" if kind < 0.3 else "ANNUAL_LICENSE"
        members = rng.randint(1, 500)
        c = Customer(
            domain_id=40_000_000 + i,
            tenant_id=40_000_000 + i,
            domain=f"h{i:05d}.example.jp",
            domain_type="DOMAIN",
            company_name=company_name(rng, ["株式会社", "", "合同会社"], i),
            customer_code=f"HC-{i:05d}",
            product_id="STD",
            plan=plan,
            usage_status="ACTIVE",
            member_count=members,
            max_member_count=members + (rng.randint(0, 3) if i % 10 == 0 else rng.randint(50, 500)),
            removed_at=now if i % 10 == 9 else None,
            synced_at=now - dt.timedelta(days=2) if i % 20 == 3 else now,
        )
        c.refresh_derived()
        rows.append(c)
        if MANAGERS and i % 12 < len(MANAGERS):
            owners.append(CustomerOwner(customer_id=c.domain_id, account_manager_id=MANAGERS[i % 12]))
        end = today + day * (rng.randint(-40, 30) if plan == "TRIAL" else rng.randint(0, 400))
        subs.append(
            Subscription(
                subscription_id=91_000_000 + i,
                customer_id=c.domain_id,
                product_id="STD_T" if plan == "TRIAL" else "STD",
                plan=plan,
                plan_start_date=today - 200 * day,
                plan_end_date=end,
                license_count=None if plan != "ANNUAL_LICENSE" else members + rng.randint(0, 60),
                status="ACTIVE",
                renewal_type="" if plan == "TRIAL" else rng.choice(["STAY", "STAY", "CHANGE", "CANCEL"]),
                synced_at=now,
            )
        )
        # The customer's subscription summary, as the resync keeps it (customers.services).
        c.main_subscription_id = subs[-1].subscription_id
        c.license_count = subs[-1].license_count
        c.refresh_derived()
        if i % 8 == 0 and plan != "TRIAL":
            res.append(
                Reservation(
                    subscription_id=91_000_000 + i,
                    customer_id=c.domain_id,
                    type="ADD_LICENSE" if plan == "ANNUAL_LICENSE" else "CANCEL",
                    apply_date=today + day * rng.randint(1, 31),
                    license_count=5,
                    synced_at=now,
                )
            )
        if i % 8 == 4:
            pres.append(
                PreOrder(
                    pre_order_id=96_000_000 + i,
                    customer_id=c.domain_id,
                    product_id="ADV",
                    plan="MONTHLY",
                    apply_date=today + day * rng.randint(1, 31),
                    synced_at=now,
                )
            )
        if i % 50 == 1:
            status = ["unknown", "failed", "succeeded", "succeeded"][i // 50 % 4]
            ops.append(
                Operation(
                    id=uuid.UUID(int=i + 1),
                    idempotency_key=f"bench-{i}",
                    kind="patchUsageStatus",
                    domain_id=c.domain_id,
                    status=status,
                )
            )
        if i % 20 == 2:
            audits.append(
                AuditEntry(
                    operation_id="patchUsageStatus",
                    domain_id=c.domain_id,
                    outcome="succeeded",
                    actor_name="manager",
                )
            )
        if i % 33 == 5:
            findings.append(
                Finding(
                    year=2026,
                    month=10,
                    domain_id=c.domain_id,
                    customer_name=c.company_name,
                    kind="licences",
                    subject=str(i),
                    checked_at=now,
                )
            )
    with transaction.atomic():
        Customer.objects.bulk_create(rows, batch_size=1000)
        Subscription.objects.bulk_create(subs, batch_size=1000)
        Reservation.objects.bulk_create(res, batch_size=1000)
        PreOrder.objects.bulk_create(pres, batch_size=1000)
        Operation.objects.bulk_create(ops, batch_size=1000)
        AuditEntry.objects.bulk_create(audits, batch_size=1000)
        Finding.objects.bulk_create(findings, batch_size=1000)
        CustomerOwner.objects.bulk_create(owners, batch_size=1000)
    # As a full resync leaves the database (and PostgreSQL's autovacuum after a load): with statistics.
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
