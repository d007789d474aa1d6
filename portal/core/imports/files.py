"""Reading an uploaded file into numbered rows: a CSV (UTF-8 with or without a BOM, or Shift_JIS as Windows
writes it) or an Excel workbook (.xlsx, its first sheet), as the downloads write them (`portal.core.downloads`).

Everything a file can be is refused here with a sentence a person can act on (`FileRefused`), never a 500:

* bigger than the import's limit (checked before a byte is parsed);
* a CSV in neither UTF-8 nor Shift_JIS (cp932): the line where neither reads is named; UTF-16 ("Unicode text")
  and files with NUL bytes are named as such;
* a file named .xlsx, or starting as a ZIP, that is not a workbook; a workbook that would unpack to far more than
  its size (a ZIP bomb), read by openpyxl in read-only mode only after that check;
* more rows than the import takes.

Rows are numbered as a spreadsheet program numbers them (the header is row 1), so a cell of several lines (an
address) is one row. A CSV cell the download protected from running as a formula ("'=1+1",
`csv_export.neutralise`) reads back as it was stored ("=1+1").
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from portal.core.csv_export import FORMULA_STARTS

logger = logging.getLogger(__name__)

CSV, WORKBOOK = "csv", "xlsx"
#: A workbook may unpack to at most this many times its size, and at most `UNPACKED_MAX` bytes.
UNPACKED_RATIO, UNPACKED_MAX = 100, 200 * 1_048_576
#: The cell's length a CSV may hold (Python's default is 128 KiB): a stray quote would otherwise swallow the file.
CELL_MAX = 10_000


class FileRefused(Exception):
    """The file as a whole cannot be read; the message says why, and where (row, column, line) when it can."""


@dataclass
class Sheet:
    """A file's header and its rows, each with its number as a spreadsheet program shows it (header: 1)."""

    kind: str
    #: The CSV's encoding ("UTF-8", with a BOM or without, or "Shift_JIS"); "" for a workbook.
    encoding: str
    header: list[str]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)


def sheet_read(data: bytes, *, name: str, max_bytes: int, max_rows: int) -> Sheet:
    """The file's header and rows. `FileRefused` when it is too big, neither a CSV in UTF-8 or Shift_JIS nor a
    workbook, empty, or has more than `max_rows` rows after its header."""
    if len(data) > max_bytes:
        raise FileRefused(
            _("The file is %(size)s; an import reads files of at most %(limit)s.")
            % {"size": megabytes(len(data)), "limit": megabytes(max_bytes)}
        )
    if not data.strip():
        raise FileRefused(_("The file is empty."))
    if data.startswith(b"PK\x03\x04") or name.lower().endswith((".xlsx", ".xlsm")):
        sheet = _workbook(data, max_rows=max_rows)
    else:
        sheet = _csv(data, max_rows=max_rows)
    if not any(sheet.header):
        raise FileRefused(_("The file's first row is empty: it must hold the columns' names."))
    return sheet


def megabytes(size: int) -> str:
    return _("%(mb)s MB") % {"mb": f"{size / 1_048_576:.1f}"}


def _too_many(max_rows: int) -> FileRefused:
    return FileRefused(
        _(
            "The file has more than %(max)s rows after its header: split it into files of at most %(max)s rows."
        )
        % {"max": f"{max_rows:,}"}
    )


#: Empty rows are skipped (a workbook formatted far down its sheet has many), up to this many times the limit.
EMPTY_ROWS_FACTOR = 20


def _keep(rows: list[tuple[int, list[Any]]], number: int, cells: list[Any], max_rows: int) -> None:
    """Keep a row that holds something (an empty one is skipped); `FileRefused` past `max_rows` of them, or
    past far more rows, empty ones included."""
    if any(cell is not None and str(cell).strip() for cell in cells):
        rows.append((number, cells))
    if len(rows) > max_rows or number > max_rows * EMPTY_ROWS_FACTOR + 1000:
        raise _too_many(max_rows)


# --- CSV ----------------------------------------------------------------------------------------------------


