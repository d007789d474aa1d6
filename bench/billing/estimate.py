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
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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
from portal.core.kept import KEPT_MARGIN  # noqa: E402
from portal.core.models import CopyChange  # noqa: E402
from portal.core.sync.full import refresh_planner_statistics  # noqa: E402
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
    made: dict[type, list] = {
        model: [] for model in (Customer, Subscription, Reservation, Option, OptionOrder)
    }
    snaps: list[UsageSnapshot] = []
    for i in range(CUSTOMERS):
        customer, subscription = _customer(i, rng, now)
        made[Customer].append(customer)
        made[Subscription].append(subscription)
        if subscription.plan == "ANNUAL_LICENSE" and rng.random() < 0.2:
            kind = rng.choice(["ADD_LICENSE", "CANCEL"])
            made[Reservation].append(
                Reservation(
                    subscription_id=customer.domain_id,
                    customer_id=customer.domain_id,
                    type=kind,
                    apply_date=dt.date(YEAR, MONTH, rng.randint(16, 30)),
                    license_count=5 if kind == "ADD_LICENSE" else None,
                    synced_at=now,
                )
            )
        if rng.random() < 0.5:
            _options(customer.domain_id, subscription.plan, rng, now, made[Option], made[OptionOrder])
        snaps.extend(_snapshots(customer, subscription, now))
    for model, rows in (*made.items(), (UsageSnapshot, snaps)):
        model.objects.bulk_create(rows, batch_size=5000)
    for item, plan, cost in (("STD", "ANNUAL_LICENSE", 450), ("STD", "MONTHLY", 540), ("ACV2", "", 200)):
        PriceEntry.objects.create(
            item_id=item, plan=plan, cost=cost, price=cost * 5 // 4, effective_from=dt.date(2026, 1, 1)
        )


