"""The one way a page hands people its rows as a file: an Excel workbook, or a CSV in UTF-8 or Shift_JIS.

Every people-facing export (the lists', the re-billing statement, the scheduled changes) builds a `Table` (its
header and typed rows) and answers with `table_response(request, table, name=...)`; the request's query
chooses the file, so one URL serves all three with the page's filters:

* no parameter: CSV in UTF-8 with a BOM, streamed (`portal/core/csv_export.py`); for machines, and for every
  spreadsheet program that reads UTF-8;
* `?encoding=cp932`: CSV in Shift_JIS as Windows writes it, for Japanese accounting packages and older
  spreadsheet programs. Encoded whole before a byte is sent: if a character has no Shift_JIS code (𠮷, an
  emoji), no file is sent at all (it would have said "?"), but a page that names each row and column that
  would have lost something, and what, with links to the UTF-8 CSV and the workbook, which hold every character
  (status 409, so that a script asking for Shift_JIS fails rather than saving the page);
* `?format=xlsx`: the Excel workbook (`portal/core/workbook.py`): codes stay text, numbers numbers, dates dates.

`components/_downloads.html` draws the three links for a page. An import format bound to Shift_JIS (Yayoi's
journal, `portal/core/journals/`) calls `shift_jis_response` itself, with no alternative to offer.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from portal.core.csv_export import csv_response, csv_rows, encoded_csv, encoded_response
from portal.core.workbook import workbook_response

#: The files a download may be asked as.
CSV, SHIFT_JIS, WORKBOOK = "csv", "cp932", "xlsx"
#: Rows the lost-characters page lists (the count says how many more).
LOSSES_SHOWN = 100


@dataclass(frozen=True)
class Table:
    """Rows to download. `header`: the columns' labels (lazy translations are read in the requester's
    language when the response is made). `rows`: sequences of str, int, Decimal, date, datetime, bool or None,
    read once (a queryset's iterator streams). `header_row=False` for an import format without one: the labels
    then only name the columns on the lost-characters page."""

    header: Sequence[str | Promise]
    rows: Iterable[Sequence[Any]]
    header_row: bool = True


def requested(request: HttpRequest) -> str:
    """The file the request asks for: WORKBOOK, SHIFT_JIS or (by default, or for an unknown value) CSV."""
    if request.GET.get("format") == WORKBOOK:
        return WORKBOOK
    if request.GET.get("encoding") == SHIFT_JIS:
        return SHIFT_JIS
    return CSV


def table_response(request: HttpRequest, table: Table, *, name: str) -> HttpResponseBase:
    """`table` as the file the request asks for (see the module docstring), named `<name>-<timestamp>`."""
    choice = requested(request)
    if choice == WORKBOOK:
        return workbook_response(table.header, table.rows, name=name)
    if choice == SHIFT_JIS:
        return shift_jis_response(request, table, name=name, alternatives=True)
    return csv_response(csv_rows(table.header, table.rows), name=name)


def shift_jis_response(
    request: HttpRequest, table: Table, *, name: str, alternatives: bool = False
) -> HttpResponse:
    """`table` as a Shift_JIS (cp932) CSV, or the page naming what Shift_JIS cannot hold (with links to the
    UTF-8 CSV and the workbook when `alternatives`)."""
    header = [str(label) for label in table.header]
    encoded = encoded_csv(header, table.rows, encoding=SHIFT_JIS, header_row=table.header_row)
    if not encoded.losses:
        return encoded_response(encoded, name=name)
    losses = [
        {
            "line": loss.line,
            "column": header[loss.column] if loss.column < len(header) else str(loss.column + 1),
            "text": _marked(loss.text, loss.characters),
            "characters": ", ".join(f"{char} (U+{ord(char):04X})" for char in loss.characters),
        }
        for loss in encoded.losses[:LOSSES_SHOWN]
    ]
    lines = {loss.line for loss in encoded.losses}
    context = {
        "losses": losses,
        "more": len(encoded.losses) - len(losses),
        "rows": len(lines),
        "header_row": table.header_row,
        "utf8_url": _url(request, drop=("encoding", "format")) if alternatives else "",
        "workbook_url": _url(request, drop=("encoding",), format=WORKBOOK) if alternatives else "",
    }
    return render(request, "core/lost_characters.html", context, status=409)


def _marked(text: str, characters: tuple[str, ...]) -> SafeString:
    """The cell's text, escaped, each lost character in a <mark>."""
    return format_html_join(
        "", "{}", ((format_html("<mark>{}</mark>", c) if c in characters else c,) for c in text)
    )


def _url(request: HttpRequest, *, drop: tuple[str, ...], **values: str) -> str:
    query: QueryDict = request.GET.copy()
    for key in drop:
        query.pop(key, None)
    for key, value in values.items():
        query[key] = value
    return f"{request.path}?{query.urlencode()}" if query else request.path


def download_url(url: str, query: str = "", **values: str) -> str:
    """The address of one file of an export: `url` with the page's `query` (the page's filters, as the
    `query_replace` tag gives them) and `values` set, such as format="xlsx" or encoding="cp932"."""
    params = QueryDict(query, mutable=True)
    for key, value in values.items():
        params[key] = value
    encoded = params.urlencode()
    return f"{url}?{encoded}" if encoded else url


@contextlib.contextmanager
def one_state() -> Iterator[None]:
    """Reads that all see the database in one state: a download read in several queries (a batch at a time)
    neither repeats nor skips a row added or removed meanwhile. On PostgreSQL a REPEATABLE READ transaction (its
    reads see the database as at the first), outside any transaction already begun (a test's: that one's). On
    SQLite nothing: its transactions begin IMMEDIATE (settings), taking the write lock for the whole download,
    which would hold the worker's writes; there each batch reads the database as it is."""
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield
        return
    yield
