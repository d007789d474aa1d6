"""A month's invoice details page and the variance check at 10,000 customers x 12 months (~30,000 items a
month), each next to a reference measured in the same run.

Run through ``python -m bench.billing pages`` (which gives it its own database). BENCH_CUSTOMERS changes the
size (default 10000).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.common import NAME_WORDS, company_name, sign_in, timed_get  # noqa: E402
from billing import findings, services  # noqa: E402
from billing.models import ITEM_TYPE_ORDER, DetailMonth, InvoiceItem, UsageSnapshot  # noqa: E402
from billing.usage import usage_premark  # noqa: E402
from customers.models import Customer  # noqa: E402
from portal.core.sync.full import refresh_planner_statistics  # noqa: E402
from subscriptions.models import Subscription  # noqa: E402

CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "10000"))
MONTHS = [(2025, m) for m in range(11, 13)] + [(2026, m) for m in range(1, 11)]
RUNS = 40
PREFIXES = ["株式会社", "有限会社", "", "合同会社"]


def seed() -> None:
    rng = random.Random(12)
    now = timezone.now()
    customers, subs = [], []
    for i in range(CUSTOMERS):
        c, s = _customer(i, rng, now)
        customers.append(c)
        subs.append(s)
    Customer.objects.bulk_create(customers, batch_size=2000)
    Subscription.objects.bulk_create(subs, batch_size=2000)
    for year, month in MONTHS:
        first = dt.date(year, month, 1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        rows = []
        for c, s in zip(customers, subs, strict=True):
            rows.extend(_items(c, s, rng, year=year, month=month, first=first, last=last, now=now))
        rows.sort(key=lambda r: (r.customer_name, r.domain_id, r.type_order, r.position))
        for order, r in enumerate(rows):
            r.row_order = order
        InvoiceItem.objects.bulk_create(rows, batch_size=5000)
        if (year, month) == (2026, 10):
            _checked_month_usage(customers, subs, first=first, last=last, now=now)
        DetailMonth.objects.create(
            year=year,
            month=month,
            customers=len(customers),
            items=len(rows),
            totals={"SUMMARY": sum(r.amount for r in rows if r.item_type == "SUMMARY")},
            item_ids=["ACV2", "STD"],
            synced_at=now,
        )


def _customer(i: int, rng: random.Random, now: dt.datetime) -> tuple[Customer, Subscription]:
    """Customer i and its annual licences."""
    domain_id = 30_000_000 + i
    c = Customer(
        domain_id=domain_id,
        tenant_id=domain_id,
        domain=f"b{i:05d}.example.jp",
        domain_type="DOMAIN",
        company_name=company_name(rng, PREFIXES, i),
        customer_code=f"CUST-{i:05d}",
        product_id="STD",
        plan="ANNUAL_LICENSE",
        usage_status="ACTIVE",
        member_count=rng.randint(1, 300),
        synced_at=now,
    )
    c.refresh_derived()
    s = Subscription(
        subscription_id=domain_id,
        customer_id=domain_id,
        product_id="STD",
        plan="ANNUAL_LICENSE",
        plan_start_date=dt.date(2025, 4, 1),
        plan_end_date=dt.date(2027, 3, 31),
        license_count=rng.randint(5, 300),
        status="ACTIVE",
        synced_at=now,
    )
    return c, s


def _items(
    c: Customer, s: Subscription, rng: random.Random, *, year, month, first, last, now
) -> list[InvoiceItem]:
    """A customer's details of a month: the product (a few billed for more licences than they hold), the option
    for half of them, and the summary."""
    licences = s.license_count + (3 if rng.random() < 0.002 else 0)  # a few billed differently
    common = {
        "year": year,
        "month": month,
        "domain_id": c.domain_id,
        "domain": c.domain,
        "customer_name": c.company_name,
        "customer_code": c.customer_code,
        "synced_at": now,
        "start_date": first,
        "end_date": last,
    }
    product = 450 * licences
    rows = [
        InvoiceItem(
            **common,
            position=0,
            subscription_id=s.subscription_id,
            item_type="PRODUCT",
            type_order=ITEM_TYPE_ORDER["PRODUCT"],
            item_id="STD",
            plan="ANNUAL_LICENSE",
            license_count=licences,
            member_count=c.member_count,
            amount=product,
        )
    ]
    option = 200 * c.member_count if rng.random() < 0.5 else 0
    if option:
        rows.append(
            InvoiceItem(
                **common,
                position=1,
                item_type="OPTION_PRODUCT",
                type_order=ITEM_TYPE_ORDER["OPTION_PRODUCT"],
                item_id="ACV2",
                sub_item_id="ACV201",
                plan="MONTHLY",
                member_count=c.member_count,
                amount=option,
            )
        )
    rows.append(
        InvoiceItem(
            **common,
            position=2,
            item_type="SUMMARY",
            type_order=ITEM_TYPE_ORDER["SUMMARY"],
            member_count=c.member_count,
            amount=product + option,
        )
    )
    return rows


def _checked_month_usage(customers, subs, *, first: dt.date, last: dt.date, now: dt.datetime) -> None:
    """The checked month's own daily usage (what the check compares licences and periods with), written marked
    as the resync's store writes it."""
    days = [first - dt.timedelta(days=1)] + [first + dt.timedelta(days=d) for d in range(last.day)]
    snapshots = []
    for c, s in zip(customers, subs, strict=True):
        mine = [
            UsageSnapshot(
                domain_id=c.domain_id,
                used_date=day,
                product_id="STD",
                plan="ANNUAL_LICENSE",
                license_count=s.license_count,
                member_count=c.member_count,
                status="ACTIVE",
                synced_at=now,
            )
            for day in days
        ]
        usage_premark(mine)
        snapshots.extend(mine)
    UsageSnapshot.objects.bulk_create(snapshots, batch_size=5000)


