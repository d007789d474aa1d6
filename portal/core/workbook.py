"""Excel workbooks (.xlsx) of rows, for people: what a CSV cannot say about its cells, a workbook does.

Opened in a spreadsheet program, a CSV's cells are guessed: a customer code `0042` becomes the number 42, a
code like `1-2` a date. A workbook states each cell's type, taken from the value's own type in the cache:

* text (`str`: customer codes, ids with leading zeros, names) is written as text, formatted as text (`@`), so
  it stays exactly as stored even when the cell is edited; text that looks like a formula (`=1+1`) is a text
  cell too, never a formula, so it is shown as typed, without the CSV's protective apostrophe
  (`portal.core.csv_export.neutralise`): in a text cell nothing runs;
* numbers (int, Decimal, float) as numbers; booleans as booleans;
* dates as dates (`yyyy-mm-dd`), timestamps as date-times in UTC (Excel has no time zones; the exports'
  headers say "UTC").

The header row is bold and stays in view (frozen), with a filter on every column; columns are as wide as their
first rows need (a full-width character counts two), within bounds. Written by XlsxWriter, row by row, with
its temporary files (`constant_memory`) rather than the whole sheet in memory.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

import xlsxwriter
from django.http import FileResponse
from django.utils.functional import Promise

from portal.core.csv_export import attachment, stamp

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
#: Characters that XML 1.0 (and so a workbook) cannot hold: control characters other than tab and line breaks.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: Column widths (in characters of the default font) measured on this many first rows, and their bounds.
_WIDTH_ROWS = 200
_MIN_WIDTH, _MAX_WIDTH = 6, 60
#: Excel's limit on a sheet's name.
_SHEET_NAME_LENGTH = 31


def text_width(text: str) -> int:
    """Display width: a full-width (wide) character takes two places, others one."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def _text(value: Any) -> str:
    return _NOT_XML.sub("\ufffd", str(value))


def write_workbook(
    target, header: Sequence[str | Promise], rows: Iterable[Sequence[Any]], *, sheet: str
) -> None:
    """Write the workbook of `header` (translated now) and `rows` to `target` (a path or a binary file)."""
    book = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            # Every cell is written with its type below; nothing is guessed from text.
            "strings_to_numbers": False,
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    book.set_properties({"creator": "Partner Portal"})
    formats = {
        "header": book.add_format({"bold": True, "bottom": 1}),
        "text": book.add_format({"num_format": "@"}),
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
        "datetime": book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
    }
    labels = [_text(label) for label in header]
    rows = iter(rows)
    first = [list(row) for _index, row in zip(range(_WIDTH_ROWS), rows, strict=False)]
    worksheet = book.add_worksheet(_sheet_name(sheet))
    for column, label in enumerate(labels):
        widths = [text_width(label), *(text_width(_shown(row[column])) for row in first)]
        worksheet.set_column(column, column, min(max(max(widths) + 2, _MIN_WIDTH), _MAX_WIDTH))
    worksheet.write_row(0, 0, labels, formats["header"])
    worksheet.freeze_panes(1, 0)
    last = 0
    for index, row in enumerate(_chain(first, rows), start=1):
        for column, value in enumerate(row):
            _write(worksheet, index, column, value, formats)
        last = index
    if labels:
        worksheet.autofilter(0, 0, last, len(labels) - 1)
    book.close()


def workbook_response(header: Sequence[str | Promise], rows: Iterable[Sequence[Any]], *, name: str):
    """The download of the workbook, named `<name>-<UTC timestamp>.xlsx`; its sheet is named `name`."""
    file = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it when sent
    write_workbook(file, header, rows, sheet=name)
    file.seek(0)
    response = FileResponse(file, content_type=CONTENT_TYPE)
    return attachment(response, f"{name}-{stamp()}.xlsx")


def _write(worksheet, row: int, column: int, value: Any, formats: dict) -> None:
    if value is None or value == "":
        return
    if isinstance(value, bool):
        worksheet.write_boolean(row, column, value)
    elif isinstance(value, int | float | Decimal):
        worksheet.write_number(row, column, value)
    elif isinstance(value, dt.datetime):
        naive = value.astimezone(dt.UTC).replace(tzinfo=None) if value.tzinfo else value
        worksheet.write_datetime(row, column, naive, formats["datetime"])
    elif isinstance(value, dt.date):
        worksheet.write_datetime(row, column, value, formats["date"])
    else:
        worksheet.write_string(row, column, _text(value), formats["text"])


def _shown(value: Any) -> str:
    """Roughly how a cell shows, to size its column."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return "0000-00-00 00:00:00"
    if isinstance(value, dt.date):
        return "0000-00-00"
    return str(value)


def _chain(first: list, rest: Iterable) -> Iterable:
    yield from first
    yield from rest


def _sheet_name(name: str) -> str:
    """A name Excel accepts for a sheet: at most 31 characters, none of []:*?/\\."""
    return re.sub(r"[\[\]:*?/\\]", "-", name)[:_SHEET_NAME_LENGTH] or "Sheet1"
