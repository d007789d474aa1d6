"""The dry run of a bulk renewal of 2,000 subscriptions beside reading those 2,000 rows once (see
bench/bulk/__main__.py). Run through ``python -m bench.bulk dryrun``, which gives it its own database."""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import time

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.common import company_name  # noqa: E402
from customers.models import Customer  # noqa: E402
from subscriptions.models import Reservation, Subscription  # noqa: E402

ROWS = 2_000
RUNS = 7


def seed() -> None:
    rng = random.Random(31)
    now = timezone.now()
    customers, subs, reservations = [], [], []
    for i in range(ROWS):
        domain_id = 30_000_000 + i
        c = Customer(
            domain_id=domain_id,
            tenant_id=domain_id,
            domain=f"b{i:05d}.example.jp",
            domain_type="DOMAIN",
            company_name=company_name(rng, ["株式会社", "", "合同会社"], i),
            customer_code=f"BULK-{i:05d}",
            product_id="STD",
            plan="ANNUAL_LICENSE",
            usage_status="ACTIVE",
            main_subscription_id=40_000_000 + i,
            synced_at=now,
        )
        c.refresh_derived()
        customers.append(c)
        # Most renew unchanged (to be checked and sent); some already say "do not renew", some are Free (the
        # contract refuses them): the dry run meets every kind of row.
        kind = rng.random()
        subs.append(
            Subscription(
                subscription_id=40_000_000 + i,
                customer_id=domain_id,
                product_id="FR" if kind < 0.05 else rng.choice(["STD", "ADV"]),
                plan="FREE" if kind < 0.05 else "ANNUAL_LICENSE",
                plan_start_date=dt.date(2026, 4, 1),
                plan_end_date=dt.date(2027, 3, 31),
                license_count=None if kind < 0.05 else rng.randint(5, 300),
                status="ACTIVE",
                renewal_type="CANCEL" if 0.05 <= kind < 0.15 else "STAY",
                synced_at=now,
            )
        )
        if 0.15 <= kind < 0.25:
            reservations.append(
                Reservation(
                    subscription_id=40_000_000 + i,
                    customer_id=domain_id,
                    type="CANCEL",
                    apply_date=dt.date(2027, 3, 31),
                    synced_at=now,
                )
            )
    Customer.objects.bulk_create(customers, batch_size=1000)
    Subscription.objects.bulk_create(subs, batch_size=1000)
    Reservation.objects.bulk_create(reservations, batch_size=1000)


def measure(fn) -> tuple[float, int]:
    connection.queries_log.clear()
    with CaptureQueriesContext(connection) as ctx:
        t0 = time.perf_counter()
        fn()
        ms = (time.perf_counter() - t0) * 1000
    return ms, len(ctx.captured_queries)


def main() -> int:
    call_command("migrate", verbosity=0)
    from accounts.services import user_create_with_role
    from portal.core.access import Role
    from portal.core.changes import bulk
    from portal.core.models import Batch

    settings.BULK_MAX_ROWS = max(settings.BULK_MAX_ROWS, ROWS)
    seed()
    user = user_create_with_role(username="bench-admin", password="bench-pass-123", role=Role.ADMIN)
    action = bulk.bulk_action("subscriptions.renewal")
    assert action is not None
    keys = [str(pk) for pk in Subscription.objects.order_by("pk").values_list("pk", flat=True)]
    assert len(keys) == ROWS

    def read_once() -> None:
        rows = action.read(user, keys)
        assert len(rows) == ROWS

    def dry_run() -> None:
        batch = bulk.batch_check(user=user, action=action, values={"type": "CANCEL"}, keys=keys)
        assert batch.rows.count() == ROWS

    reads, checks = [], []
    for _ in range(RUNS):  # interleaved: the same machine load for both
        reads.append(measure(read_once))
        checks.append(measure(dry_run))
        Batch.objects.all().delete()
    read_ms = statistics.median(ms for ms, _ in reads)
    check_ms = statistics.median(ms for ms, _ in checks)
    ratio = check_ms / read_ms
    print(f"load average (1 min) during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'':34} {'median ms':>10} {'SQL':>5}")
    print(f"{'reading the 2,000 rows once':34} {read_ms:>10.1f} {reads[0][1]:>5}")
    print(f"{'dry run of the 2,000 rows':34} {check_ms:>10.1f} {checks[0][1]:>5}")
    # What the dry run adds to the read: each row's check and words, and storing the 2,000 checked rows.
    print(f"dry run / read: {ratio:.2f} x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
