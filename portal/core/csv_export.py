"""CSV files of rows, shared by every export (`portal.core.downloads` chooses between them and the workbook).

Every cell goes through `_cell`, the one place where exports are made safe for spreadsheet programs: text
that a spreadsheet would run as a formula (it starts with =, +, -, @, a tab or a carriage return; a company
name such as `=HYPERLINK(...)` comes from the API as typed by anyone) gets a leading apostrophe, as OWASP's
advice on CSV injection says, so it is shown as text. Numbers are written as numbers (a negative amount stays
-120), because they come from numeric columns, never from text.

Two encodings: UTF-8 with a BOM (streamed as the rows are read), and Shift_JIS as Windows writes it (cp932),
which Japanese accounting packages and older spreadsheet programs read. Shift_JIS has no code for many
characters (𠮷, emoji): a Shift_JIS file is encoded whole before a byte is sent (`encoded_csv`), and a cell it
cannot hold is reported (`Encoded.losses`), never written as "?". One character has a stand-in instead: the
middle dot "·" (U+00B7), the portal's own separator in many cells ("2026-10 · Licences"), is written as "・"
(U+30FB), the same mark to a reader and the one Windows' own best fit for code page 932 gives it; without it
those lists could never be downloaded in Shift_JIS. A Shift_JIS file's name says so (`-shift_jis.csv`), so
that it never takes the UTF-8 file's name.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypeVar

from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.functional import Promise

Response = TypeVar("Response", bound=HttpResponseBase)


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
    if isinstance(
        value, bool
    ):  # as spreadsheets write them, and read them back as true/false in any language
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    return neutralise(str(value))


def csv_rows(header: Sequence[str | Promise], rows: Iterable[Sequence]) -> Iterator[str]:
    """CSV lines in UTF-8 with a BOM (for spreadsheet programs): the header, then `rows` as they are read.

    Headers are translated now, in the requester's language; the rows' values are strings, dates, numbers or
    None, and are read as the response streams.
    """
    return _stream([str(label) for label in header], rows)


def _stream(header: list[str], rows: Iterable[Sequence]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([neutralise(label) for label in header])
    for row in rows:
        yield writer.writerow([_cell(value) for value in row])


@dataclass(frozen=True)
class Loss:
    """A cell whose characters an encoding has no code for (Shift_JIS would have written "?" for them)."""

    #: The row's line in the file, as a spreadsheet program numbers its rows (the header row is 1).
    line: int
    #: The cell's column, from 0.
    column: int
    text: str
    #: The characters lost, each once, in the order they come.
    characters: tuple[str, ...]


@dataclass
class Encoded:
    """A whole CSV in an encoding: its bytes, and the cells it could not hold (`losses`, for every row)."""

    chunks: list[bytes] = field(default_factory=list)
    losses: list[Loss] = field(default_factory=list)


#: Characters an encoding has no code for but a mark that reads the same (see the module docstring).
STAND_INS = {"cp932": str.maketrans({"\u00b7": "\u30fb"})}


def encoded_csv(
    header: Sequence[str], rows: Iterable[Sequence], *, encoding: str, header_row: bool = True
) -> Encoded:
    """Every line of the CSV (no BOM) in `encoding`, checked before a byte is sent: a character the encoding
    cannot hold is never replaced; its cell is listed in `losses` instead, and the rows are read to the end so
    that every loss is known. `header_row=False` for an import format without one (its lines start at 1)."""
    writer = csv.writer(_Echo())
    result = Encoded()
    line = 0
    if header_row:
        line += 1
        _append(result, [neutralise(label) for label in header], writer, line, encoding)
    for row in rows:
        line += 1
        _append(result, [_cell(value) for value in row], writer, line, encoding)
    return result


def _append(result: Encoded, cells: list[str], writer, line: int, encoding: str) -> None:
    stand_ins = STAND_INS.get(encoding)
    if stand_ins:
        cells = [cell.translate(stand_ins) for cell in cells]
    text = writer.writerow(cells)
    try:
        result.chunks.append(text.encode(encoding))
    except UnicodeEncodeError:
        for column, cell in enumerate(cells):
            missing = _missing(cell, encoding)
            if missing:
                result.losses.append(Loss(line=line, column=column, text=cell, characters=missing))


def _missing(text: str, encoding: str) -> tuple[str, ...]:
    found: dict[str, None] = {}
    for char in text:
        try:
            char.encode(encoding)
        except UnicodeEncodeError:
            found[char] = None
    return tuple(found)


def csv_response(lines: Iterator[str], *, name: str) -> StreamingHttpResponse:
    """A streamed download of UTF-8 `lines`, named `<name>-<UTC timestamp>.csv`."""
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    return attachment(response, f"{name}-{stamp()}.csv")


def encoded_response(encoded: Encoded, *, name: str) -> HttpResponse:
    """The download of a Shift_JIS CSV that `encoded_csv` wrote without a loss, named
    `<name>-<UTC timestamp>-shift_jis.csv` (never the UTF-8 file's name)."""
    response = HttpResponse(b"".join(encoded.chunks), content_type="text/csv; charset=Shift_JIS")
    return attachment(response, f"{name}-{stamp()}-shift_jis.csv")


def stamp() -> str:
    """The UTC minute of a download, for its file's name: 20261121-0800."""
    return timezone.now().strftime("%Y%m%d-%H%M")


def attachment(response: Response, filename: str) -> Response:
    """`response` as a file to save, named `filename` (ASCII: the exports' names are)."""
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
