"""The Zengin (全銀協) 入出金取引明細 file, 種別コード 03: fixed-width records of 200 bytes in JIS X 0201 (digits,
upper-case Latin letters and half-width katakana, one byte each, read as Shift_JIS), with or without a line break
after each record. A header record (データ区分 1), data records (2), a trailer (8) and an end record (9).

The layout below is data, field by field: its name, its kind (N: digits, right-aligned, padded with 0; C:
characters, left-aligned, padded with spaces) and its width in bytes. Source: the Japanese Bankers
Association's standard format for 入出金取引明細 (全銀協規定形式), as banks publish it for their customers, e.g.
Kiraboshi Bank's "入出金明細(全銀)明細ファイル・フォーマット(全銀協規定形式・改行なし)" (2018-05-01). Dates are
in the Japanese era (和暦) as YYMMDD. Each record's widths add up to 200 (`tests/invoicing/test_bank_files.py`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from invoicing.bank.reading import checked_bytes
from invoicing.bank.statement import BankFileRefused, Statement, StatementLine

RECORD = 200


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # "N" digits, "C" characters
    width: int
    label: str  # the field's name in the published layout


HEADER = (
    Field("record", "N", 1, "データ区分"),
    Field("kind", "N", 2, "種別コード"),
    Field("code", "N", 1, "コード区分"),
    Field("created", "N", 6, "作成日"),
    Field("date_from", "N", 6, "勘定日(自)"),
    Field("date_to", "N", 6, "勘定日(至)"),
    Field("bank_code", "N", 4, "銀行コード"),
    Field("bank_name", "C", 15, "銀行名"),
    Field("branch_code", "N", 3, "支店コード"),
    Field("branch_name", "C", 15, "支店名"),
    Field("dummy1", "N", 3, "ダミー"),
    Field("deposit_kind", "N", 1, "預金種目"),
    Field("account_number", "N", 10, "口座番号"),
    Field("account_name", "C", 40, "口座名"),
    Field("overdraft", "N", 1, "貸越区分"),
    Field("passbook", "N", 1, "通帳・証書区分"),
    Field("balance_before", "N", 14, "取引前残高"),
    Field("dummy", "C", 71, "ダミー"),
)
DATA = (
    Field("record", "N", 1, "データ区分"),
    Field("sequence", "N", 8, "照会番号"),
    Field("date", "N", 6, "勘定日"),
    Field("value_date", "N", 6, "預入・払出日"),
    Field("direction", "N", 1, "入払区分"),
    Field("transaction", "N", 2, "取引区分"),
    Field("amount", "N", 12, "取引金額"),
    Field("other_bank_cheques", "N", 12, "うち他店券金額"),
    Field("exchange_date", "N", 6, "交換呈示日"),
    Field("dishonoured_date", "N", 6, "不渡返還日"),
    Field("bill_kind", "N", 1, "手形・小切手区分"),
    Field("bill_number", "N", 7, "手形・小切手番号"),
    Field("branch_number", "N", 3, "僚店番号"),
    Field("payer_code", "N", 10, "振込依頼人コード"),
    Field("payer", "C", 48, "振込依頼人名又は契約者番号"),
    Field("payer_bank", "C", 15, "仕向銀行名"),
    Field("payer_branch", "C", 15, "仕向店名"),
    Field("memo", "C", 20, "摘要内容"),
    Field("edi", "C", 20, "EDI情報"),
    Field("dummy", "C", 1, "ダミー"),
)
TRAILER = (
    Field("record", "N", 1, "データ区分"),
    Field("credits", "N", 6, "入金件数"),
    Field("credit_total", "N", 13, "入金額合計"),
    Field("debits", "N", 6, "出金件数"),
    Field("debit_total", "N", 13, "出金額合計"),
    Field("overdraft", "N", 1, "貸越区分"),
    Field("balance_after", "N", 14, "取引後残高"),
    Field("records", "N", 7, "データレコード件数"),
    Field("dummy", "C", 139, "ダミー"),
)
END = (
    Field("record", "N", 1, "データ区分"),
    Field("dummy", "C", 199, "ダミー"),
)
LAYOUT = {"1": HEADER, "2": DATA, "8": TRAILER, "9": END}
KIND = "03"  # 入出金取引明細
CREDIT, DEBIT = "1", "2"  # 入払区分: 入金, 出金

#: First day of each era a YYMMDD date may be in, newest first (令和, 平成).
ERAS = ((dt.date(2019, 5, 1), 2018), (dt.date(1989, 1, 8), 1988))


def fields_of(record: bytes, layout: tuple[Field, ...], *, number: int) -> dict[str, str]:
    """The record's fields by name: each slice of bytes read as JIS X 0201 (Shift_JIS's single bytes); a
    character of two bytes or a digit field with a letter is refused, naming the record and the field."""
    values, at = {}, 0
    for field in layout:
        raw = record[at : at + field.width]
        at += field.width
        try:
            text = raw.decode("cp932")
        except UnicodeDecodeError:
            raise BankFileRefused(
                _("Record %(number)s, field “%(field)s”: the characters are not Shift_JIS half-width.")
                % {"number": number, "field": field.label}
            ) from None
        if field.kind == "N" and not (text.isascii() and text.strip(" ").isdigit() or not text.strip()):
            raise BankFileRefused(
                _("Record %(number)s, field “%(field)s”: digits expected, found “%(found)s”.")
                % {"number": number, "field": field.label, "found": text.strip()}
            )
        values[field.name] = text.rstrip(" ") if field.kind == "C" else text.strip(" ")
    return values


def era_date(text: str, *, number: int, label: str) -> dt.date:
    """A YYMMDD date in the Japanese era: 令和 when it can be (not before 令和 began, nor a year ahead), else
    平成."""
    if len(text) != 6 or not text.isdigit():
        raise BankFileRefused(
            _("Record %(number)s, field “%(field)s”: not a date (YYMMDD).")
            % {"number": number, "field": label}
        )
    year, month, day = int(text[:2]), int(text[2:4]), int(text[4:])
    latest = dt.date.today() + dt.timedelta(days=366)
    for start, offset in ERAS:
        try:
            date = dt.date(offset + year, month, day)
        except ValueError:
            break
        if start <= date <= latest:
            return date
    raise BankFileRefused(
        _("Record %(number)s, field “%(field)s”: “%(found)s” is not a date.")
        % {"number": number, "field": label, "found": text}
    )


def records(data: bytes) -> list[bytes]:
    """The file's records of 200 bytes: written one after the other, or each followed by a line break (CR LF or
    LF); an end-of-file mark (0x1A) is ignored. Any other length is refused, naming the first record off."""
    data = data.rstrip(b"\x1a")
    if b"\n" not in data:
        if len(data) % RECORD:
            raise BankFileRefused(
                _(
                    "The file is %(size)s bytes, not a whole number of 200-byte records: it is not a Zengin file, "
                    "or it was cut or converted."
                )
                % {"size": len(data)}
            )
        return [data[at : at + RECORD] for at in range(0, len(data), RECORD)]
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    found = []
    for number, line in enumerate(lines, start=1):
        line = line.removesuffix(b"\r")
        if len(line) != RECORD:
            raise BankFileRefused(
                _("Record %(number)s is %(size)s bytes long; a Zengin record is 200.")
                % {"number": number, "size": len(line)}
            )
        found.append(line)
    return found


def _utf8_refused(data: bytes) -> None:
    """A Zengin file converted to UTF-8 (its half-width kana become three bytes each) is named as such."""
    if data.isascii():
        return
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return
    raise BankFileRefused(
        _(
            "The file is in UTF-8: a Zengin file is written in Shift_JIS half-width characters. Upload the bank's file as it came."
        )
    )


def parse(data: bytes) -> Statement:
    """The statement of a Zengin 入出金取引明細 file: one account (a header, its data records, a trailer, the end
    record), its trailer's counts and totals checked against the lines."""
    data = checked_bytes(data)
    _utf8_refused(data)
    rows = records(data)
    if not rows or rows[0][:1] != b"1":
        raise BankFileRefused(_("The file does not start with a Zengin header record."))
    statement, trailer = None, None
    for number, row in enumerate(rows, start=1):
        kind = row[:1].decode("ascii", "replace")
        layout = LAYOUT.get(kind)
        if layout is None:
            raise BankFileRefused(
                _("Record %(number)s has the record kind “%(kind)s”; a Zengin record is 1, 2, 8 or 9.")
                % {"number": number, "kind": kind}
            )
        values = fields_of(row, layout, number=number)
        if kind == "1":
            if statement is not None:
                raise BankFileRefused(
                    _("The file holds more than one account: download one account's statement a file.")
                )
            statement = _header(values, number=number)
        elif kind == "2":
            if statement is None or trailer is not None:
                raise BankFileRefused(_("Record %(number)s is out of place.") % {"number": number})
            statement.lines.append(_line(values, number=number))
        elif kind == "8":
            trailer = values
        elif kind == "9":
            break
    if statement is None or trailer is None:
        raise BankFileRefused(_("The file has no trailer record: it was cut short."))
    _trailer_checked(statement, trailer)
    if not statement.lines:
        raise BankFileRefused(_("The statement has no transactions."))
    if not statement.credits:
        raise BankFileRefused(
            _("The statement has only payments out: there is no incoming payment to match.")
        )
    return statement


