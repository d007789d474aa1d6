"""What a bank file says, whatever its layout: the account, the period and its lines (credits and debits)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


class BankFileRefused(Exception):
    """A bank file that cannot be read, with a sentence saying why (in the reader's language)."""


@dataclass(frozen=True)
class StatementLine:
    #: Where it stands in the bank's own numbering (Zengin: 照会番号) or in the file (CSV: its row).
    sequence: str
    date: dt.date
    amount: int
    credit: bool
    payer: str = ""
    memo: str = ""


@dataclass
class Statement:
    layout: str  # "zengin" or "csv"
    bank_code: str = ""
    bank_name: str = ""
    branch_code: str = ""
    branch_name: str = ""
    account_number: str = ""
    account_name: str = ""
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    lines: list[StatementLine] = field(default_factory=list)

    @property
    def credits(self) -> list[StatementLine]:
        return [line for line in self.lines if line.credit]
