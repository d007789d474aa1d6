"""Imports with a dry run (docs/imports.md): a file in the layout of its download (CSV in UTF-8 or Shift_JIS, or
an Excel workbook) read into numbered rows (`files`), each compared with its record and checked by the app's own
form (`spec.ImportSpec`, declared in `<app>/imports.py`), shown row by row, kept for an hour under a token, then
applied all or nothing (`run`), on one page (`views.import_page`)."""

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
    RowRefused,
    boolean,
    date,
    integer,
    shown,
    text,
)

__all__ = [
    "ADDED",
    "CHANGED",
    "REFUSED",
    "UNCHANGED",
    "CellError",
    "Checked",
    "Column",
    "ImportSpec",
    "Records",
    "RowRefused",
    "boolean",
    "date",
    "integer",
    "shown",
    "text",
]
