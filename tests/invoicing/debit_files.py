"""The bank's side of direct debit for the tests: a result file (振替結果データ) made from a run's request file as a
bank makes it, each debit's result code filled in and the trailer's counts and totals worked out again, and the
collector settings a test turns direct debit on with."""

from __future__ import annotations

from invoicing.bank import direct_debit as dd
from invoicing.bank.zengin import fields_of

COLLECTOR = {
    "DIRECT_DEBIT_COLLECTOR_CODE": "1234567890",
    "DIRECT_DEBIT_COLLECTOR_NAME": "パートナー（カ",
    "DIRECT_DEBIT_BANK_CODE": "0184",
    "DIRECT_DEBIT_BANK_NAME": "ﾐﾔｻﾞｷ",
    "DIRECT_DEBIT_BRANCH_CODE": "001",
    "DIRECT_DEBIT_BRANCH_NAME": "ﾎﾝﾃﾝ",
    "DIRECT_DEBIT_DEPOSIT_KIND": "1",
    "DIRECT_DEBIT_ACCOUNT_NUMBER": "7654321",
}


def collector_on(settings) -> None:
    for name, value in COLLECTOR.items():
        setattr(settings, name, value)


def records(data: bytes) -> list[bytes]:
    return [line for line in data.split(b"\r\n") if line]


def data_fields(data: bytes) -> list[dict[str, str]]:
    """The request file's data records, field by field (the published layout)."""
    return [fields_of(r, dd.DATA, number=n) for n, r in enumerate(records(data), start=1) if r[:1] == b"2"]


def result_file(request: bytes, codes: list[str]) -> bytes:
    """The bank's answer to `request`: the n-th debit given `codes[n]` (0 collected), the trailer redone."""
    lines = records(request)
    done = failed = done_total = failed_total = 0
    n = 0
    for at, line in enumerate(lines):
        if line[:1] != b"2":
            continue
        code = codes[n]
        n += 1
        lines[at] = line[:111] + code.encode() + line[112:]
        amount = int(line[80:90])
        if code == "0":
            done, done_total = done + 1, done_total + amount
        else:
            failed, failed_total = failed + 1, failed_total + amount
    trailer = next(at for at, line in enumerate(lines) if line[:1] == b"8")
    lines[trailer] = (
        b"8"
        + b"%06d%012d" % (done + failed, done_total + failed_total)
        + b"%06d%012d" % (done, done_total)
        + b"%06d%012d" % (failed, failed_total)
        + b" " * 65
    )
    return b"\r\n".join(lines) + b"\r\n"
