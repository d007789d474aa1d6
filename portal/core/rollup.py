"""Summaries kept of history before it is removed (a retention rule's `roll_up`, portal/core/retention.py).

`fold` adds figures into a summary table, one row per key: the rows a batch of housekeeping removes are summed
into their day's or month's row in the same transaction as their removal, so the summaries always hold what the
removed rows said, however often a run is cut short and taken up again."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import models


def _add(a: Any, b: Any) -> Any:
    if a is None:
        return b
    return a if b is None else a + b


def _peak(a: Any, b: Any) -> Any:
    if a is None:
        return b
    return a if b is None else max(a, b)


def fold(
    model: type[models.Model],
    rows: Iterable[Mapping[str, Any]],
    *,
    key: Sequence[str],
    add: Sequence[str] = (),
    peak: Sequence[str] = (),
) -> int:
    """Fold `rows` (each the `key` fields and figures) into `model`'s rows of the same key: the `add` figures
    summed (None when none is known), the `peak` ones their highest. Two queries and a write per call, whatever
    the number of rows (the summary rows of the keys read at once). Returns the summary rows written."""
    merged: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        k = tuple(row[f] for f in key)
        into = merged.get(k)
        if into is None:
            merged[k] = {f: row.get(f) for f in (*key, *add, *peak)}
            continue
        for f in add:
            into[f] = _add(into[f], row.get(f))
        for f in peak:
            into[f] = _peak(into[f], row.get(f))
    if not merged:
        return 0
    # Every summary row that may share a key (a superset: each key field among the batch's), matched exactly here.
    held = {
        tuple(getattr(summary, f) for f in key): summary
        for summary in model.objects.select_for_update().filter(
            **{f"{f}__in": {k[i] for k in merged} for i, f in enumerate(key)}
        )
        if tuple(getattr(summary, f) for f in key) in merged
    }
    changed, created = [], []
    for k, figures in merged.items():
        summary = held.get(k)
        if summary is None:
            created.append(model(**figures))
            continue
        for f in add:
            setattr(summary, f, _add(getattr(summary, f), figures[f]))
        for f in peak:
            setattr(summary, f, _peak(getattr(summary, f), figures[f]))
        changed.append(summary)
    if changed:
        model.objects.bulk_update(changed, [*add, *peak])
    model.objects.bulk_create(created)
    return len(merged)


def month_of(day) -> Any:
    """The first day of `day`'s month."""
    return day.replace(day=1)
