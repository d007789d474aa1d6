"""The Options list at 10,000 cached customers and 25,000 cached options, side by side with the Customers list
measured in the same run, on the same database, interleaved (same machine load): the page as it opens, one
filter, a search, and a search with filters, sort and page 2.

Run through ``python -m bench.options list`` (which gives it its own database).
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
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.common import NAME_WORDS, company_name, seed_sync_history, sign_in, timed_get  # noqa: E402
from customers.models import Customer  # noqa: E402
from options import rules  # noqa: E402
from options.models import Option  # noqa: E402
from portal.core.sync.full import refresh_planner_statistics  # noqa: E402

CUSTOMERS = 10_000
OPTIONS = 25_000
RUNS = 60
PREFIXES = ["株式会社", "有限会社", "", "合同会社"]


def seed() -> None:
    rng = random.Random(5)
    now = timezone.now()
    customers = []
    for i in range(CUSTOMERS):
        domain_id = 20_000_000 + i
        c = Customer(
            domain_id=domain_id,
            tenant_id=domain_id,
            domain=f"c{i:05d}.example.jp",
            domain_type="DOMAIN",
            company_name=company_name(rng, PREFIXES, i),
            customer_code=f"CUST-{i:05d}",
            product_id=rng.choice(["STD", "ADV"]),
            plan="ANNUAL_LICENSE",
            usage_status="ACTIVE",
            member_count=rng.randint(1, 500),
            max_member_count=500,
            synced_at=now,
        )
        c.refresh_derived()
        customers.append(c)
    Customer.objects.bulk_create(customers, batch_size=1000)
    # Each customer has at most one option per optionProductId: 25,000 distinct (customer, option) pairs.
    pairs = rng.sample([(c, o) for c in range(CUSTOMERS) for o in rules.OPTIONS], OPTIONS)
    rows = []
    for c, option_id in pairs:
        sub = rng.choice(rules.sub_options_of(option_id))
        start = dt.date(2026, 4, 1) - dt.timedelta(days=rng.randint(0, 300))
        rows.append(
            Option(
                customer_id=20_000_000 + c,
                option_product_id=option_id,
                sub_option_id=sub.sub_option_id,
                quantity=rng.randint(1, 3) if sub.quantity else None,
                plan="TRIAL" if sub.trial else "ANNUAL_LICENSE",
                plan_start_date=start,
                plan_end_date=start + dt.timedelta(days=30 if sub.trial else 364),
                trial=sub.trial,
                renewal_type="" if sub.trial else rng.choice(["STAY", "STAY", "CHANGE"]),
                synced_at=now,
            )
        )
    Option.objects.bulk_create(rows, batch_size=2000)
    seed_sync_history(20_000_000, CUSTOMERS)
    # Planner statistics and visibility, as the portal leaves them after a full resync; both lists get the same.
    refresh_planner_statistics()


def scenarios() -> dict[str, tuple[list[dict], list[dict]]]:
    """What people ask the two lists, each Options request beside its Customers counterpart: the page as it
    opens, one filter, a search, and everything at once; RUNS of each, the same in every run."""
    rng = random.Random(9)
    words = [rng.choice(NAME_WORDS) for _ in range(RUNS)]
    option_ids = [rng.choice(list(rules.OPTIONS)) for _ in range(RUNS)]
    return {
        "as it opens (first page)": (
            [{} for _ in words],
            [{} for _ in words],
        ),
        "one filter (option / product)": (
            [{"option": o} for o in option_ids],
            [{"product": "STD"} for _ in words],
        ),
        "search": (
            [{"q": q} for q in words],
            [{"q": q} for q in words],
        ),
        "search + filters + sort + page 2": (
            [
                {"q": q, "option": o, "trial": "paid", "sort": "-end", "page": 2, "per_page": 25}
                for q, o in zip(words, option_ids, strict=True)
            ],
            [{"q": q, "product": "STD", "page": 2, "per_page": 25} for q in words],
        ),
    }


def admin_client() -> Client:
    """A client signed in as the benchmark's Admin (made if missing)."""
    from django.contrib.auth import get_user_model

    from accounts.services import user_create_with_role
    from portal.core.access import Role

    user = get_user_model().objects.filter(username="bench-admin").first() or user_create_with_role(
        username="bench-admin", password="bench-pass-123", role=Role.ADMIN
    )
    client = Client()
    sign_in(client, user)
    return client


def main() -> None:
    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    seed()
    print(
        f"seeded {Customer.objects.count()} customers and {Option.objects.count()} options in "
        f"{time.perf_counter() - t0:.1f} s"
    )
    client = admin_client()
    scenarios_ = scenarios()
    # Warm up with one unmeasured round of every scenario: the first requests after seeding run 40-50 % slower
    # (caches, the planner's first plans), which would otherwise land on whichever scenario is measured first.
    for options, customers in scenarios_.values():
        for o_params, c_params in zip(options, customers, strict=True):
            client.get("/options/", o_params)
            client.get("/customers/", c_params)
    print(f"{'median server time, SQL queries':44} {'Options list':>22} {'Customers list':>22}")
    all_opt, all_cus = [], []
    for name, (options, customers) in scenarios_.items():
        opt_t, cus_t, opt_q, cus_q = [], [], [], []
        for _round in range(3):
            for o_params, c_params in zip(options, customers, strict=True):
                ms, q, _r = timed_get(client, "/options/", o_params)
                opt_t.append(ms)
                opt_q.append(q)
                ms, q, _r = timed_get(client, "/customers/", c_params)
                cus_t.append(ms)
                cus_q.append(q)
        all_opt += opt_t
        all_cus += cus_t
        print(
            f"{name:44} {statistics.median(opt_t):8.2f} ms {_queries(opt_q):>10} "
            f"{statistics.median(cus_t):8.2f} ms {_queries(cus_q):>10}"
        )
    print(
        f"{'all of the above (' + str(len(all_opt)) + ' requests each)':44} {statistics.median(all_opt):8.2f} ms "
        f"{'':>10} {statistics.median(all_cus):8.2f} ms"
    )
    unfiltered = [timed_get(client, "/options/", {"per_page": n})[1] for n in (25, 100)]
    print(f"options list SQL queries at 25 vs 100 rows per page: {unfiltered[0]} vs {unfiltered[1]}")


def _queries(counts: list[int]) -> str:
    return f"{min(counts)} queries" if min(counts) == max(counts) else f"{min(counts)}–{max(counts)} queries"


if __name__ == "__main__":
    main()
