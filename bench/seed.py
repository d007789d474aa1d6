"""A partner's database after `months` months, at any size: the one seed of the benchmarks, the soak and the load
run (prints what it wrote; not a benchmark, so a bare ``make bench`` does not run it).

``.venv/bin/python -m bench seed --customers N --months M [--database URL] [--history-only]``: migrates the
database (URL, else
DATABASE_URL, else var/bench-seed.sqlite3) and fills it, deterministically (one fixed random seed), on SQLite
or PostgreSQL (where the long tables go in by COPY). Other code calls `seed(customers=N, months=M)` on the
database Django is set up with. ``--history-only`` (`history`) adds only the running portal's history (usage
before the running month, sync runs, audit entries, operations) to the customers a database holds: the soak's
(scripts/soak.py --months), whose customers come from the sandbox.

What a partner's database holds, whatever `months` (the day one of the portal, "without history"):

* people: ten Account managers, each the owner of one customer in twelve (two in twelve are nobody's), four
  Support contacts (one each for a customer in three), two in Finance, two Admins (`PEOPLE`);
* customers with their subscriptions, scheduled changes, options, work on the home page (bench.home's mix:
  renewals and trials ending, near the maximum users, stale and removed customers, operations unknown or
  failed), billing details for nine customers in ten, the partner's details and a price book (a price change
  during the year and a few customers' own prices);
* the last closed month: LINE WORKS' invoice and its details (through billing's own stores, which run the
  month's check and so its findings), one issued invoice per billed customer (numbered by the sequence, with
  its PDF as rendered for the first invoice of each language), its payments (a few overdue), a credit note in
  two hundred, their sending and the month's issue and send runs;
* the running month's usage (snapshots and option usage, up to today), the estimates kept as the nightly task
  leaves them, a bulk batch (a real dry run) and a day of sync runs, operations and audit entries.

`--months M` adds M months before today: M closed months of LINE WORKS invoices and details and of issued
invoices, payments and credit notes (each month closed by Finance except the last), and the event tables over
M months at the cadence the running portal writes them (`Cadence`), derived from the beat schedule
(portal/celery.py) and the settings it reads:

* sync runs: a full resync at every beat tick of RESYNC_INTERVAL_MINUTES, refused while one runs (so every
  ceil(length / interval) ticks), a pass lasting customers / PARTNER_API_RATE_LIMIT minutes for its first
  PARTNER_API_SUSTAINED_MINUTES, then at PARTNER_API_SUSTAINED_SHARE of it (the limiter's pace for long runs; each
  per-customer operation reads one customer a call, paced in parallel; the busiest sets the pace). The refresh
  (RESYNC_REFRESH) runs only outside full resyncs, one run per batch of RESYNC_REFRESH_BATCH_SECONDS back to
  back, and rests once every copy is younger than five minutes (`engine.REFRESH_TURN_MIN_AGE`): a round of the
  customers a batch can read in a minute at most. Opening a customer page whose copy is older than
  REFRESH_ON_OPEN_MINUTES refreshes that customer (a run of kind "customer"): OPENS_A_DAY pages a working day
  per Account manager and Support contact, the share of copies older than that from how long a round takes.
  The partner-wide walks (listInvoices per year, listInvoiceDetails of the last closed month) twice a day
  (beat's 06:00 and 18:00 in the business time zone);
* usage snapshots: one per customer a day (listCustomerUsages of the business month, read at every pass),
  thinned past billing.services.USAGE_KEEP_DAYS to the edges of each month as the store does;
* option usage: one row per option of a customer a day (listOptionProductUsages of the business month, read
  at every pass), never removed;
* audit entries and operations: written by people's changes, not by beat: AUDITS_A_YEAR and OPERATIONS_A_YEAR
  per customer (the issue's measurement at 50,000 customers: 2 M audit entries, 0.1-0.25 M operations a year),
  plus the entries issuing, sending and recording a payment write; a bulk change a week (`batches_seed`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

REPO = Path(__file__).resolve().parents[1]
#: The one random seed: the same arguments give the same database.
RANDOM_SEED = 2026
#: The first customer's domainId and subscriptionId: customer i is FIRST_DOMAIN + i.
FIRST_DOMAIN = 40_000_000
FIRST_SUBSCRIPTION = 91_000_000
#: Who works in the portal: usernames by role (the benchmarks sign in as the first of each).
PEOPLE = {
    "account_manager": [f"seed-manager-{n}" for n in range(10)],
    "support": [f"seed-support-{n}" for n in range(4)],
    "finance": [f"seed-finance-{n}" for n in range(2)],
    "admin": [f"seed-admin-{n}" for n in range(2)],
}
#: Customer pages a working day each Account manager and Support contact opens.
OPENS_A_DAY = 30
WORKING_DAYS_A_YEAR = 245
#: People's changes a year, per customer (the issue's measurement at 50,000 customers).
AUDITS_A_YEAR = 40
OPERATIONS_A_YEAR = 3.5
#: Rows a batch of COPY or INSERT writes at once.
CHUNK = 20_000


# --- The cadence -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cadence:
    """How many rows the running portal writes a day, at `customers` customers (module docstring)."""

    customers: int
    full_minutes: float  # one full resync's length
    full_every_minutes: float  # the beat tick that starts the next one
    full_runs: float
    refresh_runs: float
    customer_runs: float
    partner_runs: float
    audits: float
    operations: float

    @property
    def sync_runs(self) -> float:
        return self.full_runs + self.refresh_runs + self.customer_runs + self.partner_runs


def cadence(customers: int) -> Cadence:
    from django.conf import settings

    from portal.core.partner import sustained_rate
    from portal.core.sync import need
    from portal.core.sync.engine import REFRESH_TURN_MIN_AGE

    rate, paced, window = (
        settings.PARTNER_API_RATE_LIMIT,
        sustained_rate(),
        settings.PARTNER_API_SUSTAINED_MINUTES,
    )
    interval = settings.RESYNC_INTERVAL_MINUTES
    batch_seconds = settings.RESYNC_REFRESH_BATCH_SECONDS
    # The limiter's pace: the full rate for the first `window` minutes of a run, then the sustained share of it.
    full_minutes = (
        customers / rate if customers <= rate * window else window + (customers - rate * window) / paced
    )
    every = interval * max(1, math.ceil(full_minutes / interval))
    idle_minutes = 1440 * max(0.0, 1 - full_minutes / every)
    rest = REFRESH_TURN_MIN_AGE.total_seconds() / 60
    batch = need.batch_size(rate_per_minute=paced, seconds=batch_seconds, calls_per_customer=1)
    per_rest = min(rest * 60 / batch_seconds, math.ceil(customers / batch))
    refresh = idle_minutes / rest * per_rest if settings.RESYNC_REFRESH else 0.0
    round_minutes = customers / paced
    older = max(0.0, 1 - settings.REFRESH_ON_OPEN_MINUTES / round_minutes) if round_minutes else 0.0
    opens = OPENS_A_DAY * (len(PEOPLE["account_manager"]) + len(PEOPLE["support"]))
    return Cadence(
        customers=customers,
        full_minutes=full_minutes,
        full_every_minutes=every,
        full_runs=1440 / every,
        refresh_runs=refresh,
        customer_runs=opens * older * WORKING_DAYS_A_YEAR / 365,
        partner_runs=2 * 2,  # two ticks a day, each walking the invoices of the year and the month's details
        audits=customers * AUDITS_A_YEAR / 365,
        operations=customers * OPERATIONS_A_YEAR / 365,
    )


# --- Writing many rows ---------------------------------------------------------------------------------------------


class Table:
    """Rows of one model written by COPY (PostgreSQL) or executemany (SQLite): `columns` (attribute names, such
    as "customer_id") vary per row (values
    as the database takes them: dicts and lists as JSON), the model's other columns take their defaults."""

    def __init__(self, model, columns: Sequence[str]) -> None:
        from django.db import connection

        fields = {f.column: f for f in model._meta.concrete_fields}
        by_attname = {f.attname: f.column for f in model._meta.concrete_fields}
        self.model, self.columns = model, [by_attname.get(c, c) for c in columns]
        self.constant = {}
        for column, f in fields.items():
            if column in self.columns or (f.primary_key and f.get_internal_type().endswith("AutoField")):
                continue
            default = f.get_default()
            self.constant[column] = f.get_db_prep_save(default, connection)
        self.written = 0

    def write(self, rows: Iterable[Sequence]) -> int:
        from django.db import connection

        names = [*self.columns, *self.constant]
        constant = list(self.constant.values())
        table = connection.ops.quote_name(self.model._meta.db_table)
        cols = ", ".join(connection.ops.quote_name(c) for c in names)
        count = 0
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                raw = cursor.cursor
                with raw.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row([_pg(v) for v in row] + [_pg(v) for v in constant])
                        count += 1
            else:
                sql = f"INSERT INTO {table} ({cols}) VALUES ({', '.join('%s' for _ in names)})"
                batch = []
                for row in rows:
                    batch.append([_sqlite(connection, v) for v in (*row, *constant)])
                    if len(batch) >= CHUNK:
                        cursor.executemany(sql, batch)
                        count += len(batch)
                        batch = []
                if batch:
                    cursor.executemany(sql, batch)
                    count += len(batch)
        self.written += count
        return count


