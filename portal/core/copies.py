"""When each customer's cached copy was last written (`CopyChange`): moved on by the sync engine after every
batch of stores and listing page, and by the change engine when a change is applied; read by whatever keeps a
copy derived from the cache (billing's kept estimate) to know which customers to work out again."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db.models import Model, QuerySet
from django.utils import timezone

from portal.core.models import CopyChange


def copies_changed(domain_ids: Iterable[int]) -> None:
    """These customers' copies were just written (called inside the writing transaction)."""
    ids = sorted({d for d in domain_ids if d})
    if not ids:
        return
    now = timezone.now()
    CopyChange.objects.bulk_create(
        [CopyChange(domain_id=domain_id, changed_at=now) for domain_id in ids],
        update_conflicts=True,
        unique_fields=["domain_id"],
        update_fields=["changed_at"],
        batch_size=500,
    )


def copies_changed_since(moment: dt.datetime) -> set[int]:
    """The customers whose copy was written at or after `moment`."""
    return set(CopyChange.objects.filter(changed_at__gte=moment).values_list("domain_id", flat=True))


def copies_changed_count(moment: dt.datetime) -> int:
    """How many customers' copies were written at or after `moment` (along the index of when)."""
    return CopyChange.objects.filter(changed_at__gte=moment).count()


def holds_already(held: QuerySet, rows: Sequence[Model], fields: Sequence[str], *, key: int) -> bool:
    """Whether the copy's rows `held` are already `rows` (the ones just read): the same rows, known by their first
    `key` of `fields`, with the same values in every one of `fields`. A resync that reads again what it read
    last time (most days of a usage store) then only stamps the rows read, instead of deleting and writing them
    all again."""
    read = {
        tuple(getattr(row, f) for f in fields[:key]): tuple(getattr(row, f) for f in fields) for row in rows
    }
    if len(read) != len(rows):
        return False
    stored = list(held.values_list(*fields))
    return len(stored) == len(read) and all(read.get(row[:key]) == row for row in stored)
