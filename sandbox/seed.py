"""Deterministic seed data. Each domain adds its part with ``@seed_part`` in ``sandbox/seeding/<domain>.py``;
parts run in ``order``.

    from sandbox.seed import SeedContext, seed_part

    @seed_part("subscriptions", order=20)
    def seed_subscriptions(ctx: SeedContext) -> None:
        for customer in ctx.customers:            # the customers created by the customers part
            rng = ctx.rng_for("subscriptions", customer.domain_id)   # stable per customer
            ...
        Subscription.objects.bulk_create(rows, batch_size=2000)

``ctx.plans[domain_id]`` holds the plan the customers part chose for each customer (a ``CustomerPlan``), so
subscriptions, options and billing agree with each other. Use ``bulk_create``: 10,000 customers must seed in
under 60 s in total.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

from sandbox import clock

_PARTS: dict[str, tuple[int, Callable[[SeedContext], None]]] = {}


@dataclass
class CustomerPlan:
    """The commercial shape chosen for a seeded customer; the other domains build on it."""

    product_id: str  # FR, STD_T, ADV_T, STD, ADV
    plan: str  # FREE, TRIAL, MONTHLY, ANNUAL_LICENSE, ANNUAL_PREPAY_LICENSE
    start_date: dt.date  # first day of the current subscription
    license_count: int | None
    member_count: int


@dataclass
class SeedContext:
    seed: int
    customer_count: int
    today: dt.date
    customers: list = field(default_factory=list)  # sandbox.models.Customer rows (with domain_id)
    plans: dict[int, CustomerPlan] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def rng_for(self, *parts: object) -> random.Random:
        return random.Random(f"{self.seed}:" + ":".join(map(str, parts)))


def seed_part(
    name: str, *, order: int = 50
) -> Callable[[Callable[[SeedContext], None]], Callable[[SeedContext], None]]:
    def register(func: Callable[[SeedContext], None]) -> Callable[[SeedContext], None]:
        _PARTS[name] = (order, func)
        return func

    return register


def parts() -> list[tuple[str, Callable[[SeedContext], None]]]:
    return [
        (name, func) for name, (order, func) in sorted(_PARTS.items(), key=lambda item: (item[1][0], item[0]))
    ]


def run(*, customers: int, seed: int) -> SeedContext:
    """Add ``customers`` seeded customers (and everything the registered parts attach to them)."""
    state = clock.state()
    clock.catch_up()
    ctx = SeedContext(seed=seed, customer_count=customers, today=clock.today(state.clock_offset_days))
    with transaction.atomic():
        for _name, func in parts():
            func(ctx)
        state.seed = seed
        state.save(update_fields=["seed"])
    return ctx
