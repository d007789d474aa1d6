"""Reads of the customers' daily usage snapshots (`UsageSnapshot`) for a month, as few rows as say what held:
the variance check's and the estimate's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence

from django.db.models import Count, Max, Min

from billing.models import UsageSnapshot

#: The terms the invoice splits a period on (the contract: product, plan, licence count, member count).
ALL_TERMS = ("product_id", "plan", "license_count", "member_count")


def usage_turns(
    first: dt.date,
    last: dt.date,
    terms: Sequence[str] = ALL_TERMS,
    *,
    domain_ids: Iterable[int] | None = None,
) -> Iterator[tuple]:
    """The snapshots of the days first..last that tell apart what held, as (domainId, day, *terms): for a
    customer whose terms held all along, its first and last snapshot (told by one read grouped by customer,
    from an index alone: the least and greatest of each term are the same); for the others, every snapshot.
    Between two rows given, terms held as the earlier says, so a reader answers as from every row, from two
    rows for most customers instead of one a day."""
    snapshots = UsageSnapshot.objects.filter(
        product_group_id="WORKS", used_date__gte=first, used_date__lte=last
    )
    if domain_ids is not None:
        # Of these customers only (the customer page's estimate: one), read by the terms index's first column.
        snapshots = snapshots.filter(domain_id__in=list(domain_ids))
    # COUNT(*), not of the key: the key is not in the terms index, and counting it would read each table row.
    aggregates = {"s_rows": Count("*"), "s_start": Min("used_date"), "s_end": Max("used_date")}
    for index, term in enumerate(terms):
        aggregates[f"s_{index}_least"] = Min(term)
        aggregates[f"s_{index}_most"] = Max(term)
        aggregates[f"s_{index}_rows"] = Count(term)
    changed = []
    for domain_id, rows, start, end, *figures in (
        snapshots.values("domain_id").annotate(**aggregates).order_by().values_list("domain_id", *aggregates)
    ):
        held = []
        for index in range(len(terms)):
            least, most, known = figures[3 * index : 3 * index + 3]
            if least != most or known not in (0, rows):
                break
            held.append(least)
        else:
            yield (domain_id, start, *held)
            if end != start:
                yield (domain_id, end, *held)
            continue
        changed.append(domain_id)
    for index in range(0, len(changed), 500):
        yield from snapshots.filter(domain_id__in=changed[index : index + 500]).values_list(
            "domain_id", "used_date", *terms
        )
