"""Who is, and who was, a customer, as billing reads it: the check's departures (`customer_departures`), the
estimate's customers and their members (`customers_billed`), those still in the API or removed since a moment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from customers.models import (
    Customer,
)
from portal.core.batches import batched


class Departure(NamedTuple):
    """When a customer stopped being one, as dated facts that later changes do not move: the cancellation
    date (None without one) and when it was removed from the API (None while it is there). A tuple: one is
    made for every customer at each check."""

    company_name: str
    withdrawal_date: dt.date | None
    removed_at: dt.datetime | None


def customer_departures() -> dict[int, Departure]:
    """Every customer the portal knows (removed ones included) with its departure dates, in one query: the
    billing check's reader of who was a customer in a past month."""
    return {
        row[0]: Departure(*row[1:])
        for row in Customer.objects.values_list("domain_id", "company_name", "withdrawal_date", "removed_at")
    }


class BilledCustomer(NamedTuple):
    """A customer as the billing estimate reads it: its names and codes, today's member count (what a plan billed
    by members is priced by) and its cancellation date (billed up to and including that day)."""

    domain_id: int
    company_name: str
    domain: str
    customer_code: str
    member_count: int | None
    withdrawal_date: dt.date | None


def customers_live() -> set[int]:
    """The domainIds of the customers still in the API (billing's kept estimate: who it keeps a copy of)."""
    return set(Customer.objects.filter(removed_at=None).values_list("domain_id", flat=True))


def customers_removed_since(moment: dt.datetime) -> set[int]:
    """The domainIds of the customers removed from the API at or after `moment`."""
    return set(Customer.objects.filter(removed_at__gte=moment).values_list("domain_id", flat=True))


def customers_billed(*, domain_ids: Sequence[int] | None = None) -> dict[int, BilledCustomer]:
    """The customers still in the API (or those of `domain_ids`), in one query: the billing estimate's reader of
    who is a customer and by how many members."""
    qs = Customer.objects.filter(removed_at=None)
    if domain_ids is not None:
        qs = qs.filter(domain_id__in=list(domain_ids))
    return {row[0]: BilledCustomer(*row) for row in qs.values_list(*BILLED_FIELDS)}


#: What `BilledCustomer` holds, in its order.
BILLED_FIELDS = ("domain_id", "company_name", "domain", "customer_code", "member_count", "withdrawal_date")


def customers_billed_batches(*, size: int) -> Iterator[list[BilledCustomer]]:
    """The customers still in the API by company name (then domainId), `size` at a time, read as they are
    asked for: a download of every customer holds a batch, not all of them."""
    rows = (
        Customer.objects.filter(removed_at=None)
        .order_by("company_name", "domain_id")
        .values_list(*BILLED_FIELDS)
        .iterator(chunk_size=size)
    )
    for batch in batched(rows, size):
        yield [BilledCustomer(*row) for row in batch]
