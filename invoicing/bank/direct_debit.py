"""Direct debit (預金口座振替, Zengin 種別コード 91): the request file a partner sends its bank to collect its
customers' invoices from their accounts, and the result file the bank sends back with a result code per debit.
Pure functions; the accounts, runs and pages are `invoicing/services/debit.py` and `invoicing/views_debit.py`.

Fixed-width records of 120 bytes in JIS X 0201 (half-width katakana, digits, upper-case Latin letters; read and
written as Shift_JIS), with or without CR LF after each: a header (データ区分 1), data records (2), a trailer (8)
and an end record (9). The layout below is data, field by field; source: the Japanese Bankers Association's
standard format for 預金口座振替 as banks publish it for their collectors (e.g. the Bank of Miyazaki's and
Hokkoku Bank's 全銀形式 pages). Each record's widths add up to 120 (`tests/invoicing/test_direct_debit.py`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from invoicing.bank.reading import checked_bytes
from invoicing.bank.statement import BankFileRefused
from invoicing.bank.zengin import Field, fields_of

RECORD = 120
KIND = "91"

HEADER = (
    Field("record", "N", 1, "データ区分"),
    Field("kind", "N", 2, "種別コード"),
    Field("code", "N", 1, "コード区分"),
    Field("collector_code", "N", 10, "委託者コード"),
    Field("collector_name", "C", 40, "委託者名"),
    Field("debit_date", "N", 4, "引落日"),
    Field("bank_code", "N", 4, "取引銀行番号"),
    Field("bank_name", "C", 15, "取引銀行名"),
    Field("branch_code", "N", 3, "取引支店番号"),
    Field("branch_name", "C", 15, "取引支店名"),
    Field("deposit_kind", "N", 1, "預金種目(委託者)"),
    Field("account_number", "N", 7, "口座番号(委託者)"),
    Field("dummy", "C", 17, "ダミー"),
)
DATA = (
    Field("record", "N", 1, "データ区分"),
    Field("bank_code", "N", 4, "引落銀行番号"),
    Field("bank_name", "C", 15, "引落銀行名"),
    Field("branch_code", "N", 3, "引落支店番号"),
    Field("branch_name", "C", 15, "引落支店名"),
    Field("dummy1", "C", 4, "ダミー"),
    Field("deposit_kind", "N", 1, "預金種目"),
    Field("account_number", "N", 7, "口座番号"),
    Field("holder", "C", 30, "預金者名"),
    Field("amount", "N", 10, "引落金額"),
    Field("new_code", "N", 1, "新規コード"),
    Field("customer_number", "N", 20, "顧客番号"),
    Field("result", "N", 1, "振替結果コード"),
    Field("dummy", "C", 8, "ダミー"),
)
TRAILER = (
    Field("record", "N", 1, "データ区分"),
    Field("count", "N", 6, "合計件数"),
    Field("total", "N", 12, "合計金額"),
    Field("done_count", "N", 6, "振替済件数"),
    Field("done_total", "N", 12, "振替済金額"),
    Field("failed_count", "N", 6, "振替不能件数"),
    Field("failed_total", "N", 12, "振替不能金額"),
    Field("dummy", "C", 65, "ダミー"),
)
END = (Field("record", "N", 1, "データ区分"), Field("dummy", "C", 119, "ダミー"))
LAYOUT = {"1": HEADER, "2": DATA, "8": TRAILER, "9": END}

#: 振替結果コード: what the bank did with each debit (0: collected).
RESULTS = {
    "0": gettext_lazy("Collected"),
    "1": gettext_lazy("Not enough funds"),
    "2": gettext_lazy("No such account"),
    "3": gettext_lazy("Stopped by the account holder"),
    "4": gettext_lazy("No direct debit authorisation"),
    "8": gettext_lazy("Stopped by the collector"),
    "9": gettext_lazy("Other reason"),
}
COLLECTED = "0"


@dataclass(frozen=True)
class Collector:
    """The partner as the collector (委託者) and its account the bank credits."""

    code: str
    name: str
    bank_code: str
    bank_name: str
    branch_code: str
    branch_name: str
    deposit_kind: str
    account_number: str


@dataclass(frozen=True)
class Debit:
    """One customer's debit: its account, the amount and the number the bank knows the authorisation by
    (顧客番号: the one registered, else the invoice number; a result is matched back by it and the amount)."""

    bank_code: str
    branch_code: str
    deposit_kind: str
    account_number: str
    holder: str
    amount: int
    customer_number: str
    bank_name: str = ""
    branch_name: str = ""
    new_code: str = "0"
    result: str = "0"


def _value(field: Field, value: str | int, *, where: str) -> bytes:
    text = str(value)
    if field.kind == "N":
        if not text.isdigit() or len(text) > field.width:
            raise BankFileRefused(
                _("%(where)s, field “%(field)s”: at most %(width)s digits, found “%(found)s”.")
                % {"where": where, "field": field.label, "width": field.width, "found": text}
            )
        return text.rjust(field.width, "0").encode("ascii")
    try:
        raw = text.encode("cp932")
    except UnicodeEncodeError:
        raw = b"\x81"  # refused below
    if len(raw) != len(text) or len(raw) > field.width:
        raise BankFileRefused(
            _("%(where)s, field “%(field)s”: at most %(width)s half-width characters, found “%(found)s”.")
            % {"where": where, "field": field.label, "width": field.width, "found": text}
        )
    return raw.ljust(field.width, b" ")


def _record(layout: tuple[Field, ...], values: dict[str, str | int], *, where: str) -> bytes:
    record = b"".join(_value(f, values.get(f.name, "" if f.kind == "C" else 0), where=where) for f in layout)
    assert len(record) == RECORD
    return record


def request_file(collector: Collector, debit_date: dt.date, debits: list[Debit]) -> bytes:
    """The request file (振替依頼データ) for `debit_date`, each record followed by CR LF."""
    header = _record(
        HEADER,
        {
            "record": 1,
            "kind": KIND,
            "code": 0,
            "collector_code": collector.code,
            "collector_name": collector.name,
            "debit_date": f"{debit_date:%m%d}",
            "bank_code": collector.bank_code,
            "bank_name": collector.bank_name,
            "branch_code": collector.branch_code,
            "branch_name": collector.branch_name,
            "deposit_kind": collector.deposit_kind,
            "account_number": collector.account_number,
        },
        where=_("The header"),
    )
    records = [header]
    for number, debit in enumerate(debits, start=1):
        values = {name: getattr(debit, name) for name in Debit.__dataclass_fields__}
        records.append(_record(DATA, {**values, "record": 2}, where=_("Debit %(n)s") % {"n": number}))
    total = sum(debit.amount for debit in debits)
    records.append(
        _record(TRAILER, {"record": 8, "count": len(debits), "total": total}, where=_("The trailer"))
    )
    records.append(_record(END, {"record": 9}, where=_("The end record")))
    return b"".join(record + b"\r\n" for record in records)


@dataclass(frozen=True)
class Result:
    customer_number: str
    amount: int
    code: str
    holder: str

    @property
    def collected(self) -> bool:
        return self.code == COLLECTED

    @property
    def said(self) -> str:
        return str(RESULTS.get(self.code, RESULTS["9"]))


def results(data: bytes) -> list[Result]:
    """The bank's result file (振替結果データ): each debit's result code, the trailer's counts and totals checked
    (collected and not)."""
    data = checked_bytes(data).rstrip(b"\x1a")
    lines = [line.removesuffix(b"\r") for line in data.split(b"\n") if line] if b"\n" in data else None
    if lines is None:
        if len(data) % RECORD:
            raise BankFileRefused(
                _(
                    "The file is %(size)s bytes, not a whole number of 120-byte records: it is not a direct debit file."
                )
                % {"size": len(data)}
            )
        lines = [data[at : at + RECORD] for at in range(0, len(data), RECORD)]
    found, trailer = [], None
    for number, line in enumerate(lines, start=1):
        if len(line) != RECORD:
            raise BankFileRefused(
                _("Record %(number)s is %(size)s bytes long; a direct debit record is 120.")
                % {"number": number, "size": len(line)}
            )
        layout = LAYOUT.get(line[:1].decode("ascii", "replace"))
        if layout is None or (number == 1 and layout is not HEADER):
            raise BankFileRefused(_("Record %(number)s is out of place.") % {"number": number})
        values = fields_of(line, layout, number=number)
        if layout is HEADER and values["kind"] != KIND:
            raise BankFileRefused(
                _("The file is of Zengin kind %(kind)s, not a direct debit (91).") % {"kind": values["kind"]}
            )
        if layout is DATA:
            found.append(
                Result(
                    values["customer_number"], int(values["amount"] or 0), values["result"], values["holder"]
                )
            )
        elif layout is TRAILER:
            trailer = values
    if trailer is None:
        raise BankFileRefused(_("The file has no trailer record: it was cut short."))
    done = [r for r in found if r.collected]
    failed = [r for r in found if not r.collected]
    counted = (len(found), sum(r.amount for r in found), len(done), sum(r.amount for r in done))
    said = tuple(int(trailer[name] or 0) for name in ("count", "total", "done_count", "done_total"))
    failed_said = (int(trailer["failed_count"] or 0), int(trailer["failed_total"] or 0))
    if counted != said or (len(failed), sum(r.amount for r in failed)) != failed_said:
        raise BankFileRefused(
            _("The trailer's counts and totals do not match the transactions: the file was cut or altered.")
        )
    return found
