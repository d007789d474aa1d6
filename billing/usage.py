"""Reads of the customers' daily usage snapshots (`UsageSnapshot`) for a month, as few rows as say what held:
the variance check's and the estimate's; and the marks that let them read so few (`usage_marks`).

Each snapshot carries two marks, worked out when a customer's usage is stored: `changed` (its terms differ
from the customer's snapshot before it, or there is none) and `edge` (the customer's first or last snapshot of
its calendar month). A row nobody marked has both True (the fields' default), so it is read as a change: an
unmarked row costs time, never a wrong answer.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

from django.db.models import Count, Max, Min

from billing.models import UsageSnapshot

#: The terms the invoice splits a period on (the contract: product, plan, licence count, member count).
ALL_TERMS = ("product_id", "plan", "license_count", "member_count")

DAY = dt.timedelta(days=1)
_CHUNK = 500


def usage_turns(
    first: dt.date,
    last: dt.date,
    terms: Sequence[str] = ALL_TERMS,
    *,
    domain_ids: Iterable[int] | None = None,
) -> Iterator[tuple]:
    """The snapshots of the days first..last that tell apart what held, as (domainId, day, *terms): for a
    customer whose terms held all along, its first and last snapshot; for the others, every snapshot. Between
    two rows given, terms held as the earlier says, so a reader answers as from every row, from two rows for
    most customers instead of one a day.

    For a month and the day before it (what the check and the estimate read), from the marks: the customers
    with a snapshot marked `changed` in the month (read whole), and the `edge` snapshots of the others (the
    day before the month is the last of its own month). For any other span, from one read grouped by
    customer."""
    ids = None if domain_ids is None else sorted(set(domain_ids))
    month_first = first + DAY
    following = (month_first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    if month_first.day != 1 or last != following - DAY:
        yield from _grouped_turns(first, last, terms, ids)
        return
    snapshots = UsageSnapshot.objects.filter(
        product_group_id="WORKS", used_date__gte=first, used_date__lte=last
    )
    changed: set[int] = set()
    starts: dict[int, tuple] = {}
    ends: dict[int, dt.date] = {}
    for part in _parts(ids):
        scoped = snapshots if part is None else snapshots.filter(domain_id__in=part)
        changed.update(
            scoped.filter(changed=True, used_date__gt=first)
            .order_by()
            .values_list("domain_id", flat=True)
            .distinct()
        )
        # By day (the partial index's order): a customer's first row seen is its first of the span.
        for row in (
            scoped.filter(edge=True).order_by("used_date").values_list("domain_id", "used_date", *terms)
        ):
            if row[0] not in starts:
                starts[row[0]] = row
            ends[row[0]] = row[1]
    for domain_id, start in starts.items():
        if domain_id in changed:
            continue
        # Terms held from the span's first snapshot on: its first and last (the same terms).
        yield start
        if ends[domain_id] != start[1]:
            yield (domain_id, ends[domain_id], *start[2:])
    yield from _whole(snapshots, sorted(changed), terms)


def _parts(ids: list[int] | None) -> Iterator[list[int] | None]:
    if ids is None:
        yield None
        return
    for index in range(0, len(ids), _CHUNK):
        yield ids[index : index + _CHUNK]


def _whole(snapshots, domain_ids: list[int], terms: Sequence[str]) -> Iterator[tuple]:
    """Every snapshot of these customers; for one whose `terms` held all along (it changed in another term, or
    its rows are not marked yet), its first and last."""
    for index in range(0, len(domain_ids), _CHUNK):
        rows: dict[int, list[tuple]] = defaultdict(list)
        for row in (
            snapshots.filter(domain_id__in=domain_ids[index : index + _CHUNK])
            .order_by("domain_id", "used_date")
            .values_list("domain_id", "used_date", *terms)
        ):
            rows[row[0]].append(row)
        for found in rows.values():
            held = found[0][2:]
            if all(row[2:] == held for row in found):
                yield found[0]
                if len(found) > 1:
                    yield found[-1]
            else:
                yield from found


def _grouped_turns(
    first: dt.date, last: dt.date, terms: Sequence[str], ids: list[int] | None
) -> Iterator[tuple]:
    """`usage_turns` for any span: one read grouped by customer (from an index alone: the least and greatest of
    each term are the same for a customer whose terms held), then every row of the others."""
    snapshots = UsageSnapshot.objects.filter(
        product_group_id="WORKS", used_date__gte=first, used_date__lte=last
    )
    # COUNT(*), not of the key: the key is not in the terms index, and counting it would read each table row.
    aggregates = {"s_rows": Count("*"), "s_start": Min("used_date"), "s_end": Max("used_date")}
    for index, term in enumerate(terms):
        aggregates[f"s_{index}_least"] = Min(term)
        aggregates[f"s_{index}_most"] = Max(term)
        aggregates[f"s_{index}_rows"] = Count(term)
    changed = []
    for part in _parts(ids):
        scoped = snapshots if part is None else snapshots.filter(domain_id__in=part)
        for domain_id, rows, start, end, *figures in (
            scoped.values("domain_id").annotate(**aggregates).order_by().values_list("domain_id", *aggregates)
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
    yield from _whole(snapshots, changed, terms)


# --- the marks ---------------------------------------------------------------------------------------------


def usage_marks(*, domain_id: int, since: dt.date) -> int:
    """Work out the marks (`changed`, `edge`) of a customer's snapshots from the month of `since` on, after its
    snapshots from `since` were written (the snapshot before that month is read to tell whether the first one
    changed). Returns how many rows' marks were set."""
    start = since.replace(day=1)
    rows = list(
        UsageSnapshot.objects.filter(domain_id=domain_id, used_date__gte=start)
        .order_by("product_group_id", "used_date")
        .values_list("pk", "product_group_id", "used_date", *ALL_TERMS, "changed", "edge")
    )
    before: dict[str, tuple] = {}
    for group in {row[1] for row in rows}:
        previous = (
            UsageSnapshot.objects.filter(domain_id=domain_id, product_group_id=group, used_date__lt=start)
            .order_by("-used_date")
            .values_list(*ALL_TERMS)
            .first()
        )
        if previous is not None:
            before[group] = tuple(previous)
    return _write_marks(_mark(rows, before), UsageSnapshot)


