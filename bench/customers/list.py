"""The customer list at 10,000 cached customers vs Django admin's changelist on the same table.

Run through ``python -m bench.customers list`` (which gives it its own database).
"""

from __future__ import annotations

import os
import random
import statistics
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
# The test client's host; not the test environment, whose template instrumentation would distort the timings.
os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.common import NAME_WORDS, company_name, seed_sync_history, sign_in, timed_get  # noqa: E402
from customers.models import Customer  # noqa: E402

CUSTOMERS = 10_000
RUNS = 60
PREFIXES = ["株式会社", "有限会社", "", "合同会社"]
PRODUCTS = ["FR", "STD_T", "ADV_T", "STD", "ADV"]


def seed() -> None:
    rng = random.Random(5)
    now = timezone.now()
    rows = []
    for i in range(CUSTOMERS):
        domain_id = 20_000_000 + i
        c = Customer(
            domain_id=domain_id,
            tenant_id=domain_id,
            domain=f"c{i:05d}.example.jp",
            domain_type="DOMAIN",
            company_name=company_name(rng, PREFIXES, i),
            customer_code=f"CUST-{i:05d}",
            product_id=rng.choice(PRODUCTS),
            plan=rng.choice(["TRIAL", "MONTHLY", "ANNUAL_LICENSE"]),
            usage_status="ACTIVE",
            member_count=rng.randint(1, 500),
            max_member_count=500,
            synced_at=now,
        )
        c.refresh_derived()
        rows.append(c)
    Customer.objects.bulk_create(rows, batch_size=1000)
    seed_sync_history(20_000_000, CUSTOMERS)


def timed(client: Client, url: str, params_list: list[dict]) -> tuple[float, list[int]]:
    timings, counts = [], []
    for params in params_list:
        ms, queries, _response = timed_get(client, url, params)
        timings.append(ms)
        counts.append(queries)
    return statistics.median(timings), counts


def main() -> None:
    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    seed()
    print(f"seeded {Customer.objects.count()} customers in {time.perf_counter() - t0:.1f} s")
    from accounts.services import user_create_with_role
    from portal.core.access import Role

    user = user_create_with_role(username="bench-admin", password="bench-pass-123", role=Role.ADMIN)
    user.is_superuser = True
    user.save()
    client = Client()
    sign_in(client, user)
    rng = random.Random(9)
    queries = [rng.choice(NAME_WORDS) for _ in range(RUNS)]
    products = [rng.choice(PRODUCTS) for _ in range(RUNS)]

    portal = [
        {"q": q, "product": p, "page": 2, "per_page": 25} for q, p in zip(queries, products, strict=True)
    ]
    admin = [{"q": q, "product_id__exact": p, "p": 1} for q, p in zip(queries, products, strict=True)]
    client.get("/customers/", portal[0])
    client.get("/admin/customers/customer/", admin[0])
    # Interleaved, so that both see the same machine load; three rounds of RUNS requests each.
    portal_t, admin_t, portal_q, admin_q = [], [], [], []
    for _round in range(3):
        for p_params, a_params in zip(portal, admin, strict=True):
            ms, q = timed(client, "/customers/", [p_params])
            portal_t.append(ms)
            portal_q += q
            ms, q = timed(client, "/admin/customers/customer/", [a_params])
            admin_t.append(ms)
            admin_q += q
    portal_ms, admin_ms = statistics.median(portal_t), statistics.median(admin_t)
    _, q25 = timed(client, "/customers/", [{"q": "株式会社", "per_page": 25}])
    _, q100 = timed(client, "/customers/", [{"q": "株式会社", "per_page": 100}])
    _, q_htmx = timed(client, "/customers/", [{"q": "サクラ", "per_page": 100}])
    htmx_t = []
    for params in portal:
        t0 = time.perf_counter()
        client.get("/customers/", params, headers={"HX-Request": "true", "HX-Target": "results"})
        htmx_t.append((time.perf_counter() - t0) * 1000)
    print(
        f"portal list  (search + product filter + page 2 of 25): median {portal_ms:6.2f} ms, "
        f"{max(portal_q)} SQL queries per request ({len(portal_t)} requests)"
    )
    print(
        f"admin changelist (same search + filter):            median {admin_ms:6.2f} ms, "
        f"{max(admin_q)} SQL queries per request ({len(admin_t)} requests)"
    )
    print(f"speed-up vs admin: {admin_ms / portal_ms:4.2f}x")
    print(f"portal HTMX results partial (search as you type):  median {statistics.median(htmx_t):6.2f} ms")
    print(f"SQL queries per request at 25 vs 100 rows per page: {q25[0]} vs {q100[0]}")


if __name__ == "__main__":
    main()
