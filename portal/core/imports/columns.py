"""An import's file matched to its declaration: the header's columns (in English or Japanese, a column of codes
by its name or its code), and each row's cells read by their columns (`header_read`, `row_values`), every
problem naming its row and column as a spreadsheet does (`letter`)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from portal.core.imports import files
from portal.core.imports.spec import CellError, Column, ImportSpec, text
from portal.core.vocabulary import code_column

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


def _coded(column: Column, layout: Layout, cells: list[Any], *, key: bool) -> str:
    """A column of codes: its code, read from the code column or from the name (in either language). A code
    the portal has no name for is written as its own name by the download (`ImportSpec.table_row`); in a key
    column it is read as it is (a record may have it, and the app's form refuses it for a new one)."""
    assert column.choices is not None
    choices = column.choices()
    codes = {str(code) for code, _label in choices}
    names = {label: str(code) for code, name in choices for label in _in_each_language(name)}
    code = text(_cell(cells, layout.at.get((column.key, CODE))))
    name = text(_cell(cells, layout.at.get((column.key, NAME))))
    if code and code not in codes and not key:
        raise CellError(_("“%(code)s” is not a code of this column.") % {"code": code[:40]}, CODE)
    by_name = names.get(_normal(name)) if name else None
    if name and by_name is None and name != code:
        raise CellError(_("“%(name)s” is not one of this column's names.") % {"name": name[:40]})
    if code and by_name is not None and code != by_name:
        raise CellError(
            _("The name “%(name)s” and the code “%(code)s” disagree: correct one of them, or empty the name.")
            % {"name": name[:40], "code": code[:40]}
        )
    return code or by_name or ""


def row_values(
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
                value = _coded(column, layout, cells, key=column.key in spec.key)
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
