"""The running month's estimate at 10,000 customers, next to reading those customers' subscriptions and options
once (the floor any estimate pays), measured in the same run: interleaved runs, medians, SQL queries.

The estimate the pages read is the kept one (`estimate.kept_estimate`, kept by the worker's `estimate_keep`): timed
with nothing written since it was worked out, after 1 % of the customers' copies were written (the worker works
those out again, then it is read), and the worker's first working out; the estimate worked out afresh
(`month_estimate`) is timed too, and must equal it. So is the estimate as the drafts of a partner that bills in
advance work it out (`billing.selectors.month_estimated_items`: every period's line, priced by the book, in the
charged items' shape), beside the kept estimate's read.

The cache is seeded as a running month holds it: each customer a subscription (annual licences or monthly),
half with an option or two, one in five with a reservation (licences added, a cancellation) or an option order
dated within the month, and the daily usage snapshots of the month's days gone by.

Run through ``python -m bench.billing estimate`` (which gives it its own database). BENCH_CUSTOMERS changes the
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
django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.common import company_name  # noqa: E402
from billing import estimate  # noqa: E402
from billing.models import PriceEntry, UsageSnapshot  # noqa: E402
from billing.usage import usage_premark  # noqa: E402
from customers.models import Customer  # noqa: E402
from options.models import Option, OptionOrder  # noqa: E402
from portal.core.copies import copies_changed  # noqa: E402
from portal.core.models import CopyChange  # noqa: E402
from portal.core.sync.engine import refresh_planner_statistics  # noqa: E402
from subscriptions.models import Reservation, Subscription  # noqa: E402

CUSTOMERS = int(os.environ.get("BENCH_CUSTOMERS", "10000"))
YEAR, MONTH = 2026, 11
FIRST = dt.date(YEAR, MONTH, 1)
TODAY = dt.date(YEAR, MONTH, 15)  # 14 days of the month gone by, each with its snapshot
RUNS = 9
PREFIXES = ["株式会社", "有限会社", "", "合同会社"]


def seed() -> None:
    rng = random.Random(10)
    now = timezone.now()
    customers, subs, reservations, options, orders, snaps = [], [], [], [], [], []
    for i in range(CUSTOMERS):
        domain_id = 40_000_000 + i
        annual = rng.random() < 0.6
        plan = "ANNUAL_LICENSE" if annual else "MONTHLY"
        licences = rng.randint(5, 300) if annual else None
        customers.append(
            Customer(
                domain_id=domain_id,
                tenant_id=domain_id,
                domain=f"e{i:05d}.example.jp",
                domain_type="DOMAIN",
                company_name=company_name(rng, PREFIXES, i),
                customer_code=f"CUST-{i:05d}",
                product_id="STD",
                plan=plan,
                usage_status="ACTIVE",
                member_count=rng.randint(1, 300),
                synced_at=now,
            )
        )
        subs.append(
            Subscription(
                subscription_id=domain_id,
                customer_id=domain_id,
                product_id="STD",
                plan=plan,
                plan_start_date=dt.date(2026, 4, 1) if annual else FIRST,
                plan_end_date=dt.date(2027, 3, 31) if annual else dt.date(YEAR, MONTH, 30),
                license_count=licences,
                status="ACTIVE",
                renewal_type="STAY",
                synced_at=now,
            )
        )
        if annual and rng.random() < 0.2:
            kind = rng.choice(["ADD_LICENSE", "CANCEL"])
            reservations.append(
                Reservation(
                    subscription_id=domain_id,
                    customer_id=domain_id,
                    type=kind,
                    apply_date=dt.date(YEAR, MONTH, rng.randint(16, 30)),
                    license_count=5 if kind == "ADD_LICENSE" else None,
                    synced_at=now,
                )
            )
        if rng.random() < 0.5:
            options.append(
                Option(
                    customer_id=domain_id,
                    option_product_id="ACV2",
                    sub_option_id="ACV201",
                    subscription_id=domain_id,
                    plan=plan,
                    plan_start_date=dt.date(2026, 4, 1),
                    plan_end_date=dt.date(2027, 3, 31),
                    renewal_type="STAY",
                    synced_at=now,
                )
            )
            if rng.random() < 0.4:
                options.append(
                    Option(
                        customer_id=domain_id,
                        option_product_id="SSTG2",
                        sub_option_id="SSTG201",
                        subscription_id=domain_id,
                        quantity=rng.randint(1, 4),
                        plan=plan,
                        plan_start_date=dt.date(2026, 4, 1),
                        plan_end_date=dt.date(2027, 3, 31),
                        renewal_type="STAY",
                        synced_at=now,
                    )
                )
                if rng.random() < 0.3:
                    orders.append(
                        OptionOrder(
                            customer_id=domain_id,
                            option_product_id="SSTG2",
                            sub_option_id="SSTG201",
                            subscription_id=domain_id,
                            type="CHANGE_QUANTITY",
                            quantity=5,
                            apply_date=dt.date(YEAR, MONTH, 20),
                            synced_at=now,
                        )
                    )
        mine = []
        for day in range(0, (TODAY - FIRST).days + 1):
            mine.append(
                UsageSnapshot(
                    domain_id=domain_id,
                    used_date=FIRST - dt.timedelta(days=1) + dt.timedelta(days=day),
                    product_id="STD",
                    plan=plan,
                    license_count=licences,
                    member_count=customers[-1].member_count,
                    synced_at=now,
                )
            )
        usage_premark(mine)  # written marked, as the resync's store writes them
        snaps.extend(mine)
    for model, rows in (
        (Customer, customers),
        (Subscription, subs),
        (Reservation, reservations),
        (Option, options),
        (OptionOrder, orders),
        (UsageSnapshot, snaps),
    ):
        model.objects.bulk_create(rows, batch_size=5000)
    for item, plan, cost in (("STD", "ANNUAL_LICENSE", 450), ("STD", "MONTHLY", 540), ("ACV2", "", 200)):
        PriceEntry.objects.create(
            item_id=item, plan=plan, cost=cost, price=cost * 5 // 4, effective_from=dt.date(2026, 1, 1)
        )


def read_once() -> None:
    """The reference: those customers' subscriptions and options, read once (the few columns that say what is
    sold, as tuples: the floor)."""
    list(Subscription.objects.values_list("customer_id", "product_id", "plan", "license_count"))
    list(Option.objects.values_list("customer_id", "option_product_id", "sub_option_id", "quantity"))


def read_rows_once() -> None:
    """A second reference: the same rows read once as the pages read them (model instances, every column)."""
    list(Subscription.objects.all())
    list(Option.objects.all())


def main() -> None:
    call_command("migrate", verbosity=0)
    t0 = time.perf_counter()
    seed()
    refresh_planner_statistics()
    print(
        f"seeded {Customer.objects.count()} customers, {Subscription.objects.count()} subscriptions, "
        f"{Option.objects.count()} options, {Reservation.objects.count() + OptionOrder.objects.count()} "
        f"scheduled changes, {UsageSnapshot.objects.count()} usage snapshots in {time.perf_counter() - t0:.1f} s"
    )
    from accounts.services import user_create_with_role
    from billing.selectors import month_estimated_items
    from portal.core.access import Role

    finance = user_create_with_role(username="bench-finance", password="bench-pass-123", role=Role.FINANCE)
    estimate_t, floor_t, rows_t, kept_t, changed_t, items_t = [], [], [], [], [], []
    estimate_q = floor_q = kept_q = items_q = 0
    items: list = []
    result = kept = None
    t0 = time.perf_counter()
    estimate.estimate_keep(year=YEAR, month=MONTH)  # the worker's first: every customer worked out and kept
    first_read = time.perf_counter() - t0
    ids = sorted(Customer.objects.values_list("domain_id", flat=True))
    reset_queries()  # the seed's queries out of the log the counts below read
    rng = random.Random(3)
    for _ in range(RUNS):  # interleaved, so all see the same machine
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            read_once()
            floor_t.append(time.perf_counter() - t0)
        floor_q = len(ctx.captured_queries)
        t0 = time.perf_counter()
        read_rows_once()
        rows_t.append(time.perf_counter() - t0)
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            result = estimate.month_estimate(year=YEAR, month=MONTH)
            estimate_t.append(time.perf_counter() - t0)
        estimate_q = len(ctx.captured_queries)
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            kept = estimate.kept_estimate(year=YEAR, month=MONTH)
            kept_t.append(time.perf_counter() - t0)
        kept_q = len(ctx.captured_queries)
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            items = month_estimated_items(user=finance, year=YEAR, month=MONTH)
            items_t.append(time.perf_counter() - t0)
        items_q = len(ctx.captured_queries)
        # 1 % of the customers' copies written (a refresh batch), then read: those are worked out again.
        copies_changed(rng.sample(ids, len(ids) // 100))
        t0 = time.perf_counter()
        estimate.estimate_keep(year=YEAR, month=MONTH)  # the worker's, then read
        estimate.kept_estimate(year=YEAR, month=MONTH)
        changed_t.append(time.perf_counter() - t0)
        # Time passes beyond the margin (not timed): the next run's kept read finds nothing written since.
        CopyChange.objects.update(changed_at=timezone.now() - 2 * estimate.KEPT_MARGIN)
    assert result is not None and kept is not None
    assert kept == result, "the kept estimate differs from the one worked out"
    assert len(items) == sum(len(c.lines) for c in result.customers), "one item per estimated period"
    est, floor = statistics.median(estimate_t), statistics.median(floor_t)
    print(
        f"estimate of {YEAR}-{MONTH:02d} worked out ({len(result.customers)} customers, "
        f"{sum(len(c.lines) for c in result.customers)} periods, {result.unknown} without a price): "
        f"median {est:7.3f} s, {estimate_q} SQL queries"
    )
    held, changed = statistics.median(kept_t), statistics.median(changed_t)
    print(
        f"kept estimate, as the pages read it (nothing written since): median {held:7.3f} s, {kept_q} SQL queries"
    )
    print(f"kept after 1 % of the copies were written (worker, then read): median {changed:7.3f} s")
    drafted = statistics.median(items_t)
    print(
        f"as the drafts' items (billing in advance, {len(items)} items):   median {drafted:7.3f} s, "
        f"{items_q} SQL queries; / kept estimate: {drafted / held:.1f}x"
    )
    print(f"kept estimate, the worker's first (every one worked out, kept): {first_read:7.3f} s")
    print(
        f"reference: reading the subscriptions and options once:           "
        f"median {floor:7.3f} s, {floor_q} SQL queries"
    )
    rows = statistics.median(rows_t)
    print(
        f"reference: the same rows as model instances (every column):      median {rows:7.3f} s, 2 SQL queries"
    )
    print(
        f"kept estimate / reference: {held / floor:.1f}x (goal <= 3x); after 1 % written: {changed / floor:.1f}x; "
        f"worked out: {est / floor:.1f}x; / model instances: {est / rows:.1f}x"
    )


if __name__ == "__main__":
    main()
