"""Streamed CSV of a list page's filtered rows, and its download response, shared by every app's export.

Every cell goes through `_cell`, the one place where exports are made safe for spreadsheet programs: text
that a spreadsheet would run as a formula (it starts with =, +, -, @, a tab or a carriage return; a company
name such as `=HYPERLINK(...)` comes from the API as typed by anyone) gets a leading apostrophe, as OWASP's
advice on CSV injection says, so it is shown as text. Numbers are written as numbers (a negative amount stays
-120), because they come from numeric columns, never from text.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.functional import Promise


class _Echo:
    """A file-like object whose write() hands the line back, for streaming csv.writer output."""

    def write(self, value: str) -> str:
        return value


#: First characters that make a spreadsheet program treat a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Text as a spreadsheet shows it but never runs it (see the module docstring)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return neutralise(str(value))


def csv_lines(columns: Sequence[tuple[str, str | Promise]], queryset: QuerySet) -> Iterator[str]:
    """CSV lines (with a BOM, for spreadsheet programs) of `queryset`'s `columns`: (field, header label).

    Headers are translated now, in the requester's language; rows are read in chunks as the response streams.
    """
    header = [str(label) for _name, label in columns]
    rows = queryset.values_list(*(name for name, _label in columns))
    return _stream(header, rows.iterator(chunk_size=2000))


def csv_rows(header: Sequence[str | Promise], rows: Iterable[Sequence]) -> Iterator[str]:
    """CSV lines (with a BOM) of rows already computed in Python (e.g. several sources merged and sorted).

    Headers are translated now; the rows' values should be final strings, dates or numbers by then.
    """
    return _stream([str(label) for label in header], rows)


def csv_body(rows: Iterable[Sequence], *, lineterminator: str = "\r\n") -> Iterator[str]:
    """CSV lines of `rows` without a header row or BOM, for an import format that has neither (an accounting
    package's journal); cells are made safe as in every other export."""
    writer = csv.writer(_Echo(), lineterminator=lineterminator)
    for row in rows:
        yield writer.writerow([_cell(value) for value in row])


def _stream(header: list[str], rows: Iterable[Sequence]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([neutralise(label) for label in header])
    for row in rows:
        yield writer.writerow([_cell(value) for value in row])


#: Encodings a download may be asked in: UTF-8 with a BOM (the default), or Shift_JIS as Windows writes it
#: (cp932), which Japanese accounting packages and older spreadsheet programs read.
ENCODINGS = ("utf-8", "cp932")


def _encoded(lines: Iterator[str], encoding: str) -> Iterator[bytes]:
    """`lines` in cp932, without the BOM; a character cp932 has no code for becomes "?" (never an error
    halfway through a download)."""
    for line in lines:
        yield line.removeprefix("\ufeff").encode(encoding, errors="replace")


def csv_response(lines: Iterator[str], *, name: str, encoding: str = "utf-8") -> StreamingHttpResponse:
    """A streamed download of `lines`, named `<name>-<UTC timestamp>.csv`, in UTF-8 with a BOM or, with
    `encoding="cp932"`, in Shift_JIS."""
    if encoding == "cp932":
        response = StreamingHttpResponse(_encoded(lines, "cp932"), content_type="text/csv; charset=Shift_JIS")
    else:
        response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.csv"'
    return response