def _customer(i: int, rng: random.Random, now: dt.datetime) -> tuple[Customer, Subscription]:
    """Customer i and its subscription: annual licences (six in ten) or monthly."""
    domain_id = 40_000_000 + i
    annual = rng.random() < 0.6
    plan = "ANNUAL_LICENSE" if annual else "MONTHLY"
    licences = rng.randint(5, 300) if annual else None
    customer = Customer(
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
    subscription = Subscription(
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
    return customer, subscription


def _options(
    domain_id: int, plan: str, rng: random.Random, now: dt.datetime, options: list, orders: list
) -> None:
    """An option, a second one (quantities) for four in ten, and for three in ten of those an order dated within
    the month."""

    def option(option_id: str, sub_option_id: str, quantity: int | None) -> Option:
        return Option(
            customer_id=domain_id,
            option_product_id=option_id,
            sub_option_id=sub_option_id,
            subscription_id=domain_id,
            quantity=quantity,
            plan=plan,
            plan_start_date=dt.date(2026, 4, 1),
            plan_end_date=dt.date(2027, 3, 31),
            renewal_type="STAY",
            synced_at=now,
        )

    options.append(option("ACV2", "ACV201", None))
    if rng.random() < 0.4:
        options.append(option("SSTG2", "SSTG201", rng.randint(1, 4)))
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


def _snapshots(customer: Customer, subscription: Subscription, now: dt.datetime) -> list[UsageSnapshot]:
    """The customer's daily usage snapshots of the month's days gone by (and the last day before it), marked as
    the resync's store writes them."""
    mine = [
        UsageSnapshot(
            domain_id=customer.domain_id,
            used_date=FIRST - dt.timedelta(days=1) + dt.timedelta(days=day),
            product_id="STD",
            plan=subscription.plan,
            license_count=subscription.license_count,
            member_count=customer.member_count,
            synced_at=now,
        )
        for day in range(0, (TODAY - FIRST).days + 1)
    ]
    usage_premark(mine)
    return mine


def read_once() -> None:
    """The reference: those customers' subscriptions and options, read once (the few columns that say what is
    sold, as tuples: the floor)."""
    list(Subscription.objects.values_list("customer_id", "product_id", "plan", "license_count"))
    list(Option.objects.values_list("customer_id", "option_product_id", "sub_option_id", "quantity"))


def read_rows_once() -> None:
    """A second reference: the same rows read once as the pages read them (model instances, every column)."""
    list(Subscription.objects.all())
    list(Option.objects.all())


@dataclass
class _Runs:
    """Each run's seconds by what was timed, and the SQL queries of the last run."""

    estimate: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    rows: list[float] = field(default_factory=list)
    kept: list[float] = field(default_factory=list)
    changed: list[float] = field(default_factory=list)
    items: list[float] = field(default_factory=list)
    queries: dict[str, int] = field(default_factory=dict)
    result: Any = None
    kept_result: Any = None
    items_result: list = field(default_factory=list)


def _timed(runs: _Runs, name: str, work: Callable[[], Any]) -> Any:
    """`work`'s seconds added to `runs`' `name` and its SQL queries counted; what it returns."""
    with CaptureQueriesContext(connection) as ctx:
        t0 = time.perf_counter()
        out = work()
        getattr(runs, name).append(time.perf_counter() - t0)
    runs.queries[name] = len(ctx.captured_queries)
    return out


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
    from portal.core.access import Role

    finance = user_create_with_role(username="bench-finance", password="bench-pass-123", role=Role.FINANCE)
    t0 = time.perf_counter()
    estimate.estimate_keep(year=YEAR, month=MONTH)  # the worker's first: every customer worked out and kept
    first_read = time.perf_counter() - t0
    ids = sorted(Customer.objects.values_list("domain_id", flat=True))
    reset_queries()  # the seed's queries out of the log the counts below read
    rng = random.Random(3)
    runs = _Runs()
    for _ in range(RUNS):  # interleaved, so all see the same machine
        _run(runs, finance, ids, rng)
    assert runs.result is not None and runs.kept_result is not None
    assert runs.kept_result == runs.result, "the kept estimate differs from the one worked out"
    periods = sum(len(c.lines) for c in runs.result.customers)
    assert len(runs.items_result) == periods, "one item per estimated period"
    _report(runs, first_read)


def _run(runs: _Runs, finance, ids: list[int], rng: random.Random) -> None:
    """One run of each: the references, the estimate worked out, kept, as the drafts' items, and kept after 1 %
    of the copies were written."""
    from billing.selectors import month_estimated_items

    _timed(runs, "floor", read_once)
    t0 = time.perf_counter()
    read_rows_once()
    runs.rows.append(time.perf_counter() - t0)
    runs.result = _timed(runs, "estimate", lambda: estimate.month_estimate(year=YEAR, month=MONTH))
    runs.kept_result = _timed(runs, "kept", lambda: estimate.kept_estimate(year=YEAR, month=MONTH))
    runs.items_result = _timed(
        runs, "items", lambda: month_estimated_items(user=finance, year=YEAR, month=MONTH)
    )
    # 1 % of the customers' copies written (a refresh batch), then read: those are worked out again.
    copies_changed(rng.sample(ids, len(ids) // 100))
    t0 = time.perf_counter()
    estimate.estimate_keep(year=YEAR, month=MONTH)  # the worker's, then read
    estimate.kept_estimate(year=YEAR, month=MONTH)
    runs.changed.append(time.perf_counter() - t0)
    # Time passes beyond the margin (not timed): the next run's kept read finds nothing written since.
    CopyChange.objects.update(changed_at=timezone.now() - 2 * KEPT_MARGIN)


def _report(runs: _Runs, first_read: float) -> None:
    result, q = runs.result, runs.queries
    est, floor = statistics.median(runs.estimate), statistics.median(runs.floor)
    print(
        f"estimate of {YEAR}-{MONTH:02d} worked out ({len(result.customers)} customers, "
        f"{sum(len(c.lines) for c in result.customers)} periods, {result.unknown} without a price): "
        f"median {est:7.3f} s, {q['estimate']} SQL queries"
    )
    held, changed = statistics.median(runs.kept), statistics.median(runs.changed)
    print(
        f"kept estimate, as the pages read it (nothing written since): median {held:7.3f} s, {q['kept']} SQL "
        "queries"
    )
    print(f"kept after 1 % of the copies were written (worker, then read): median {changed:7.3f} s")
    drafted = statistics.median(runs.items)
    print(
        f"as the drafts' items (billing in advance, {len(runs.items_result)} items):   median {drafted:7.3f} s, "
        f"{q['items']} SQL queries; / kept estimate: {drafted / held:.1f}x"
    )
    print(f"kept estimate, the worker's first (every one worked out, kept): {first_read:7.3f} s")
    print(
        f"reference: reading the subscriptions and options once:           "
        f"median {floor:7.3f} s, {q['floor']} SQL queries"
    )
    rows = statistics.median(runs.rows)
    print(
        f"reference: the same rows as model instances (every column):      median {rows:7.3f} s, 2 SQL queries"
    )
    print(
        f"kept estimate / reference: {held / floor:.1f}x (goal <= 3x); after 1 % written: {changed / floor:.1f}x; "
        f"worked out: {est / floor:.1f}x; / model instances: {est / rows:.1f}x"
    )


if __name__ == "__main__":
    main()
