"""An import declared: its columns (those of its download, under the same headers) and how its rows are read,
checked and written. The app declares one `ImportSpec` (`<app>/imports.py`); the machinery
(`portal.core.imports.run`) reads the file, compares, keeps the dry run and applies it.

A cell is read by its column's `parse` (text, a whole number, yes or no, a date), which raises `CellError` with
a sentence; the row is then checked by the app's `check`, which runs the very form of the one-by-one page, so
that an import and the page refuse the same things with the same words."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.core.imports.files import sheet_read
from portal.core.vocabulary import code_column


class CellError(ValueError):
    """A cell that cannot be read as its column asks (the message says what it expects)."""


class RowRefused(Exception):
    """Writing a row was refused when the import was applied (a month closed meanwhile): nothing is applied."""


def text(value: Any) -> str:
    """A cell as text: "" for an empty cell; line breaks as one "\\n"; a whole number from a workbook without
    ".0"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def integer(value: Any) -> int | None:
    """A whole number (None when empty); "1,200", "¥1,200" and full-width digits read as 1200."""
    if value is None or isinstance(value, bool):
        if value is None:
            return None
        raise CellError(_("Write a whole number here."))
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise CellError(_("Write a whole number here, without decimals."))
    written = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "").lstrip("¥").strip()
    if not written:
        return None
    try:
        number = Decimal(written)
    except InvalidOperation:
        raise CellError(_("“%(text)s” is not a whole number.") % {"text": str(value)[:40]}) from None
    if number != number.to_integral_value():
        raise CellError(_("Write a whole number here, without decimals."))
    return int(number)


#: Words read as yes and no, in both languages, as spreadsheets and people write them.
YES = {"true", "yes", "y", "1", "はい", "○", "◯"}
NO = {"false", "no", "n", "0", "いいえ", "×"}


def boolean(value: Any) -> bool | None:
    """Yes or no (None when empty): TRUE/FALSE as spreadsheets write them, yes/no, 1/0, はい/いいえ."""
    if value is None or isinstance(value, bool):
        return value
    written = unicodedata.normalize("NFKC", text(value)).casefold()
    if not written:
        return None
    if written in YES:
        return True
    if written in NO:
        return False
    raise CellError(_("“%(text)s” is neither yes nor no: write TRUE or FALSE.") % {"text": str(value)[:40]})


_DAY = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")


def date(value: Any) -> dt.date | None:
    """A day (None when empty): a workbook's date, or 2026-11-01, 2026/11/1 (as a spreadsheet saves it), 2026年11月1日."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.time() != dt.time():
            raise CellError(_("Write a day here, without a time."))
        return value.date()
    if isinstance(value, dt.date):
        return value
    written = unicodedata.normalize("NFKC", text(value)).split(" 00:00")[0]
    if not written:
        return None
    found = _DAY.match(written)
    try:
        if found is None:
            raise ValueError
        return dt.date(int(found[1]), int(found[2]), int(found[3]))
    except ValueError:
        raise CellError(
            _("“%(text)s” is not a day: write it as 2026-11-01.") % {"text": str(value)[:40]}
        ) from None


def shown(value: Any) -> str:
    """A value as the dry run shows it."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return str(_("Yes") if value else _("No"))
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class Column:
    """A column of the file, under the header its download writes (`label`, read in English or Japanese).

    * `read=False`: for people only (a company's name beside its domainId); any value is accepted and ignored.
    * `choices`: a column of codes, written twice as the downloads do (`lists.coded`): by name, then the codes
      under `vocabulary.code_column(label)`. Either may be left out of the file; a name is read in either
      language, and a name and a code that disagree are refused.
    * `blank=False`: an empty cell is refused (a key such as the domainId).
    * `show`: the value as the dry run shows it (a code by its name, say).
    """

    key: str
    label: str | Promise
    parse: Callable[[Any], Any] = text
    read: bool = True
    blank: bool = True
    choices: Callable[[], Sequence[tuple[str, str | Promise]]] | None = None
    show: Callable[[Any], str] = shown


@dataclass
class Checked:
    """A row checked by the app (its form): the values it would write (`after`, in its columns' keys), or the
    problems, each with the key of its column (None: the row as a whole)."""

    after: dict[str, Any] | None = None
    problems: list[tuple[str | None, str]] = field(default_factory=list)


@dataclass
class Records:
    """The records of a file's keys as they are now, read by the app in one go: `before` (None: no record yet,
    one may be added), each key's record in words (`names`: "Example K.K. (example.com)"), and the keys no record
    can have, with the column that says so and why (`unknown`: ("domain_id", "No customer has the Domain ID 5")).
    """

    before: dict[tuple, dict[str, Any] | None] = field(default_factory=dict)
    names: dict[tuple, str] = field(default_factory=dict)
    unknown: dict[tuple, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ImportSpec:
    """One import, declared by its app.

    * `name`: the file's name and the store's (``billing-details``); `title`: what is imported, in words.
    * `operation_id`: the audit entry of each import applied (its words in the app's `OPERATION_LABELS`).
    * `key`: the columns that name a row's record (a customer's domainId); a key twice in a file is refused.
    * `current(keys=..., actor=..., lock=...)`: the `Records` of those keys now, their values in the columns'
      keys, locked (`select_for_update`) when `lock`, in the apply's transaction.
    * `check(values, before, actor=...)`: a row changed from `before`, run through the one-by-one form.
    * `write(key, after, before, actor=...)`: a row applied, through the one-by-one service (which audits it);
      raises `RowRefused` to refuse the whole import.
    """

    name: str
    title: str | Promise
    operation_id: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    current: Callable[..., Records]
    check: Callable[..., Checked]
    write: Callable[..., None]
    max_rows: int = 5000
    notes: tuple[str | Promise, ...] = ()
    #: How the file becomes a header and numbered rows: `files.sheet_read` (a CSV or a workbook with a header
    #: row); an import of another layout (a bank's fixed-width records) gives a reader of its own, with the
    #: same arguments, that raises `files.FileRefused`.
    reader: Callable[..., Any] = sheet_read

    def column(self, key: str) -> Column:
        return next(column for column in self.columns if column.key == key)

    def header(self) -> list[str | Promise]:
        """The download's header: each column's label, and after a column of codes its codes' column."""
        labels: list[str | Promise] = []
        for column in self.columns:
            labels.append(column.label)
            if column.choices is not None:
                labels.append(code_column(column.label))
        return labels

    def table_row(self, values: dict[str, Any]) -> list[Any]:
        """A record as the download writes it, in `header`'s order (a code by its name, then the code)."""
        cells: list[Any] = []
        for column in self.columns:
            value = values.get(column.key)
            if column.choices is not None:
                names: dict[str, str | Promise] = dict(column.choices())
                cells.append(str(names.get(str(value or ""), value or "")))
            cells.append(value)
        return cells

    @property
    def values(self) -> tuple[str, ...]:
        """The columns read that are not the key: what a row sets."""
        return tuple(c.key for c in self.columns if c.read and c.key not in self.key)


#: What the dry run says of a row.
ADDED, CHANGED, UNCHANGED, REFUSED = "added", "changed", "unchanged", "refused"
STATUS_WORDS = {
    ADDED: gettext_lazy("New"),
    CHANGED: gettext_lazy("Changed"),
    UNCHANGED: gettext_lazy("Unchanged"),
    REFUSED: gettext_lazy("Refused"),
}
