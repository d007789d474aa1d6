"""The dry run of an import and its application: the file read (`files`), its columns matched to the
declaration's and each row read (`columns`), compared with its record and checked by the app (`dry_run`); the
result kept server-side under a token for an hour (`store`: `kept_put`, `kept_take`); then applied all or nothing (`dry_run_apply`): in one transaction, the file is
read again against the records locked, and if any row's outcome differs from the dry run the person saw,
nothing is written and the new dry run is shown instead."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from portal.core.imports import files
from portal.core.imports.columns import Layout, header_read, row_values
from portal.core.imports.spec import (
    ADDED,
    CHANGED,
    REFUSED,
    UNCHANGED,
    Checked,
    ImportSpec,
    Records,
    text,
)
from portal.core.imports.store import KEEP_SECONDS, Kept, kept_put, kept_take
from portal.core.models import AuditEntry
from portal.core.services import audit_record

__all__ = [
    "KEEP_SECONDS",
    "DryRun",
    "Kept",
    "Moved",
    "RowResult",
    "dry_run",
    "dry_run_apply",
    "kept_put",
    "kept_take",
]

# --- The dry run ----------------------------------------------------------------------------------------------


@dataclass
class RowResult:
    """What the dry run says of one row: its number in the file, its record in words, its status, the changes
    (column, before, after, as shown) or the problems (each naming its column)."""

    number: int
    named: str
    status: str
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    key: tuple = ()
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None

    @property
    def fingerprint(self) -> str:
        """What the row does, to tell whether the apply still does what the dry run said."""
        said = [self.number, self.status, list(self.key), self.before, self.after, self.problems]
        return hashlib.sha256(json.dumps(said, default=str, sort_keys=True).encode()).hexdigest()


@dataclass
class DryRun:
    """The dry run of one file: its rows' outcomes, and how the file was read."""

    spec: str
    file_name: str
    sha256: str
    kind: str
    encoding: str
    rows: list[RowResult]

    def count(self, status: str) -> int:
        return sum(1 for row in self.rows if row.status == status)

    @property
    def to_apply(self) -> int:
        return self.count(ADDED) + self.count(CHANGED)

    @property
    def appliable(self) -> bool:
        """Applied only whole: when no row is refused and some row changes something."""
        return self.count(REFUSED) == 0 and self.to_apply > 0


def _same(one: Any, other: Any) -> bool:
    if one in (None, "") and other in (None, ""):
        return True
    if isinstance(one, str) and isinstance(other, str):
        return text(one) == text(other)
    return bool(one == other)


def _located(layout: Layout, number: int, key: str | None, message: str) -> str:
    where = layout.where(*key.split("#", 1)) if key else ""
    if where:
        return _("Row %(row)d, %(column)s: %(message)s") % {
            "row": number,
            "column": where,
            "message": message,
        }
    return _("Row %(row)d: %(message)s") % {"row": number, "message": message}


def _named(spec: ImportSpec, values: dict, records: Records | None = None) -> str:
    key = tuple(values.get(k) for k in spec.key)
    if records is not None and key in records.names:
        return records.names[key]
    return " · ".join(spec.column(k).show(values.get(k)) for k in spec.key if k in values)


def _compared(
    spec: ImportSpec, layout: Layout, number: int, values: dict, records: Records, actor
) -> RowResult:
    key = tuple(values[k] for k in spec.key)
    before = records.before.get(key)
    row = RowResult(
        number=number, named=_named(spec, values, records), status=UNCHANGED, key=key, before=before
    )
    if key in records.unknown:
        row.status = REFUSED
        row.problems = [_located(layout, number, *records.unknown[key])]
        return row
    given = {k: values.get(k) for k in spec.values}
    if before is None and all(v in (None, "") for v in given.values()):
        return row  # nothing there, nothing given
    if before is not None and all(_same(given[k], before.get(k)) for k in spec.values):
        return row
    checked: Checked = spec.check(values, before, actor=actor)
    if checked.problems or checked.after is None:
        row.status = REFUSED
        row.problems = [_located(layout, number, k, m) for k, m in checked.problems]
        return row
    after = checked.after
    if before is not None and all(_same(after.get(k), before.get(k)) for k in spec.values):
        return row
    row.after = after
    row.status = ADDED if before is None else CHANGED
    for k in spec.values:
        was = None if before is None else before.get(k)
        if before is None and after.get(k) in (None, "") or before is not None and _same(after.get(k), was):
            continue
        column = spec.column(k)
        row.changes.append((str(column.label), column.show(was), column.show(after.get(k))))
    return row


