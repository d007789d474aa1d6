"""A bank's plain CSV statement read with the column mapping Finance keeps for that bank (`BankCsvMapping`):
which column holds the date, the amount received (and the amount paid out, when the bank writes it apart), the
payer's name and the memo. Columns are numbered from 1; the first rows (the bank's headings) are skipped."""

from __future__ import annotations

import csv
import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from django.utils.translation import gettext as _

from invoicing.bank.reading import checked_bytes, decoded
from invoicing.bank.statement import BankFileRefused, Statement, StatementLine


@dataclass(frozen=True)
class Mapping:
    date: int
    credit: int
    payer: int
    debit: int | None = None
    memo: tuple[int, ...] = ()
    skip_rows: int = 1
    delimiter: str = ","


DATE = re.compile(r"^(\d{4})\D?(\d{1,2})\D?(\d{1,2})\D?$")


def date_of(text: str) -> dt.date | None:
    """2026/11/27, 2026-11-27, 20261127 or 2026年11月27日 (full-width digits too); None when not a date."""
    found = DATE.match(unicodedata.normalize("NFKC", text).strip())
    if not found:
        return None
    try:
        return dt.date(*(int(part) for part in found.groups()))
    except ValueError:
        return None


def amount_of(text: str) -> int | None:
    """1,234, ¥1,234, 1234円 (full-width too) as 1234; 0 for empty; None when not a whole amount of yen."""
    text = unicodedata.normalize("NFKC", text).strip().replace(",", "").replace("¥", "").replace("\\", "")
    text = text.removesuffix("円").strip()
    if not text:
        return 0
    if text.endswith(".0") or text.endswith(".00"):
        text = text.split(".", 1)[0]
    return int(text) if text.isdigit() else None


def parse(data: bytes, mapping: Mapping) -> Statement:
    """The statement's lines, each row read by the mapping; a row that does not fit is refused by its number and
    column. Debit rows are kept as debits (not matched); a file of debits only is refused."""
    text, _encoding = decoded(checked_bytes(data))
    rows = list(csv.reader(text.splitlines(), delimiter=mapping.delimiter))
    statement = Statement(layout="csv")
    width = max([mapping.date, mapping.credit, mapping.payer, mapping.debit or 0, *mapping.memo])
    for number, row in enumerate(rows, start=1):
        if number <= mapping.skip_rows or not any(cell.strip() for cell in row):
            continue
        if len(row) < width:
            raise BankFileRefused(
                _("Row %(row)s has %(found)s columns; the mapping reads column %(column)s.")
                % {"row": number, "found": len(row), "column": width}
            )
        statement.lines.append(_line(row, mapping, number=number))
    if not statement.lines:
        raise BankFileRefused(_("The statement has no transactions."))
    if not statement.credits:
        raise BankFileRefused(
            _("The statement has only payments out: there is no incoming payment to match.")
        )
    statement.date_from = min(line.date for line in statement.lines)
    statement.date_to = max(line.date for line in statement.lines)
    return statement


def _cell(row: list[str], column: int) -> str:
    return row[column - 1].strip()


def _line(row: list[str], mapping: Mapping, *, number: int) -> StatementLine:
    def refused(column: int, what: str) -> BankFileRefused:
        return BankFileRefused(
            _("Row %(row)s, column %(column)s: %(what)s, found “%(found)s”.")
            % {"row": number, "column": column, "what": what, "found": _cell(row, column)[:40]}
        )

    date = date_of(_cell(row, mapping.date))
    if date is None:
        raise refused(mapping.date, _("a date expected"))
    credit = amount_of(_cell(row, mapping.credit))
    if credit is None:
        raise refused(mapping.credit, _("an amount expected"))
    debit: int | None = 0
    if mapping.debit:
        debit = amount_of(_cell(row, mapping.debit))
        if debit is None:
            raise refused(mapping.debit, _("an amount expected"))
    memo = " ".join(_cell(row, column) for column in mapping.memo if _cell(row, column))
    return StatementLine(
        sequence=str(number),
        date=date,
        amount=credit or debit or 0,
        credit=bool(credit),
        payer=_cell(row, mapping.payer),
        memo=memo,
    )