def _header(values: dict[str, str], *, number: int) -> Statement:
    if values["kind"] != KIND:
        raise BankFileRefused(
            _("The file is of Zengin kind %(kind)s, not a statement of deposits and withdrawals (03).")
            % {"kind": values["kind"]}
        )
    return Statement(
        layout="zengin",
        bank_code=values["bank_code"],
        bank_name=values["bank_name"],
        branch_code=values["branch_code"],
        branch_name=values["branch_name"],
        account_number=values["account_number"].lstrip("0") or "0",
        account_name=values["account_name"],
        date_from=era_date(values["date_from"], number=number, label="勘定日(自)"),
        date_to=era_date(values["date_to"], number=number, label="勘定日(至)"),
    )


def _line(values: dict[str, str], *, number: int) -> StatementLine:
    if values["direction"] not in (CREDIT, DEBIT):
        raise BankFileRefused(
            _("Record %(number)s, field “入払区分”: 1 or 2 expected, found “%(found)s”.")
            % {"number": number, "found": values["direction"]}
        )
    memo = " ".join(part for part in (values["memo"].strip(), values["edi"].strip()) if part)
    return StatementLine(
        sequence=values["sequence"],
        date=era_date(values["date"], number=number, label="勘定日"),
        amount=int(values["amount"] or 0),
        credit=values["direction"] == CREDIT,
        payer=values["payer"].strip(),
        memo=memo,
    )


def _trailer_checked(statement: Statement, trailer: dict[str, str]) -> None:
    credits = [line for line in statement.lines if line.credit]
    debits = [line for line in statement.lines if not line.credit]
    found = (len(credits), sum(x.amount for x in credits), len(debits), sum(x.amount for x in debits))
    said = tuple(int(trailer[name] or 0) for name in ("credits", "credit_total", "debits", "debit_total"))
    if found != said:
        raise BankFileRefused(
            _("The trailer's counts and totals do not match the transactions: the file was cut or altered.")
        )
