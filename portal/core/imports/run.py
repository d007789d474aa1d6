"""The dry run of an import and its application: the file's columns matched to the declaration's, each row read,
compared with its record and checked by the app (`dry_run`); the result kept server-side under a token for an
hour (`kept_put`, `kept_take`); then applied all or nothing (`dry_run_apply`): in one transaction, the file is
read again against the records locked, and if any row's outcome differs from the dry run the person saw,
nothing is written and the new dry run is shown instead."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from portal.core.imports import files
from portal.core.imports.spec import (
    ADDED,
    CHANGED,
    REFUSED,
    UNCHANGED,
    CellError,
    Checked,
    Column,
    ImportSpec,
    Records,
    text,
)
from portal.core.models import AuditEntry
from portal.core.services import audit_record
from portal.core.vocabulary import code_column

#: How long a dry run is kept for its "Apply".
KEEP_SECONDS = 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
NAME, CODE = "name", "code"


def letter(index: int) -> str:
    """A column's letter as spreadsheets name it: 0 → A, 26 → AA."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


def _normal(label: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", label).casefold().split())


def _in_each_language(label) -> set[str]:
    found = set()
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            found.add(_normal(str(label)))
    return found


# --- The header -----------------------------------------------------------------------------------------------


@dataclass
class Layout:
    """Where each column of the declaration is in the file: (column key, NAME or CODE) → its index."""

    at: dict[tuple[str, str], int]
    header: list[str]

    def where(self, key: str, part: str = NAME) -> str:
        """The column in words: its letter and its header ("column C “E-mail for invoices”"); `part`: the name
        or the code column of a column of codes (the other when the file has only one)."""
        index = self.at.get((key, part), self.at.get((key, CODE), self.at.get((key, NAME))))
        if index is None:
            return ""
        return _("column %(letter)s “%(header)s”") % {"letter": letter(index), "header": self.header[index]}


def _known(spec: ImportSpec) -> dict[str, tuple[str, str]]:
    known: dict[str, tuple[str, str]] = {}
    for column in spec.columns:
        for label in _in_each_language(column.label):
            known[label] = (column.key, NAME)
        if column.choices is not None:
            for label in _in_each_language(code_column(column.label)):
                known[label] = (column.key, CODE)
    return known


def header_read(spec: ImportSpec, header: list[str]) -> Layout:
    """The file's columns matched to the declaration's headers (in English or Japanese); `FileRefused` naming
    each unknown, repeated or missing column."""
    known = _known(spec)
    at: dict[tuple[str, str], int] = {}
    unknown: list[str] = []
    for index, label in enumerate(header):
        if not label:
            continue
        found = known.get(_normal(label))
        if found is None:
            unknown.append(_("column %(letter)s “%(header)s”") % {"letter": letter(index), "header": label})
        elif found in at:
            raise files.FileRefused(
                _("The column “%(header)s” is there twice: columns %(first)s and %(second)s.")
                % {"header": label, "first": letter(at[found]), "second": letter(index)}
            )
        else:
            at[found] = index
    if unknown:
        raise files.FileRefused(
            _(
                "The file has columns this import does not know: %(columns)s. Its columns are those of the download: %(known)s."
            )
            % {"columns": ", ".join(unknown), "known": _columns_named(spec)}
        )
    missing = [
        str(c.label) for c in spec.columns if c.read and (c.key, NAME) not in at and (c.key, CODE) not in at
    ]
    if missing:
        raise files.FileRefused(
            _("The file lacks the columns %(columns)s: keep every column of the download.")
            % {"columns": ", ".join(f"“{label}”" for label in missing)}
        )
    return Layout(at=at, header=header)


def _columns_named(spec: ImportSpec) -> str:
    return ", ".join(f"“{column.label}”" for column in spec.columns)


# --- A row ----------------------------------------------------------------------------------------------------


def _cell(cells: list[Any], index: int | None) -> Any:
    return cells[index] if index is not None and index < len(cells) else None


def _coded(column: Column, layout: Layout, cells: list[Any]) -> str:
    """A column of codes: its code, read from the code column or from the name (in either language)."""
    assert column.choices is not None
    choices = column.choices()
    codes = {str(code) for code, _label in choices}
    names = {label: str(code) for code, name in choices for label in _in_each_language(name)}
    code = text(_cell(cells, layout.at.get((column.key, CODE))))
    name = text(_cell(cells, layout.at.get((column.key, NAME))))
    if code and code not in codes:
        raise CellError(_("“%(code)s” is not a code of this column.") % {"code": code[:40]}, CODE)
    by_name = names.get(_normal(name)) if name else None
    if name and by_name is None:
        raise CellError(_("“%(name)s” is not one of this column's names.") % {"name": name[:40]})
    if code and by_name is not None and code != by_name:
        raise CellError(
            _("The name “%(name)s” and the code “%(code)s” disagree: correct one of them, or empty the name.")
            % {"name": name[:40], "code": code[:40]}
        )
    return code or by_name or ""


def _row_values(
    spec: ImportSpec, layout: Layout, cells: list[Any]
) -> tuple[dict[str, Any], list[tuple[str | None, str]]]:
    values: dict[str, Any] = {}
    problems: list[tuple[str | None, str]] = []
    used = set(layout.at.values())
    for index, value in enumerate(cells):
        if index not in used and text(value):
            problems.append(
                (
                    None,
                    _("column %(letter)s holds a value but has no known heading.")
                    % {"letter": letter(index)},
                )
            )
    for column in spec.columns:
        if not column.read:
            continue
        try:
            if column.choices is not None:
                value = _coded(column, layout, cells)
            else:
                value = column.parse(_cell(cells, layout.at.get((column.key, NAME))))
        except CellError as error:
            part = error.args[1] if len(error.args) > 1 else NAME
            problems.append((column.key if part == NAME else f"{column.key}#{part}", str(error.args[0])))
            continue
        if not column.blank and value in (None, ""):
            problems.append((column.key, _("This cell is empty.")))
        values[column.key] = value
    return values, problems


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
    sheet = files.sheet_read(data, name=name, max_bytes=max_bytes(), max_rows=spec.max_rows)
    layout = header_read(spec, sheet.header)
    read = []
    for number, cells in sheet.rows:
        if any(text(cell) for cell in cells):
            values, problems = _row_values(spec, layout, cells)
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


# --- Kept between the dry run and the apply -------------------------------------------------------------------


@dataclass
class Kept:
    """A dry run kept for its apply: who ran it, on which import, the file itself, and what it said."""

    token: str
    user_id: int
    spec: str
    name: str
    data: bytes
    result: DryRun
    kept_at: Any


def _cache_key(token: str) -> str:
    return f"portal:import:{token}"


def kept_put(result: DryRun, data: bytes, *, actor) -> str:
    """Keep the dry run (and its file) for an hour; its token."""
    token = secrets.token_urlsafe(24)
    kept = Kept(token, actor.pk, result.spec, result.file_name, data, result, timezone.now())
    cache.set(_cache_key(token), kept, KEEP_SECONDS)
    return token


def kept_take(token: str, *, spec: ImportSpec, actor) -> Kept | None:
    """The dry run kept under `token` for this person and import, taken (so it is applied once), or None."""
    if not _TOKEN.match(token or ""):
        return None
    kept = cache.get(_cache_key(token))
    if not isinstance(kept, Kept) or kept.user_id != actor.pk or kept.spec != spec.name:
        return None
    return kept if cache.delete(_cache_key(token)) else None


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
