"""Direct debit (口座振替, 種別 91), the groundwork: the request file written field by field at the positions the
published layout gives, and the bank's result file read back with each debit's result code."""

from __future__ import annotations

import datetime as dt

import pytest

from invoicing.bank import direct_debit as dd
from invoicing.bank.statement import BankFileRefused

COLLECTOR = dd.Collector("1234567890", "ﾊﾟｰﾄﾅｰ(ｶ", "0184", "ﾐﾔｻﾞｷ", "001", "ﾎﾝﾃﾝ", "1", "7654321")
DEBITS = [
    dd.Debit("0005", "123", "1", "1111111", "ﾔﾏﾀﾞｼｮｳｼﾞ(ｶ", 22_000, "1001", bank_name="ﾐﾂﾋﾞｼUFJ"),
    dd.Debit("0009", "456", "2", "2222222", "ﾀﾅｶ(ｶ", 11_000, "1002"),
]


def test_every_record_is_120_bytes():
    for layout in dd.LAYOUT.values():
        assert sum(field.width for field in layout) == 120


def test_the_request_file_at_its_published_positions():
    records = dd.request_file(COLLECTOR, dt.date(2026, 12, 27), DEBITS).split(b"\r\n")
    assert [len(r) for r in records[:-1]] == [120] * 5 and records[-1] == b""
    header, first = records[0], records[1]
    assert (
        header[:4] == b"1910" and header[4:14] == b"1234567890"
    )  # データ区分, 種別, コード区分, 委託者コード
    assert header[54:58] == b"1227" and header[58:62] == b"0184"  # 引落日 (MMDD), 取引銀行番号
    assert header[95:96] == b"1" and header[96:103] == b"7654321"  # 預金種目, 口座番号 (委託者)
    assert first[:1] == b"2" and first[1:5] == b"0005" and first[20:23] == b"123"  # 引落銀行・支店番号
    assert first[42:43] == b"1" and first[43:50] == b"1111111"  # 預金種目, 口座番号
    assert first[50:80].decode("cp932").rstrip() == "ﾔﾏﾀﾞｼｮｳｼﾞ(ｶ"  # 預金者名
    assert first[80:90] == b"0000022000" and first[91:111] == b"1001".rjust(20, b"0")  # 引落金額, 顧客番号
    assert records[3][:25] == b"8000002000000033000000000"  # 合計件数, 合計金額, then nothing collected yet


def test_the_result_file_is_read_back_with_each_code():
    request = dd.request_file(COLLECTOR, dt.date(2026, 12, 27), DEBITS)
    records = request.split(b"\r\n")
    records[2] = records[2][:111] + b"1" + records[2][112:]  # the second debit: not enough funds
    records[3] = (
        b"8" + b"000002" + b"000000033000" + b"000001" + b"000000022000" + b"000001" + b"000000011000"
    )
    records[3] += b" " * 65
    read = dd.results(b"\r\n".join(records))
    assert [(r.customer_number.lstrip("0"), r.amount, r.collected, r.said) for r in read] == [
        ("1001", 22_000, True, "Collected"),
        ("1002", 11_000, False, "Not enough funds"),
    ]


def test_a_result_file_whose_trailer_does_not_add_up_is_refused():
    request = dd.request_file(COLLECTOR, dt.date(2026, 12, 27), DEBITS)
    with pytest.raises(BankFileRefused, match="do not match"):
        dd.results(request)  # a request, nothing collected: the trailer says so, the codes say collected


def test_what_the_layout_cannot_hold_is_refused_by_field():
    wide = dd.Debit("0005", "123", "1", "1111111", "山田商事", 1, "1")
    with pytest.raises(BankFileRefused, match="“預金者名”: at most 30 half-width characters"):
        dd.request_file(COLLECTOR, dt.date(2026, 12, 27), [wide])
    with pytest.raises(BankFileRefused, match="120-byte records"):
        dd.results(b"1" * 119)
    with pytest.raises(BankFileRefused, match="not a direct debit"):
        dd.results(b"103" + b"0" * 117 + b"\r\n")