def _pg(value):
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if hasattr(value, "adapted"):  # a JSON value Django prepared (psycopg's Jsonb)
        return json.dumps(value.obj, ensure_ascii=False)
    return value


def _sqlite(connection, value):
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dt.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, uuid.UUID):
        return value.hex
    return value


# --- The seed ------------------------------------------------------------------------------------------------------


def months_before(today: dt.date, count: int) -> list[tuple[int, int]]:
    """The `count` closed months before today's month, oldest first."""
    year, month = today.year, today.month
    out = []
    for _ in range(count):
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        out.append((year, month))
    return out[::-1]


def seed(*, customers: int, months: int, verbose: bool = False) -> dict[str, int]:
    """Fill the (migrated, empty) database Django is set up with: what the module docstring says. Returns the
    rows written per table."""
    from django.test import override_settings

    # Without DEBUG's log of every query: it kept each insert's SQL, PDFs and all, and spent the time writing it
    # (the memory it cost is in the commit that turned it off).
    with override_settings(DEBUG=False):
        return _seed(customers=customers, months=months, verbose=verbose)


def _seed(*, customers: int, months: int, verbose: bool) -> dict[str, int]:
    from portal.core import clock

    rng = random.Random(RANDOM_SEED)
    today = clock.today()
    steps = [
        ("people", lambda: people()),
        (
            "customers",
            lambda: customers_seed(
                0, customers, rng, managers=_ids("account_manager"), support=_ids("support")
            ),
        ),
        ("options", lambda: options_seed(rng)),
        ("billing details and prices", lambda: billing_setup(rng, today, months)),
        ("LINE WORKS invoices and details", lambda: line_works_months(rng, today, max(1, months))),
        ("issued invoices", lambda: issued_months(rng, today, max(1, months))),
        ("usage", lambda: usage_seed(rng, today, months)),
        ("history", lambda: history_seed(rng, today, months)),
        ("bulk batch", lambda: batch_seed()),
        ("estimates", lambda: estimates_seed(today)),
    ]
    _run(steps, verbose=verbose)
    from portal.core.sync.engine import refresh_planner_statistics

    refresh_planner_statistics()
    return counts()


