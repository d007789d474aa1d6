"""The customers with what the resync reads of them (subscriptions, scheduled changes, options) and the work
on the home page (operations, audit entries, findings)."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.seed.tables import made_after, objects_write

#: The first customer's domainId and subscriptionId: customer i is FIRST_DOMAIN + i.
FIRST_DOMAIN = 40_000_000
FIRST_SUBSCRIPTION = 91_000_000


@dataclass
class _Made:
    """The rows `customers_seed` makes, by model, written together at the end."""

    customers: list[Any] = field(default_factory=list)
    subscriptions: list[Any] = field(default_factory=list)
    reservations: list[Any] = field(default_factory=list)
    pre_orders: list[Any] = field(default_factory=list)
    operations: list[Any] = field(default_factory=list)
    audits: list[Any] = field(default_factory=list)
    findings: list[Any] = field(default_factory=list)
    owners: list[Any] = field(default_factory=list)


def customers_seed(
    first: int, count: int, rng: random.Random, *, managers: Sequence[int] = (), support: Sequence[int] = ()
) -> None:
    """Customers first..first+count-1: 70 % on a licence plan, 20 % monthly, 10 % on a trial (ending over
    the next 30 days or ended up to 40 days ago); terms ending over the next 400 days; one in ten near its
    maximum users, one in twenty stale, one in ten removed; a pre-order or reservation for one in eight over
    the next 31 days; per 1,000 customers 20 operations (a quarter unknown, a quarter failed) and 50 audit
    entries; 30 findings per 1,000 customers. Customer i is looked after by managers[i % 12] (nobody's when
    i % 12 >= len(managers)) and, one in three, by support[i % len(support)]."""
    from django.utils import timezone

    from billing import rules as billing_rules
    from customers.models import CustomerOwner
    from portal.core import clock

    now, today = timezone.now(), clock.today()
    closed = billing_rules.last_closed_month(today)
    made = _Made()
    for i in range(first, first + count):
        c = _customer(i, rng, now)
        made.customers.append(c)
        manager = managers[i % 12] if i % 12 < len(managers) else None
        contact = support[i % len(support)] if support and i % 3 == 0 else None
        if manager or contact:
            made.owners.append(
                CustomerOwner(customer_id=c.domain_id, account_manager_id=manager, support_contact_id=contact)
            )
        _subscription(i, c, rng, made, today=today, now=now)
        _scheduled(i, c, rng, made, today=today, now=now)
        _work(i, c, made, closed=closed, now=now)
    _customers_write(made)


def _customer(i: int, rng: random.Random, now: dt.datetime):
    """Customer i: its plan, its users, removed or stale at times."""
    from bench.common import company_name
    from customers.models import Customer

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
    return c


def _subscription(i: int, c, rng: random.Random, made: _Made, *, today: dt.date, now: dt.datetime) -> None:
    """Customer i's subscription, and its summary on the customer as the resync keeps it (customers.services)."""
    from subscriptions.models import Subscription

    day = dt.timedelta(days=1)
    plan, members = c.plan, c.member_count
    end = today + day * (rng.randint(-40, 30) if plan == "TRIAL" else rng.randint(0, 400))
    made.subscriptions.append(
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
    c.main_subscription_id = made.subscriptions[-1].subscription_id
    c.license_count = made.subscriptions[-1].license_count
    c.refresh_derived()


def _scheduled(i: int, c, rng: random.Random, made: _Made, *, today: dt.date, now: dt.datetime) -> None:
    """A reservation (one in eight, not on a trial) or a pre-order (one in eight) within 31 days."""
    from subscriptions.models import PreOrder, Reservation

    day = dt.timedelta(days=1)
    if i % 8 == 0 and c.plan != "TRIAL":
        made.reservations.append(
            Reservation(
                subscription_id=FIRST_SUBSCRIPTION + i,
                customer_id=c.domain_id,
                type="ADD_LICENSE" if c.plan == "ANNUAL_LICENSE" else "CANCEL",
                apply_date=today + day * rng.randint(1, 31),
                license_count=5,
                synced_at=now,
            )
        )
    if i % 8 == 4:
        made.pre_orders.append(
            PreOrder(
                pre_order_id=96_000_000 + i,
                customer_id=c.domain_id,
                product_id="ADV",
                plan="MONTHLY",
                apply_date=today + day * rng.randint(1, 31),
                synced_at=now,
            )
        )


def _work(i: int, c, made: _Made, *, closed: tuple[int, int], now: dt.datetime) -> None:
    """The home page's work of customer i: an operation (one in fifty, twelve customers in a row, so that every
    Account manager has some at every size), an audit entry (one in twenty), a finding of the last closed month
    (one in thirty-three)."""
    from billing.models import Finding
    from portal.core.models import AuditEntry, Operation

    run = i // 12  # twelve customers in a row: one of each Account manager's (`customers_seed`)
    if run % 50 == 1:
        status = ["unknown", "failed", "succeeded", "succeeded"][run // 50 % 4]
        made.operations.append(
            Operation(
                id=uuid.UUID(int=i + 1),
                idempotency_key=f"bench-{i}",
                kind="patchUsageStatus",
                domain_id=c.domain_id,
                status=status,
            )
        )
    if i % 20 == 2:
        made.audits.append(
            AuditEntry(
                operation_id="patchUsageStatus",
                domain_id=c.domain_id,
                outcome="succeeded",
                actor_name="manager",
            )
        )
    if i % 33 == 5:
        made.findings.append(
            Finding(
                year=closed[0],
                month=closed[1],
                domain_id=c.domain_id,
                customer_name=c.company_name,
                kind="licences",
                subject=str(i),
                checked_at=now,
            )
        )


def _customers_write(made: _Made) -> None:
    """`customers_seed`'s rows, in one transaction. The database copies each customer to the search table and its
    grams (customers/migrations 0006, 0014), row by row: their indexes are made after."""
    from django.db import transaction

    from billing.models import Finding
    from customers.models import Customer, CustomerOwner, CustomerSearch, CustomerSearchGram
    from portal.core.models import AuditEntry, Operation
    from subscriptions.models import PreOrder, Reservation, Subscription

    with transaction.atomic(), made_after(CustomerSearch, CustomerSearchGram):
        for model, instances in (
            (Customer, made.customers),
            (Subscription, made.subscriptions),
            (Reservation, made.reservations),
            (PreOrder, made.pre_orders),
            (Operation, made.operations),
            (AuditEntry, made.audits),
            (CustomerOwner, made.owners),
        ):
            objects_write(model, instances)
        Finding.objects.bulk_create(made.findings, batch_size=1000, ignore_conflicts=True)


def options_seed(rng: random.Random) -> None:
    """One to four options a customer, each with one of its sub-options (a trial among them at times, one in
    eleven still running); for one customer in sixteen, a scheduled cancellation of its first option within 31
    days."""
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
            # A trial (30 days) begun on any day of the last eleven months: those of the last month still run.
            begun = now.date() - dt.timedelta(days=rng.randint(0 if sub.trial else 30, 330))
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
    objects_write(Option, rows)
    objects_write(OptionOrder, orders)
