"""When each customer's cached copy was last written (`CopyChange`): moved on by the sync engine after every
batch of stores and listing page, and by the change engine when a change is applied; read by whatever keeps a
copy derived from the cache (billing's kept estimate) to know which customers to work out again. A write of the
portal's own data of a customer (`own=True`: invoicing's billing details, price edits, invoices issued) is kept
apart, so only a copy made from that data too (invoicing's kept drafts, reading `own=True`) is worked out again
for it, not one made from the cache alone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db.models import Model, Q, QuerySet
from django.utils import timezone

from portal.core.models import CopyChange

#: The cache copy's "when" of a customer whose first recorded write is of its own data: before any kept copy.
_LONG_AGO = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def copies_changed(domain_ids: Iterable[int], *, own: bool = False) -> None:
    """These customers' copies (`own`: the portal's own data of them) were just written (called inside the
    writing transaction)."""
    ids = sorted({d for d in domain_ids if d})
    if not ids:
        return
    now = timezone.now()
    CopyChange.objects.bulk_create(
        [
            CopyChange(domain_id=domain_id, changed_at=_LONG_AGO, own_changed_at=now)
            if own
            else CopyChange(domain_id=domain_id, changed_at=now)
            for domain_id in ids
        ],
        update_conflicts=True,
        unique_fields=["domain_id"],
        update_fields=["own_changed_at" if own else "changed_at"],
        batch_size=500,
    )


def _since(moment: dt.datetime, own: bool) -> Q:
    changed = Q(changed_at__gte=moment)
    return changed | Q(own_changed_at__gte=moment) if own else changed


def copies_changed_since(moment: dt.datetime, *, own: bool = False) -> set[int]:
    """The customers whose copy (`own`: or the portal's own data of them) was written at or after `moment`."""
    return set(CopyChange.objects.filter(_since(moment, own)).values_list("domain_id", flat=True))


def copies_changed_count(moment: dt.datetime, *, own: bool = False) -> int:
    """How many customers' copies (`own`: or own data) were written at or after `moment` (along the indexes of
    when)."""
    return CopyChange.objects.filter(_since(moment, own)).count()


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