def decoded(data: bytes) -> tuple[str, str]:
    """The text and its encoding: UTF-8 (a BOM or none), else Shift_JIS (cp932), else refused with the line
    neither reads (also for a reader of another layout, such as a bank's fixed-width records)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileRefused(
            _(
                "The file is in UTF-16 (“Unicode text”), which an import does not read: save it as “CSV UTF-8” "
                "or as an Excel workbook."
            )
        )
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise FileRefused(
            _("The file is not a CSV: line %(line)d holds a NUL byte. Upload a CSV or an Excel workbook.")
            % {"line": line}
        )
    bom = data.startswith(codecs.BOM_UTF8)
    try:
        return data.decode("utf-8-sig"), "UTF-8"
    except UnicodeDecodeError as not_utf8:
        if bom:
            raise FileRefused(_bad_bytes(data, not_utf8.start)) from None
        try:
            return data.decode("cp932"), "Shift_JIS"
        except UnicodeDecodeError as not_sjis:
            raise FileRefused(_bad_bytes(data, max(not_utf8.start, not_sjis.start))) from None


def _bad_bytes(data: bytes, position: int) -> str:
    return _(
        "The file is neither in UTF-8 nor in Shift_JIS: line %(line)d has bytes that neither can read. Save it "
        "as “CSV UTF-8” or as an Excel workbook, and upload it again."
    ) % {"line": data.count(b"\n", 0, position) + 1}


def _delimiter(first_line: str) -> str:
    """The separator the header row uses: a comma, or a tab or semicolon if it has more of those."""
    counts = {sep: first_line.count(sep) for sep in (",", "\t", ";")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] > counts[","] else ","


def _unprotected(cell: str) -> str:
    """A cell as stored before the download kept it from running as a formula (`csv_export.neutralise`)."""
    return cell[1:] if len(cell) > 1 and cell[0] == "'" and cell[1] in FORMULA_STARTS else cell


def _csv(data: bytes, *, max_rows: int) -> Sheet:
    text, encoding = decoded(data)
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=_delimiter(text.split("\n", 1)[0]), strict=True
    )
    previous = csv.field_size_limit(CELL_MAX)
    rows: list[tuple[int, list[Any]]] = []
    header: list[str] = []
    start = 1  # the line the record being read starts on
    try:
        for number, record in enumerate(reader, start=1):
            if number == 1:
                header = [cell.strip() for cell in record]
            else:
                _keep(rows, number, [_unprotected(cell) for cell in record], max_rows)
            start = reader.line_num + 1
    except csv.Error as error:
        raise FileRefused(
            _(
                "The file cannot be read as a CSV from line %(line)d: a quote is not closed, or a cell is longer "
                "than %(max)s characters."
            )
            % {"line": start, "max": f"{CELL_MAX:,}"}
        ) from error
    finally:
        csv.field_size_limit(previous)
    return Sheet(kind=CSV, encoding=encoding, header=header, rows=rows)


# --- Workbooks ----------------------------------------------------------------------------------------------


def _not_a_workbook() -> FileRefused:
    return FileRefused(
        _("The file is not an Excel workbook (.xlsx) that can be read. Upload a workbook or a CSV.")
    )


def _workbook(data: bytes, *, max_rows: int) -> Sheet:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise _not_a_workbook() from None
    if "xl/workbook.xml" not in names:
        raise _not_a_workbook()
    if unpacked > min(UNPACKED_MAX, len(data) * UNPACKED_RATIO):
        raise FileRefused(_("The workbook unpacks to far more than its size: it is refused unread."))
    return _workbook_rows(data, max_rows=max_rows)


def _workbook_rows(data: bytes, *, max_rows: int) -> Sheet:
    import openpyxl  # only when a workbook is uploaded
    from openpyxl.utils.escape import unescape  # "_x000D_" as a workbook may keep a carriage return

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # a damaged workbook raises whatever its parts make the reader raise
        logger.info("import_workbook_unreadable", exc_info=True)
        raise _not_a_workbook() from None
    try:
        if not book.worksheets:
            raise _not_a_workbook()
        header: list[str] = []
        rows: list[tuple[int, list[Any]]] = []
        for number, values in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
            if number == 1:
                header = ["" if value is None else str(value).strip() for value in values]
                continue
            _keep(rows, number, [unescape(v) if isinstance(v, str) else v for v in values], max_rows)
    except FileRefused:
        raise
    except Exception:  # a sheet damaged past its first rows
        logger.info("import_workbook_unreadable", exc_info=True)
        raise _not_a_workbook() from None
    finally:
        book.close()
    while header and not header[-1]:
        header.pop()
    return Sheet(kind=WORKBOOK, encoding="", header=header, rows=rows)