def dry_run(spec: ImportSpec, data: bytes, *, name: str, actor, lock: bool = False) -> DryRun:
    """Every row of the file, compared with its record and checked (`FileRefused` for a file that cannot be
    read at all). With `lock`, the records are locked (inside the apply's transaction)."""
    sheet: files.Sheet = spec.reader(data, name=name, max_bytes=max_bytes(), max_rows=spec.max_rows)
    layout = header_read(spec, sheet.header)
    read = []
    for number, cells in sheet.rows:
        if any(text(cell) for cell in cells):
            values, problems = row_values(spec, layout, cells)
            read.append((number, values, problems))
    keys = {tuple(values[k] for k in spec.key) for _n, values, problems in read if not problems}
    records = spec.current(keys=sorted(keys, key=str), actor=actor, lock=lock)
    first: dict[tuple, int] = {}
    rows = []
    for number, values, problems in read:
        key = tuple(values.get(k) for k in spec.key)
        if not problems and key in first:
            problems = [
                (
                    None,
                    _("the same record as row %(row)d: a record is set once a file.") % {"row": first[key]},
                )
            ]
        if problems:
            rows.append(
                RowResult(
                    number=number,
                    named=_named(spec, values),
                    status=REFUSED,
                    problems=[_located(layout, number, k, m) for k, m in problems],
                )
            )
            continue
        first[key] = number
        rows.append(_compared(spec, layout, number, values, records, actor))
    return DryRun(
        spec=spec.name,
        file_name=name[:200],
        sha256=hashlib.sha256(data).hexdigest(),
        kind=sheet.kind,
        encoding=sheet.encoding,
        rows=rows,
    )


def max_bytes() -> int:
    """The largest file an import reads: what one request may carry (PORTAL_MAX_REQUEST_BYTES), less room for
    the form around it."""
    return max(settings.PORTAL_MAX_REQUEST_BYTES - 16_384, 1024)


class Moved(Exception):
    """The records or the rules changed since the dry run: nothing was applied; `result` is the dry run again
    and `rows` the numbers of the rows whose outcome differs."""

    def __init__(self, result: DryRun, rows: list[int]) -> None:
        super().__init__(rows)
        self.result = result
        self.rows = rows


def dry_run_apply(spec: ImportSpec, kept: Kept, *, actor) -> DryRun:
    """Apply a kept dry run, all or nothing: one transaction; the file read again with its records locked;
    `Moved` (nothing written) if any row would do otherwise than the dry run said; each row written by the
    app's service (which audits it), and one audit entry for the import. `RowRefused` from a write refuses
    the whole import."""
    with transaction.atomic():
        again = dry_run(spec, kept.data, name=kept.name, actor=actor, lock=True)
        said = {row.number: row.fingerprint for row in kept.result.rows}
        moved = [row.number for row in again.rows if said.get(row.number) != row.fingerprint]
        moved += [number for number in said if number not in {row.number for row in again.rows}]
        if moved or not again.appliable:
            raise Moved(again, sorted(moved))
        for row in again.rows:
            if row.status in (ADDED, CHANGED):
                spec.write(row.key, row.after, row.before, actor=actor)
        audit_record(
            actor=actor,
            operation_id=spec.operation_id,
            outcome=AuditEntry.Outcome.SUCCEEDED,
            sent={
                "file": kept.name,
                "sha256": again.sha256,
                "rows": len(again.rows),
                "added": again.count(ADDED),
                "changed": again.count(CHANGED),
                "unchanged": again.count(UNCHANGED),
            },
        )
    return again