def history(*, months: int, verbose: bool = False) -> dict[str, int]:
    """Only the running portal's history of the customers a database holds already (the soak's, read from the
    sandbox by its first full resync): the people, and `months` months of usage before the running month, sync
    runs, audit entries and operations at `cadence`."""
    from django.test import override_settings

    from portal.core import clock

    rng = random.Random(RANDOM_SEED)
    today = clock.today()
    steps = [
        ("people", people),
        ("usage", lambda: usage_seed(rng, today, months, until=today.replace(day=1) - dt.timedelta(days=1))),
        ("history", lambda: history_seed(rng, today, months)),
    ]
    with override_settings(DEBUG=False):  # as `seed`
        _run(steps, verbose=verbose)
    return counts()


def _run(steps: Sequence[tuple[str, Callable[[], object]]], *, verbose: bool) -> None:
    """Each of `seed`'s or `history`'s steps in turn, each one's time said when `verbose`."""
    for label, step in steps:
        t0 = time.perf_counter()
        step()
        if verbose:
            print(f"  {label}: {time.perf_counter() - t0:.1f} s", flush=True)


def counts() -> dict[str, int]:
    from django.apps import apps

    out = {}
    for model in apps.get_models():
        if model._meta.app_label in {"sessions", "contenttypes", "auth", "admin", "otp_totp", "otp_static"}:
            continue
        n = model.objects.count() if model._meta.managed is not False else 0
        if n:
            out[model._meta.label] = n
    return out


def _ids(role: str) -> list[int]:
    from django.contrib.auth import get_user_model

    users = dict(get_user_model().objects.filter(username__in=PEOPLE[role]).values_list("username", "pk"))
    return [users[name] for name in PEOPLE[role]]


def user_of(role: str, n: int = 0):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=PEOPLE[role][n])


def people() -> None:
    """The partner's people, by role; the Admins are also Django's staff and superusers (the admin pages)."""
    from django.test import override_settings

    from accounts.services import user_create_with_role
    from portal.core.access import Role

    # Nobody signs in with these passwords: a fast hasher keeps the seed quick.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        for role, names in PEOPLE.items():
            for n, username in enumerate(names):
                user = user_create_with_role(
                    username=username,
                    password="seed-pass-123",
                    role=Role(role),
                    first_name=f"{Role(role).label} {n + 1}",
                )
                if role == "admin":
                    user.is_staff = user.is_superuser = True
                    user.save()


