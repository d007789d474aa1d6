"""When the customers' copies were read: the oldest (the metrics' oldest copy age), the oldest few (the
continuous refresh's turn), and those of given customers (the refresh's needs)."""

from __future__ import annotations

import datetime as dt

from customers.models import (
    Customer,
)


def oldest_copy() -> dt.datetime | None:
    """When the oldest copy of a customer still in the API was read (the metrics' oldest copy age, the Sync
    page): the first entry of the live customers' (synced_at, domain_id) index, read from the index alone."""
    return (
        Customer.objects.filter(removed_at=None)
        .order_by("synced_at", "domain_id")
        .values_list("synced_at", flat=True)
        .first()
    )


def oldest_copies(n: int, before: dt.datetime) -> list[int]:
    """The `n` customers still in the API whose copies, read before `before`, are oldest, oldest first (the
    continuous refresh's turn), along the live customers' (synced_at, domain_id) index."""
    return list(
        Customer.objects.filter(removed_at=None, synced_at__lt=before)
        .order_by("synced_at", "domain_id")
        .values_list("domain_id", flat=True)[:n]
    )


def copies_of(domain_ids: list[int]) -> dict[int, dt.datetime]:
    """When the copy of each of these customers still in the API was read (the refresh's needs)."""
    found: dict[int, dt.datetime] = {}
    for start in range(0, len(domain_ids), 500):
        found.update(
            Customer.objects.filter(
                domain_id__in=domain_ids[start : start + 500], removed_at=None
            ).values_list("domain_id", "synced_at")
        )
    return found
