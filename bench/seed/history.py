"""The running portal's history over the months seeded, at `cadence`: sync runs (full resyncs, the refresh's
batches, customer pages opened, the partner-wide walks), people's operations and audit entries (with what
issuing, sending and recording a payment write), and a bulk change a week."""

from __future__ import annotations

import datetime as dt
import heapq
import random
import uuid
from collections.abc import Iterator, Sequence
from itertools import chain
from operator import itemgetter

from bench.seed.batches import batches_seed
from bench.seed.cadence import Cadence, cadence, months_before
from bench.seed.people import PEOPLE, ids_of, user_of
from bench.seed.tables import Table

SYNC_RUN_COLUMNS = [
    "kind",
    "scope",
    "status",
    "requested_at",
    "finished_at",
    "total",
    "done",
    "counts",
    "calls",
    "errors",
    "customer_name",
]
OPERATION_COLUMNS = [
    "id",
    "idempotency_key",
    "kind",
    "domain_id",
    "requested_by_id",
    "params",
    "status",
    "done",
    "failed",
    "requested_at",
    "updated_at",
    "finished_at",
]
AUDIT_COLUMNS = [
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
]
#: The operations people's changes call, in turn.
KINDS = [
    "patchCustomer",
    "updateSubscriptionRenewal",
    "createSubscriptionReservation",
    "createOptionProduct",
    "patchUsageStatus",
    "updateOptionProductRenewal",
]
#: The per-customer operations a resync calls, once a customer each.
PER_CUSTOMER = (
    "getCustomer",
    "listSubscriptions",
    "listOptionProducts",
    "listCustomerUsages",
    "listOptionProductUsages",
)


def history_seed(rng: random.Random, today: dt.date, months: int) -> None:
    """Sync runs, audit entries and operations of every customer over the history (a day without history), at
    `cadence`."""
    from django.utils import timezone

    from customers.models import Customer
    from invoicing.models import InvoicePayment, IssuedInvoice
    from portal.core.models import AuditEntry, Operation, SyncRun

    now = timezone.now()
    ids = list(Customer.objects.order_by("domain_id").values_list("domain_id", flat=True))
    pace = cadence(len(ids))
    span_days = (today - dt.date(*months_before(today, months)[0], 1)).days if months else 1
    span = dt.timedelta(days=span_days)
    manager_ids = ids_of("account_manager")
    names = dict(Customer.objects.values_list("domain_id", "company_name"))
    # In the order they began, as the running portal writes them: the latest runs lie together on the table.
    runs = heapq.merge(
        _resync_runs(pace, now=now, span=span),
        _partner_runs(now=now, span_days=span_days),
        _customer_runs(rng, pace, ids, names, now=now, span_days=span_days),
        key=itemgetter(3),
    )
    Table(SyncRun, SYNC_RUN_COLUMNS).write(runs)
    # Read before the COPY starts: the connection serves nothing else while it runs.
    issued = list(IssuedInvoice.objects.values_list("number", "domain_id", "issued_at"))
    paid = list(InvoicePayment.objects.values_list("invoice__number", "invoice__domain_id", "recorded_at"))
    count = int(pace.operations * span_days)
    Table(Operation, OPERATION_COLUMNS).write(
        _operation_rows(rng, ids, manager_ids, count, now=now, span=span)
    )
    count = int(pace.audits * span_days)
    Table(AuditEntry, AUDIT_COLUMNS).write(
        chain(
            _audit_rows(rng, ids, manager_ids, count, now=now, span=span),
            _invoicing_audit_rows(issued, paid, finance=user_of("finance")),
        )
    )
    batches_seed(rng, ids, span_days, manager_ids)