def customers_seed(
    first: int, count: int, rng: random.Random, *, managers: Sequence[int] = (), support: Sequence[int] = ()
) -> None:
    """Customers first..first+count-1: 70 % on a licence plan, 20 % monthly, 10 % on a trial (ending over
    the next 30 days or ended up to 40 days ago); terms ending over the next 400 days; one in ten near its
    maximum users, one in twenty stale, one in ten removed; a pre-order or reservation for one in eight over
    the next 31 days; per 1,000 customers 20 operations (a quarter unknown, a quarter failed) and 50 audit
    entries; 30 findings per 1,000 customers. Customer i is looked after by managers[i % 12] (nobody's when
    i % 12 >= len(managers)) and, one in three, by support[i % len(support)]."""
    from django.db import transaction
    from django.utils import timezone

    from bench.common import company_name
    from billing import rules as billing_rules
    from billing.models import Finding
    from customers.models import Customer, CustomerOwner
    from portal.core import clock
    from portal.core.models import AuditEntry, Operation
    from subscriptions.models import PreOrder, Reservation, Subscription

    now, today = timezone.now(), clock.today()
    finding_year, finding_month = billing_rules.last_closed_month(today)
    day = dt.timedelta(days=1)
    rows, subs, res, pres, ops, audits, findings, owners = [], [], [], [], [], [], [], []
    for i in range(first, first + count):
        kind = rng.random()
        plan = "TRIAL" if kind < 0.1 else "MONTHLY" if kind < 0.3 else "ANNUAL_LICENSE"
        members = rng.randint(1, 500)
        c = Customer(
            domain_id=FIRST_DOMAIN + i,
            tenant_id=FIRST_DOMAIN + i,
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
        manager = managers[i % 12] if i % 12 < len(managers) else None
        contact = support[i % len(support)] if support and i % 3 == 0 else None
        if manager or contact:
            owners.append(
                CustomerOwner(customer_id=c.domain_id, account_manager_id=manager, support_contact_id=contact)
            )
        end = today + day * (rng.randint(-40, 30) if plan == "TRIAL" else rng.randint(0, 400))
        subs.append(
            Subscription(
                subscription_id=FIRST_SUBSCRIPTION + i,
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
                    subscription_id=FIRST_SUBSCRIPTION + i,
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
                    year=finding_year,
                    month=finding_month,
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
        Finding.objects.bulk_create(findings, batch_size=1000, ignore_conflicts=True)
        CustomerOwner.objects.bulk_create(owners, batch_size=1000)


def _live() -> list[tuple]:
    """(domainId, company name, domain, code, members, licences, plan) of every customer not removed."""
    from customers.models import Customer

    return list(
        Customer.objects.filter(removed_at=None)
        .order_by("domain_id")
        .values_list(
            "domain_id", "company_name", "domain", "customer_code", "member_count", "license_count", "plan"
        )
    )


def options_seed(rng: random.Random) -> None:
    """One to four options a customer, each with one of its sub-options (a trial among them at times); for one
    customer in sixteen, a scheduled cancellation of its first option within 31 days."""
    from django.utils import timezone

    from customers.models import Customer
    from options import rules
    from options.models import Option, OptionOrder
    from portal.core.vocabulary import OptionOrderType

    now = timezone.now()
    rows, orders = [], []
    ids = Customer.objects.order_by("domain_id")
    for domain_id in ids.values_list("domain_id", flat=True):
        chosen = rng.sample(list(rules.OPTIONS), rng.randint(1, min(4, len(rules.OPTIONS))))
        if (domain_id - FIRST_DOMAIN) % 16 == 0:
            orders.append(
                OptionOrder(
                    customer_id=domain_id,
                    option_product_id=chosen[0],
                    sub_option_id=rules.sub_options_of(chosen[0])[0].sub_option_id,
                    type=OptionOrderType.CANCEL,
                    apply_date=now.date() + dt.timedelta(days=rng.randint(1, 31)),
                    synced_at=now,
                )
            )
        for option_id in chosen:
            sub = rng.choice(rules.sub_options_of(option_id))
            begun = now.date() - dt.timedelta(days=rng.randint(30, 330))
            rows.append(
                Option(
                    customer_id=domain_id,
                    option_product_id=option_id,
                    sub_option_id=sub.sub_option_id,
                    quantity=rng.randint(1, 3) if sub.quantity else None,
                    plan="TRIAL" if sub.trial else "ANNUAL_LICENSE",
                    plan_start_date=begun,
                    plan_end_date=begun + dt.timedelta(days=30 if sub.trial else 364),
                    trial=sub.trial,
                    renewal_type="" if sub.trial else rng.choice(["STAY", "STAY", "CHANGE"]),
                    synced_at=now,
                )
            )
    Option.objects.bulk_create(rows, batch_size=5000)
    OptionOrder.objects.bulk_create(orders, batch_size=5000)


def billing_setup(rng: random.Random, today: dt.date, months: int) -> None:
    """The partner's details, billing details for nine customers in ten (one in five in English, one in fifty
    not billed), and the price book: the product and every option from the history's start, the product's
    price raised six months ago, and a customer in a hundred with a price of their own."""
    from billing.models import PriceEntry
    from customers.models import Customer
    from invoicing.models import CustomerBilling, IssuerDetails
    from options import rules as option_rules

    IssuerDetails.objects.update_or_create(
        pk=1,
        defaults={
            "registered_name": "シードパートナー株式会社",
            "address": "東京都千代田区丸の内1-1-1",
            "corporation": True,
            "registration_number": "T7000012050002",
            "bank_account": "みずほ銀行 本店 普通 1234567",
            "payment_terms": "end_of_next_month",
        },
    )
    start = dt.date(*months_before(today, max(1, months))[0], 1)
    finance = user_of("finance")
    entries = [
        PriceEntry(item_id="STD", cost=450, price=600, effective_from=start, created_by=finance),
        PriceEntry(item_id="ADV", cost=800, price=1000, effective_from=start, created_by=finance),
        PriceEntry(
            item_id="STD",
            cost=450,
            price=650,
            effective_from=dt.date(*months_before(today, 6)[0], 1),
            created_by=finance,
        ),
    ]
    entries += [
        PriceEntry(item_id=option_id, cost=200, price=300, effective_from=start, created_by=finance)
        for option_id in option_rules.OPTIONS
    ]
    billings = []
    ids = Customer.objects.order_by("domain_id")
    for domain_id, name, domain in ids.values_list("domain_id", "company_name", "domain"):
        i = domain_id - FIRST_DOMAIN
        if i % 100 == 11:
            entries.append(
                PriceEntry(
                    item_id="STD",
                    domain_id=domain_id,
                    cost=450,
                    price=560,
                    effective_from=start,
                    created_by=finance,
                )
            )
        if i % 10 == 7:
            continue
        billings.append(
            CustomerBilling(
                domain_id=domain_id,
                billed=i % 50 != 3,
                bill_to_name=f"{name} 経理部",
                bill_to_address=f"東京都港区芝公園{i % 9 + 1}-{i % 20 + 1}",
                invoice_email=f"ap@{domain}",
                language="en" if i % 5 == 0 else "ja",
            )
        )
    PriceEntry.objects.bulk_create(entries)
    CustomerBilling.objects.bulk_create(billings, batch_size=5000)


def line_works_months(rng: random.Random, today: dt.date, months: int) -> None:
    """LINE WORKS' invoice of each closed month and its details, through billing's stores (as the partner-wide
    walks store them: the details' month runs its check, which finds what it finds); every month but the last
    closed by Finance after."""
    from django.utils import timezone

    from billing import services
    from billing.models import MonthClosing
    from options.models import Option
    from portal.core import clock

    live = _live()
    options: dict[int, list[tuple[str, str, int | None]]] = {}
    for domain_id, option_id, sub_id, quantity, trial in Option.objects.values_list(
        "customer_id", "option_product_id", "sub_option_id", "quantity", "trial"
    ):
        if not trial:
            options.setdefault(domain_id, []).append((option_id, sub_id, quantity))
    chosen = months_before(today, months)
    invoices = []
    for year, month in chosen:
        first = dt.date(year, month, 1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        details, used = [], 0
        for domain_id, name, domain, code, members, licences, plan in live:
            if plan == "TRIAL":
                continue
            units = licences or members or 1
            items = [
                SimpleNamespace(
                    item_type="PRODUCT",
                    item_id="STD",
                    sub_item_id="",
                    plan=plan,
                    start_date=first,
                    end_date=last,
                    license_count=licences,
                    member_count=members,
                    quantity=None,
                    status="ACTIVE",
                    # The month's check finds a cost that differs from the price book for one in 33 customers.
                    amount=450 * units + (100 if (domain_id - FIRST_DOMAIN) % 33 == 5 else 0),
                    subscription_id=domain_id - FIRST_DOMAIN + FIRST_SUBSCRIPTION,
                )
            ]
            for option_id, sub_id, quantity in options.get(domain_id, []):
                items.append(
                    SimpleNamespace(
                        item_type="OPTION_PRODUCT",
                        item_id=option_id,
                        sub_item_id=sub_id,
                        plan="ANNUAL_LICENSE",
                        start_date=first,
                        end_date=last,
                        license_count=None,
                        member_count=members,
                        quantity=quantity,
                        status="ACTIVE",
                        amount=200 * (quantity or members or 1),
                        subscription_id=None,
                    )
                )
            used += sum(item.amount for item in items)
            details.append(
                SimpleNamespace(
                    domain_id=domain_id,
                    domain=domain,
                    customer_name=name,
                    customer_code=code,
                    settlement_items=items,
                )
            )
        issued = clock.midnight(last + dt.timedelta(days=1))
        services.invoice_month_store(year=year, month=month, remote=details, synced_at=issued)
        invoices.append(
            SimpleNamespace(
                invoice_year=year,
                invoice_month=month,
                invoice_no=year * 100 + month,
                partner_name="シードパートナー株式会社",
                used_amount=used,
                option_plus_amount=0,
                tax_rate=10,
                used_tax_amount=used // 10,
                option_plus_tax_amount=0,
                penalty_amount=0,
                total_amount=used + used // 10,
                payment_status="PAID" if (year, month) != chosen[-1] else "UNPAID",
                paid_time=issued + dt.timedelta(days=25) if (year, month) != chosen[-1] else None,
                issued_time=issued,
            )
        )
    for year in sorted({y for y, _m in chosen}):
        services.invoice_year_store(
            year=year, remote=[i for i in invoices if i.invoice_year == year], synced_at=timezone.now()
        )
    finance = user_of("finance")
    MonthClosing.objects.bulk_create(
        MonthClosing(
            year=year,
            month=month,
            closed_at=clock.midnight(dt.date(year, month, 1) + dt.timedelta(days=45)),
            closed_by=finance,
        )
        for year, month in chosen[:-1]
    )


def _seed_pdf(pdf: bytes) -> tuple[str, str]:
    """A PDF the seed's documents of one language share, written once to the documents' store (as the portal's
    own are, invoicing/storage.py): its name there and its SHA-256."""
    from invoicing import storage

    digest = storage.sha256(pdf)
    return storage.put(f"invoices/seed/{digest}.pdf", pdf), digest


def issued_months(rng: random.Random, today: dt.date, months: int) -> None:
    """Each closed month's invoices as its issue run leaves them: one per ready draft (invoicing's own drafts of
    the month's details and prices), numbered in sequence, with its PDF (rendered for the first invoice of each
    language, written once to the documents' store and named by all of that language, as is a credit note's), sent by e-mail, paid by their due date but for one in
    twenty-five (overdue, or paid in part); one in two hundred credited in part by a credit note."""
    from django.db import transaction

    from billing import rules as billing_rules
    from invoicing import document, selectors, services
    from invoicing.models import (
        DocumentKind,
        InvoiceCounter,
        InvoicePayment,
        InvoiceSending,
        IssuedInvoice,
        IssueRun,
        SendRun,
    )
    from portal.core import clock

    finance = user_of("finance")
    issuer = selectors.issuer_mapping()
    number = 1
    pdfs: dict[str, tuple[str, str]] = {}  # (name in the documents' store, SHA-256) by language
    for year, month in months_before(today, months):
        issue_date = billing_rules.issued_on(year, month)
        issued_at = clock.midnight(issue_date) + dt.timedelta(hours=9)
        ready = selectors.ready_drafts(user=finance, year=year, month=month, issue_date=issue_date)
        rows = []
        for draft in ready:
            row = services._from_draft(
                draft, number=number, year=year, month=month, issuer=issuer, user=finance
            )
            row.issued_at = issued_at
            if row.language not in pdfs:
                pdfs[row.language] = _seed_pdf(document.invoice_pdf(row))
            row.pdf, row.pdf_sha256 = pdfs[row.language]
            rows.append(row)
            number += 1
        with transaction.atomic():
            IssuedInvoice.objects.bulk_create(rows, batch_size=500)
            stored = list(IssuedInvoice.objects.filter(year=year, month=month, kind=DocumentKind.INVOICE))
            run = IssueRun.objects.create(
                year=year,
                month=month,
                requested_by=finance,
                total=len(stored),
                issued=len(stored),
                rendered=len(stored),
                finished_at=issued_at,
            )
            IssueRun.objects.filter(pk=run.pk).update(requested_at=issued_at - dt.timedelta(minutes=5))
            send = SendRun.objects.create(
                year=year,
                month=month,
                requested_by=finance,
                total=len(stored),
                sent=len(stored),
                finished_at=issued_at + dt.timedelta(hours=1),
            )
            SendRun.objects.filter(pk=send.pk).update(requested_at=issued_at + dt.timedelta(minutes=10))
            sendings, payments, notes = [], [], []
            for invoice in stored:
                sendings.append(
                    InvoiceSending(
                        invoice=invoice,
                        to=invoice.recipient.get("invoice_email") or "ap@example.jp",
                        attempted_at=issued_at + dt.timedelta(minutes=20),
                        attempted_by=finance,
                        outcome=InvoiceSending.Outcome.SENT,
                        finished_at=issued_at + dt.timedelta(minutes=21),
                    )
                )
                late = invoice.number % 25 == 7
                early = rng.random() < 0.4  # an invoice not due yet is paid already at times
                due = invoice.due_date < today
                if (due and not (late and invoice.number % 2)) or (not due and early and not late):
                    paid_on = min(today, invoice.due_date - dt.timedelta(days=rng.randint(0, 20)))
                    paid_on = max(paid_on, issue_date + dt.timedelta(days=1))
                    if paid_on > today:
                        continue
                    amount = invoice.total // 2 if late else invoice.total
                    if amount > 0:
                        payments.append(
                            InvoicePayment(
                                invoice=invoice,
                                amount=amount,
                                paid_on=paid_on,
                                recorded_at=clock.midnight(paid_on) + dt.timedelta(hours=15),
                                recorded_by=finance,
                            )
                        )
                if invoice.number % 200 == 13 and invoice.lines and invoice.lines[0].get("amount"):
                    credit = max(1, int(invoice.lines[0]["amount"]) // 10)
                    lines = [
                        {
                            **invoice.lines[0],
                            "amount": -credit,
                            "units": None,
                            "unit_price": None,
                            "original_line": 0,
                        }
                    ]
                    tax = -(credit // 10)
                    notes.append(
                        IssuedInvoice(
                            number=number,
                            kind=DocumentKind.CREDIT_NOTE,
                            original=invoice,
                            year=year,
                            month=month,
                            domain_id=invoice.domain_id,
                            customer_name=invoice.customer_name,
                            language=invoice.language,
                            issue_date=issue_date + dt.timedelta(days=10),
                            due_date=issue_date + dt.timedelta(days=10),
                            issuer=invoice.issuer,
                            recipient=invoice.recipient,
                            lines=lines,
                            per_rate=[
                                {"rate": lines[0].get("tax_rate") or 10, "amount": -credit, "tax": tax}
                            ],
                            subtotal=-credit,
                            tax=tax,
                            total=-credit + tax,
                            return_date=issue_date + dt.timedelta(days=9),
                            reason="数量の誤り",
                            idempotency_key=f"seed-credit-{number}",
                            issued_at=issued_at + dt.timedelta(days=10),
                            issued_by=finance,
                        )
                    )
                    number += 1
            for note in notes:  # rendered once per language too (a rendering takes about half a second)
                key = f"credit-{note.language}"
                if key not in pdfs:
                    pdfs[key] = _seed_pdf(document.pdf_of(note))
                note.pdf, note.pdf_sha256 = pdfs[key]
            InvoiceSending.objects.bulk_create(sendings, batch_size=2000)
            InvoicePayment.objects.bulk_create(payments, batch_size=2000)
            IssuedInvoice.objects.bulk_create(notes)
    InvoiceCounter.objects.update_or_create(key=services.COUNTER, defaults={"next_number": number})


def usage_seed(rng: random.Random, today: dt.date, months: int, *, until: dt.date | None = None) -> None:
    """Daily usage snapshots (thinned past USAGE_KEEP_DAYS to each month's first and last day) and daily option
    usage of every customer, from the history's start (the running month's 1st without history) to `until`
    (today)."""
    from django.utils import timezone

    from billing.models import UsageSnapshot
    from billing.services import USAGE_KEEP_DAYS
    from billing.usage import usage_premark
    from options.models import Option, OptionUsage
    from portal.core import partitions

    now = timezone.now()
    start = dt.date(*months_before(today, months)[0], 1) if months else today.replace(day=1)
    last = until or today
    days = [start + dt.timedelta(days=n) for n in range((last - start).days + 1)]
    kept_from = today - dt.timedelta(days=USAGE_KEEP_DAYS)

    def edge(day: dt.date) -> bool:
        return day.day == 1 or (day + dt.timedelta(days=1)).day == 1

    snapshot_days = [d for d in days if d >= kept_from or edge(d)]
    live = _live()
    snapshots = Table(
        UsageSnapshot,
        [
            "domain_id",
            "used_date",
            "product_group_id",
            "product_id",
            "plan",
            "license_count",
            "member_count",
            "max_member_count",
            "status",
            "synced_at",
            "changed",
            "edge",
        ],
    )

    def snapshot_rows() -> Iterator[tuple]:
        for domain_id, _name, _domain, _code, members, licences, plan in live:
            mine = []
            for n, day in enumerate(snapshot_days):
                grown = members + n // 60  # a member more every two months: a change now and then
                mine.append(
                    UsageSnapshot(
                        domain_id=domain_id,
                        used_date=day,
                        product_group_id="WORKS",
                        product_id="STD",
                        plan=plan,
                        license_count=licences,
                        member_count=grown,
                        max_member_count=None,
                        status="ACTIVE",
                        synced_at=now,
                    )
                )
            usage_premark(mine)
            for s in mine:
                yield (
                    s.domain_id,
                    s.used_date,
                    s.product_group_id,
                    s.product_id,
                    s.plan,
                    s.license_count,
                    s.member_count,
                    s.max_member_count,
                    s.status,
                    s.synced_at,
                    s.changed,
                    s.edge,
                )

    # On PostgreSQL the snapshots and the option usage are partitioned by month (portal/core/partitions.py): the
    # history's months are made before the COPY, so its rows land in their own months rather than in DEFAULT.
    for model in (UsageSnapshot, OptionUsage):
        if partitions.is_partitioned(model):
            partitions.make_months(model, "used_date", start, last)
    snapshots.write(snapshot_rows())
    usage = Table(
        OptionUsage,
        [
            "customer_id",
            "option_product_id",
            "sub_option_id",
            "used_date",
            "plan",
            "member_count",
            "usage_count",
            "synced_at",
        ],
    )
    options = list(
        Option.objects.filter(customer__removed_at=None)
        .order_by("customer_id", "option_product_id")
        .values_list("customer_id", "option_product_id", "sub_option_id", "plan", "customer__member_count")
    )

    def usage_rows() -> Iterator[tuple]:
        for domain_id, option_id, sub_id, plan, members in options:
            for day in days:
                yield (domain_id, option_id, sub_id, day, plan, members, rng.randint(0, 10_000), now)

    usage.write(usage_rows())


def history_seed(rng: random.Random, today: dt.date, months: int) -> None:
    """Sync runs, audit entries and operations of every customer over the history (a day without history), at
    `cadence`."""
    from django.utils import timezone

    from billing import rules as billing_rules
    from customers.models import Customer
    from portal.core.models import AuditEntry, Operation, SyncRun
    from portal.core.sync import engine
    from portal.core.sync.declarations import scope_of

    now = timezone.now()
    ids = list(Customer.objects.order_by("domain_id").values_list("domain_id", flat=True))
    customers = len(ids)
    pace = cadence(customers)
    span_days = (today - dt.date(*months_before(today, months)[0], 1)).days if months else 1
    span = dt.timedelta(days=span_days)
    finance = user_of("finance")
    manager_ids = _ids("account_manager")
    runs = Table(
        SyncRun,
        [
            "kind",
            "scope",
            "status",
            "started_at",
            "finished_at",
            "total",
            "done",
            "counts",
            "calls",
            "errors",
        ],
    )
    calls = {
        op: customers
        for op in (
            "getCustomer",
            "listSubscriptions",
            "listOptionProducts",
            "listCustomerUsages",
            "listOptionProductUsages",
        )
    }

    def run_rows() -> Iterator[tuple]:
        every = dt.timedelta(minutes=pace.full_every_minutes)
        length = dt.timedelta(minutes=pace.full_minutes)
        at = now - span
        while at < now - length:  # full resyncs, the refresh's batches in between
            yield (
                engine.FULL,
                "all",
                "succeeded",
                at,
                at + length,
                customers,
                customers,
                {"customers": customers, "subscriptions": customers},
                {"listCustomers": customers // 100 + 1, **calls},
                [],
            )
            idle = every - length
            batches = int(pace.refresh_runs * (every / dt.timedelta(days=1)))
            for n in range(batches):
                started = at + length + idle * n / max(1, batches)
                yield (
                    engine.REFRESH,
                    "turn=240",
                    "succeeded",
                    started,
                    started + dt.timedelta(seconds=55),
                    240,
                    240,
                    {"customers": 240},
                    {op: 240 for op in calls},
                    [],
                )
            at += every
        opened = int(pace.customer_runs * span_days)
        for n in range(opened):
            started = now - span * (n + 0.5) / max(1, opened)
            domain_id = rng.choice(ids)
            yield (
                engine.CUSTOMER,
                str(domain_id),
                "succeeded",
                started,
                started + dt.timedelta(seconds=3),
                1,
                1,
                {"options": 2},
                {"getCustomer": 1},
                [],
            )
        ticks = span_days * 2
        for n in range(ticks):
            started = now - span * (n + 0.5) / ticks
            year, month = billing_rules.last_closed_month(started.date())
            for name, params in (
                ("billing.invoices", {"year": year}),
                ("billing.invoice_details", {"year": year, "month": month}),
            ):
                yield (
                    engine.PARTNER,
                    scope_of(name, params),
                    "succeeded",
                    started,
                    started + dt.timedelta(seconds=40),
                    0,
                    3,
                    {},
                    {"listInvoices" if name == "billing.invoices" else "listInvoiceDetails": 3},
                    [],
                )

    runs.write(run_rows())
    operations = Table(
        Operation,
        [
            "id",
            "idempotency_key",
            "kind",
            "domain_id",
            "requested_by_id",
            "params",
            "status",
            "progress",
            "created_at",
            "updated_at",
            "finished_at",
        ],
    )
    audits = Table(
        AuditEntry,
        [
            "created_at",
            "actor_id",
            "actor_name",
            "domain_id",
            "operation_id",
            "request_summary",
            "response_status",
            "response_body",
            "outcome",
            "reason",
            "request_id",
        ],
    )
    kinds = [
        "patchCustomer",
        "updateSubscriptionRenewal",
        "createSubscriptionReservation",
        "createOptionProduct",
        "patchUsageStatus",
        "updateOptionProductRenewal",
    ]
    op_count = int(pace.operations * span_days)
    audit_count = int(pace.audits * span_days)

    def operation_rows() -> Iterator[tuple]:
        for n in range(op_count):
            at = now - span * (n + 0.5) / op_count
            domain_id = rng.choice(ids)
            status = "failed" if n % 40 == 3 else "succeeded"
            yield (
                uuid.UUID(int=(1 << 64) + n),
                f"seed-op-{n}",
                kinds[n % len(kinds)],
                domain_id,
                manager_ids[n % len(manager_ids)],
                {"domain_id": domain_id},
                status,
                100,
                at,
                at,
                at + dt.timedelta(seconds=2),
            )

    def audit_rows() -> Iterator[tuple]:
        for n in range(audit_count):
            at = now - span * (n + 0.5) / audit_count
            domain_id = rng.choice(ids)
            actor = manager_ids[n % len(manager_ids)]
            yield (
                at,
                actor,
                PEOPLE["account_manager"][n % len(manager_ids)],
                domain_id,
                kinds[n % len(kinds)],
                {"domainId": domain_id, "note": "seed"},
                200,
                {"ok": True},
                "succeeded" if n % 50 else "refused",
                "",
                f"seed-{n:08x}",
            )
        # What issuing, sending and recording a payment write (invoicing.services), one each a document.
        for number, domain_id, issued_at in issued:
            for op in ("portal.issueCustomerInvoice", "portal.sendCustomerInvoice"):
                yield (
                    issued_at,
                    finance.pk,
                    finance.username,
                    domain_id,
                    op,
                    {"number": number},
                    None,
                    {},
                    "succeeded",
                    "",
                    "",
                )
        for number, domain_id, recorded_at in paid:
            yield (
                recorded_at,
                finance.pk,
                finance.username,
                domain_id,
                "portal.recordInvoicePayment",
                {"number": number},
                None,
                {},
                "succeeded",
                "",
                "",
            )

    # Read before the COPY starts: the connection serves nothing else while it runs.
    from invoicing.models import InvoicePayment, IssuedInvoice

    issued = list(IssuedInvoice.objects.values_list("number", "domain_id", "issued_at"))
    paid = list(InvoicePayment.objects.values_list("invoice__number", "invoice__domain_id", "recorded_at"))
    operations.write(operation_rows())
    audits.write(audit_rows())
    batches_seed(rng, ids, span_days, manager_ids)


#: Rows of each week's bulk change.
BATCH_ROWS = 20


def batches_seed(rng: random.Random, ids: Sequence[int], span_days: int, manager_ids: Sequence[int]) -> None:
    """A bulk change a week over the history, finished: a renewal of BATCH_ROWS subscriptions, each applied."""
    from django.utils import timezone

    from portal.core.models import Batch, BatchRow

    now = timezone.now()
    weeks = span_days // 7
    batches = Table(
        Batch, ["id", "created_by_id", "action", "values", "state", "created_at", "started_at", "finished_at"]
    )
    rows = Table(
        BatchRow, ["batch_id", "key", "position", "domain_id", "label", "ticked", "found", "outcome"]
    )
    made = []

    def batch_rows() -> Iterator[tuple]:
        for week in range(weeks):
            at = now - dt.timedelta(days=7 * (week + 1), hours=-10)
            batch = uuid.UUID(int=(2 << 64) + week)
            made.append(batch)
            yield (
                batch,
                manager_ids[week % len(manager_ids)],
                "subscriptions.renewal",
                {"type": "STAY"},
                "finished",
                at,
                at + dt.timedelta(minutes=2),
                at + dt.timedelta(minutes=9),
            )

    def row_rows() -> Iterator[tuple]:
        for batch in made:
            for position, domain_id in enumerate(rng.sample(list(ids), min(BATCH_ROWS, len(ids)))):
                subscription = domain_id - FIRST_DOMAIN + FIRST_SUBSCRIPTION
                yield (
                    batch,
                    f"subscriptions:{subscription}",
                    position,
                    domain_id,
                    f"{subscription}",
                    True,
                    {
                        "changes": [["Renewal", "Renew with changes", "Renew unchanged"]],
                        "side_effects": [],
                        "refusal": "",
                    },
                    "applied",
                )

    batches.write(batch_rows())
    rows.write(row_rows())


def batch_seed() -> None:
    """The bulk batch a page shows: a real dry run of a renewal on the first fifty subscriptions, as an Admin."""
    from portal.core.changes.bulk import batch_check, bulk_action
    from subscriptions.models import Subscription

    keys = [str(pk) for pk in Subscription.objects.order_by("pk").values_list("pk", flat=True)[:50]]
    values = {"type": "STAY", "product_id": "", "plan": "", "license_count": None}
    batch_check(user=user_of("admin"), action=bulk_action("subscriptions.renewal"), values=values, keys=keys)


def estimates_seed(today: dt.date) -> None:
    """The estimates and the drafts as the worker keeps them (beat's kept-copies, portal.core.kept)."""
    from portal.core.kept import keep_all

    keep_all(today)


# --- The command ---------------------------------------------------------------------------------------------------


def setup(url: str) -> None:
    """Django on the database `url` (before any model is imported)."""
    import django

    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "portal.settings"
    os.environ["REDIS_URL"] = ""
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["ALLOWED_HOSTS"] = "testserver,127.0.0.1,localhost"
    django.setup()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench seed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1000, help="how many customers (10-200000)")
    parser.add_argument("--months", type=int, default=12, help="months of history (0-36)")
    parser.add_argument(
        "--database",
        default="",
        help="the database's URL (default DATABASE_URL, else var/bench-seed.sqlite3)",
    )
    parser.add_argument(
        "--history-only",
        action="store_true",
        help="only the history of the customers the database holds (the soak's, after its first resync)",
    )
    args = parser.parse_args(argv)
    if not 10 <= args.customers <= 200_000 or not 0 <= args.months <= 36:
        parser.error("--customers 10-200000, --months 0-36")
    url = (
        args.database or os.environ.get("DATABASE_URL") or f"sqlite:///{REPO / 'var' / 'bench-seed.sqlite3'}"
    )
    setup(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from customers.models import Customer

    t0 = time.perf_counter()
    if args.history_only:
        if not Customer.objects.exists():
            print("--history-only: the database holds no customers to give a history.", file=sys.stderr)
            return 2
        written = history(months=args.months, verbose=True)
        args.customers = Customer.objects.count()
    elif Customer.objects.exists():
        print("The database holds customers already: seed an empty one.", file=sys.stderr)
        return 2
    else:
        written = seed(customers=args.customers, months=args.months, verbose=True)
    print(
        f"seeded {args.customers:,} customers and {args.months} months in {time.perf_counter() - t0:.0f} s:"
    )
    for label, n in sorted(written.items()):
        print(f"  {label:32} {n:>12,}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