def usage_premark(snapshots: Sequence[UsageSnapshot], *, before: dict[str, tuple] | None = None) -> None:
    """Set the marks of one customer's snapshots about to be written as they are among themselves (`before`:
    each group's terms of its snapshot before the earliest, if known), so they are written marked rather than
    marked by an update after (`usage_marks` then sets the marks of the rows around them, if any moved)."""
    order = sorted(
        range(len(snapshots)), key=lambda i: (snapshots[i].product_group_id, snapshots[i].used_date)
    )
    rows = [
        (
            i,
            snapshots[i].product_group_id,
            snapshots[i].used_date,
            *(getattr(snapshots[i], term) for term in ALL_TERMS),
            True,
            True,
        )
        for i in order
    ]
    for snapshot in snapshots:
        snapshot.changed = snapshot.edge = True
    for (name, value), indexes in _mark(rows, before or {}).items():
        for i in indexes:
            setattr(snapshots[i], name, value)


def usage_before(*, domain_id: int, day: dt.date, groups: Iterable[str]) -> dict[str, tuple]:
    """Each group's terms of the customer's snapshot before `day`, where there is one."""
    out = {}
    for group in groups:
        previous = (
            UsageSnapshot.objects.filter(domain_id=domain_id, product_group_id=group, used_date__lt=day)
            .order_by("-used_date")
            .values_list(*ALL_TERMS)
            .first()
        )
        if previous is not None:
            out[group] = tuple(previous)
    return out


def usage_marks_all(*, domain_ids: Iterable[int] | None = None, model=UsageSnapshot) -> int:
    """Work out the marks of every snapshot (of these customers): after rows were written without them (the
    migration that added them, with its historical `model`; a benchmark's seed). Reads the snapshots once,
    customer by customer."""
    snapshots = model.objects.all()
    if domain_ids is not None:
        snapshots = snapshots.filter(domain_id__in=list(domain_ids))
    fields = ("pk", "product_group_id", "used_date", *ALL_TERMS, "changed", "edge")
    to: dict[tuple[str, bool], list[int]] = defaultdict(list)
    rows: list[tuple] = []
    current = None
    for domain_id, *row in (
        snapshots.order_by("domain_id", "product_group_id", "used_date")
        .values_list("domain_id", *fields)
        .iterator(chunk_size=5000)
    ):
        if domain_id != current and rows:
            for key, pks in _mark(rows, {}).items():
                to[key].extend(pks)
            rows = []
        current = domain_id
        rows.append(tuple(row))
    if rows:
        for key, pks in _mark(rows, {}).items():
            to[key].extend(pks)
    return _write_marks(to, model)


def _mark(rows: list[tuple], before: dict[str, tuple]) -> dict[tuple[str, bool], list[int]]:
    """The marks to set on one customer's rows (pk, group, day, *terms, changed, edge), sorted by group and day,
    as {(mark, value): [pk, ...]} of the rows whose mark differs; `before`: each group's terms of the snapshot
    before the first row, if any."""
    to: dict[tuple[str, bool], list[int]] = defaultdict(list)
    count = len(ALL_TERMS)
    for index, (pk, group, day, *rest) in enumerate(rows):
        terms, was_changed, was_edge = tuple(rest[:count]), rest[count], rest[count + 1]
        previous = rows[index - 1] if index else None
        following = rows[index + 1] if index + 1 < len(rows) else None
        if previous is not None and previous[1] == group:
            changed = tuple(previous[3 : 3 + count]) != terms
            opens = (previous[2].year, previous[2].month) != (day.year, day.month)
        else:
            changed = before.get(group) != terms
            opens = True
        closes = (
            following is None
            or following[1] != group
            or (following[2].year, following[2].month) != (day.year, day.month)
        )
        edge = opens or closes
        if changed != was_changed:
            to[("changed", changed)].append(pk)
        if edge != was_edge:
            to[("edge", edge)].append(pk)
    return to


def _write_marks(to: dict[tuple[str, bool], list[int]], model) -> int:
    marked = 0
    for (name, value), pks in to.items():
        for index in range(0, len(pks), _CHUNK):
            marked += model.objects.filter(pk__in=pks[index : index + _CHUNK]).update(**{name: value})
    return marked