def main() -> None:
    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    seed()
    # Planner statistics and visibility, as the portal leaves them after a full resync.
    refresh_planner_statistics()
    per_month = InvoiceItem.objects.filter(year=2026, month=10).count()
    print(
        f"seeded {Customer.objects.count()} customers, {InvoiceItem.objects.count()} invoice items "
        f"({per_month} in 2026-10) in {time.perf_counter() - t0:.1f} s"
    )
    from accounts.services import user_create_with_role
    from portal.core.access import Role

    user = user_create_with_role(username="bench-finance", password="bench-pass-123", role=Role.ADMIN)
    user.is_superuser = True
    user.save()
    client = Client()
    sign_in(client, user)
    rng = random.Random(4)
    words = [rng.choice(NAME_WORDS) for _ in range(RUNS)]
    portal = [{"q": w, "item_type": "PRODUCT", "page": 1} for w in words]
    admin = [{"q": w, "item_type__exact": "PRODUCT", "year": 2026, "month": 10} for w in words]
    url = "/billing/2026/10/"
    client.get(url, portal[0])
    client.get("/admin/billing/invoiceitem/", admin[0])
    portal_t, admin_t, portal_q, admin_q, htmx_t, plain_t, plain_q = [], [], [], [], [], [], []
    for p, a in zip(portal, admin, strict=True):
        ms, q, _ = timed_get(client, url, p)
        portal_t.append(ms)
        portal_q.append(q)
        ms, q, _ = timed_get(client, "/admin/billing/invoiceitem/", a)
        admin_t.append(ms)
        admin_q.append(q)
        ms, _q, _ = timed_get(client, url, p, headers={"HX-Request": "true", "HX-Target": "results"})
        htmx_t.append(ms)
    for _ in range(RUNS):
        ms, q, _ = timed_get(client, url, {})  # the whole month, first page of 100, grouped by customer
        plain_t.append(ms)
        plain_q.append(q)
    print(
        f"details page (search + type filter, 100 a page):  median {statistics.median(portal_t):7.2f} ms, "
        f"{max(portal_q)} SQL queries"
    )
    print(
        f"details page, no filter (first 100 of the month): median {statistics.median(plain_t):7.2f} ms, {max(plain_q)} SQL queries"
    )
    print(f"details htmx partial (search as you type):        median {statistics.median(htmx_t):7.2f} ms")
    print(
        f"reference: admin changelist (same search+filter): median {statistics.median(admin_t):7.2f} ms, "
        f"{max(admin_q)} SQL queries"
    )

    check_t, floor_t = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        list(InvoiceItem.objects.filter(year=2026, month=10).values(*findings.ITEM_FIELDS))
        floor_t.append(time.perf_counter() - t0)
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            counts = services.finding_month_check(year=2026, month=10)
            check_t.append(time.perf_counter() - t0)
    print(
        f"variance check of 2026-10 ({per_month} items):     median {statistics.median(check_t):7.3f} s, "
        f"{len(ctx.captured_queries)} SQL queries, findings { ({str(k): v for k, v in counts.items()}) }"
    )
    print(f"reference: reading the month's items alone:       median {statistics.median(floor_t):7.3f} s")
    print(f"check / reference: {statistics.median(check_t) / statistics.median(floor_t):.1f}x (goal <= 3x)")


if __name__ == "__main__":
    main()