def _resync_runs(pace: Cadence, *, now: dt.datetime, span: dt.timedelta) -> Iterator[tuple]:
    """Full resyncs at every beat tick they are not refused, the refresh's batches beside each (by need, a batch
    after another) and in turn after it; the last full resync still running at `now`, part way, as the running
    portal leaves it (its batches beside it up to `now`)."""
    from django.conf import settings

    from portal.core.partner import sustained_rate
    from portal.core.sync import need, running

    customers = pace.customers
    every = dt.timedelta(minutes=pace.full_every_minutes)
    length = dt.timedelta(minutes=pace.full_minutes)
    batch = dt.timedelta(seconds=settings.RESYNC_REFRESH_BATCH_SECONDS)
    batches = int(pace.refresh_runs * (every / dt.timedelta(days=1)))
    beside = min(batches, int(length / batch))
    # Beside a full resync that gives way, the refresh has the rest of the sustained rate.
    by_need = need.batch_size(
        rate_per_minute=sustained_rate() * (1 - settings.RESYNC_FULL_SHARE_GIVING_WAY),
        seconds=batch.total_seconds(),
        calls_per_customer=1,
    )
    at = now - span
    while at < now:
        finished = at + length
        done = customers if finished <= now else int(customers * ((now - at) / length))
        yield (
            running.FULL,
            "all",
            "succeeded" if finished <= now else "running",
            at,
            finished if finished <= now else None,
            customers,
            done,
            {"customers": done, "subscriptions": done},
            {"listCustomers": done // 100 + 1, **dict.fromkeys(PER_CUSTOMER, done)},
            [],
            "",
        )
        for n in range(beside):
            started = at + batch * n
            if started + batch > now:
                return
            yield _refresh_run(f"due={by_need}", started, by_need)
        idle = every - length
        for n in range(batches - beside):
            started = finished + idle * n / max(1, batches - beside)
            if started + batch > now:
                return
            yield _refresh_run("turn=240", started, 240)
        at += every


def _refresh_run(scope: str, started: dt.datetime, read: int) -> tuple:
    """One batch of the refresh, reading `read` customers (`scope`: why, as the refresh names it)."""
    from portal.core.sync import running

    return (
        running.REFRESH,
        scope,
        "succeeded",
        started,
        started + dt.timedelta(seconds=55),
        read,
        read,
        {"customers": read},
        dict.fromkeys(PER_CUSTOMER, read),
        [],
        "",
    )


def _customer_runs(
    rng: random.Random,
    pace: Cadence,
    ids: Sequence[int],
    names: dict[int, str],
    *,
    now: dt.datetime,
    span_days: int,
) -> Iterator[tuple]:
    """A customer refreshed on opening its page whose copy was old, spread over the history (oldest first), named
    as it began."""
    from portal.core.sync import running

    span = dt.timedelta(days=span_days)
    opened = int(pace.customer_runs * span_days)
    for n in reversed(range(opened)):
        started = now - span * (n + 0.5) / max(1, opened)
        domain_id = rng.choice(ids)
        finished = started + dt.timedelta(seconds=3)
        yield (
            running.CUSTOMER,
            str(domain_id),
            "succeeded",
            started,
            finished,
            1,
            1,
            {"options": 2},
            {"getCustomer": 1},
            [],
            names.get(domain_id, ""),
        )


def _partner_runs(*, now: dt.datetime, span_days: int) -> Iterator[tuple]:
    """The partner-wide walks twice a day (oldest first): the year's invoices and the last closed month's
    details."""
    from billing import rules as billing_rules
    from portal.core.sync import running
    from portal.core.sync.declarations import scope_of

    span = dt.timedelta(days=span_days)
    ticks = span_days * 2
    for n in reversed(range(ticks)):
        started = now - span * (n + 0.5) / ticks
        year, month = billing_rules.last_closed_month(started.date())
        for name, params in (
            ("billing.invoices", {"year": year}),
            ("billing.invoice_details", {"year": year, "month": month}),
        ):
            calls = {"listInvoices" if name == "billing.invoices" else "listInvoiceDetails": 3}
            finished = started + dt.timedelta(seconds=40)
            yield (
                running.PARTNER,
                scope_of(name, params),
                "succeeded",
                started,
                finished,
                0,
                3,
                {},
                calls,
                [],
                "",
            )


def _operation_rows(
    rng: random.Random, ids: Sequence[int], manager_ids: Sequence[int], count: int, *, now, span
) -> Iterator[tuple]:
    """People's operations, spread over the history, one in forty failed."""
    for n in range(count):
        at = now - span * (n + 0.5) / count
        domain_id = rng.choice(ids)
        status = "failed" if n % 40 == 3 else "succeeded"
        yield (
            uuid.UUID(int=(1 << 64) + n),
            f"seed-op-{n}",
            KINDS[n % len(KINDS)],
            domain_id,
            manager_ids[n % len(manager_ids)],
            {"domain_id": domain_id},
            status,
            int(status == "succeeded"),
            int(status == "failed"),
            at,
            at,
            at + dt.timedelta(seconds=2),
        )


def _audit_rows(
    rng: random.Random, ids: Sequence[int], manager_ids: Sequence[int], count: int, *, now, span
) -> Iterator[tuple]:
    """People's changes recorded in the audit trail, spread over the history, one in fifty refused."""
    for n in range(count):
        at = now - span * (n + 0.5) / count
        domain_id = rng.choice(ids)
        actor = manager_ids[n % len(manager_ids)]
        name = PEOPLE["account_manager"][n % len(manager_ids)]
        summary = {"domainId": domain_id, "note": "seed"}
        outcome = "succeeded" if n % 50 else "refused"
        yield (
            at,
            actor,
            name,
            domain_id,
            KINDS[n % len(KINDS)],
            summary,
            200,
            {"ok": True},
            outcome,
            "",
            f"seed-{n:08x}",
        )


def _invoicing_audit_rows(issued: list[tuple], paid: list[tuple], *, finance) -> Iterator[tuple]:
    """What issuing, sending and recording a payment write (invoicing.services), one each a document."""
    done = [
        (at, domain_id, op, number)
        for number, domain_id, at in issued
        for op in ("portal.issueCustomerInvoice", "portal.sendCustomerInvoice")
    ]
    done += [(at, domain_id, "portal.recordInvoicePayment", number) for number, domain_id, at in paid]
    for at, domain_id, op, number in done:
        yield (
            at,
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
