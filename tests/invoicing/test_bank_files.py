"""Bank statements read: the Zengin 入出金取引明細 (種別 03) made field by field, in the shape a bank's sample
has (half-width kana, 和暦 dates, with or without line breaks), and a bank CSV by its column mapping; bad files
are refused with a sentence naming what is wrong."""

from __future__ import annotations

import datetime as dt

import pytest

from invoicing.bank import csvfile, reading, zengin
from invoicing.bank.statement import BankFileRefused
from tests.invoicing.bank_files import bank_csv, data, header, zengin_file

DAY = dt.date(2026, 11, 25)
LINES = [
    {"day": DAY, "amount": 7_621, "payer": "ｶ)ｱﾙﾌｧ", "memo": "ｾｲｷｭｳ 12"},
    {"day": DAY, "amount": 330, "payer": "ﾃｽｳﾘﾖｳ", "credit": False},
    {"day": DAY + dt.timedelta(days=1), "amount": 15_000, "payer": "ﾔﾏﾀﾞｼﾖｳｼﾞ(ｶ"},
]


def test_every_record_of_the_layout_is_200_bytes_and_named_after_the_published_fields():
    for layout in zengin.LAYOUT.values():
        assert sum(field.width for field in layout) == 200
    assert [f.label for f in zengin.DATA][:7] == [
        "データ区分",
        "照会番号",
        "勘定日",
        "預入・払出日",
        "入払区分",
        "取引区分",
        "取引金額",
    ]


@pytest.mark.parametrize("newline", [b"", b"\r\n", b"\n"], ids=["no-breaks", "crlf", "lf"])
def test_a_zengin_statement_is_read_field_by_field(newline):
    statement = zengin.parse(zengin_file(LINES, newline=newline))
    assert (statement.bank_code, statement.bank_name, statement.branch_name) == ("0597", "ｷﾗﾎﾞｼｷﾞﾝｺｳ", "ﾎﾝﾃﾝ")
    assert (statement.account_number, statement.account_name) == ("1234567", "ﾊﾟｰﾄﾅｰ(ｶ")
    assert (statement.date_from, statement.date_to) == (DAY, DAY + dt.timedelta(days=1))
    assert [(x.sequence, x.date, x.amount, x.credit, x.payer) for x in statement.lines] == [
        ("00000001", DAY, 7_621, True, "ｶ)ｱﾙﾌｧ"),
        ("00000002", DAY, 330, False, "ﾃｽｳﾘﾖｳ"),
        ("00000003", DAY + dt.timedelta(days=1), 15_000, True, "ﾔﾏﾀﾞｼﾖｳｼﾞ(ｶ"),
    ]
    assert statement.lines[0].memo == "ｾｲｷｭｳ 12"
    assert len(statement.credits) == 2


def test_a_bank_sample_record_at_its_published_positions():
    """One data record written as a bank's sample shows it (positions counted from 1): 照会番号 at 2-9, 勘定日
    at 10-15 (和暦 令和8年11月25日), 入払区分 at 22, 取引金額 at 25-36, 振込依頼人名 at 82-129."""
    record = bytearray(b"2" + b"0" * 80 + b" " * 119)
    record[1:9] = b"00000042"
    record[9:15] = b"081125"
    record[15:21] = b"081125"
    record[21:22] = b"1"
    record[22:24] = b"11"
    record[24:36] = b"000000123456"
    record[81:129] = "ｶ)ﾔﾏﾀﾞｼｮｳｼﾞ".encode("cp932").ljust(48)
    record[159:179] = b"INV-2026-0042".ljust(20)
    file = header(start=DAY, end=DAY) + bytes(record)
    file += b"8000001" + b"0000000123456" + b"000000" + b"0" * 13 + b"0" + b"0" * 14 + b"0000001" + b" " * 139
    file += b"9" + b" " * 199
    (line,) = zengin.parse(file).lines
    assert (line.sequence, line.date, line.amount, line.payer, line.memo) == (
        "00000042",
        DAY,
        123_456,
        "ｶ)ﾔﾏﾀﾞｼｮｳｼﾞ",
        "INV-2026-0042",
    )


def test_heisei_dates_are_read_in_their_era():
    assert zengin.era_date("310430", number=1, label="x") == dt.date(2019, 4, 30)
    assert zengin.era_date("010501", number=1, label="x") == dt.date(2019, 5, 1)
    assert zengin.era_date("081127", number=1, label="x") == dt.date(2026, 11, 27)


REFUSED = [
    (zengin_file(LINES)[:-7], "not a whole number of 200-byte records"),
    (zengin_file(LINES, newline=b"\r\n").replace(b"\r\n", b"  \r\n", 1), "Record 1 is 202 bytes long"),
    (zengin_file(LINES).decode("cp932").encode("utf-8"), "The file is in UTF-8"),
    (zengin_file([{**x, "credit": False} for x in LINES]), "only payments out"),
    (zengin_file(LINES, kind="01"), "Zengin kind 01"),
    (b"\x89PNG\r\n\x1a\n\x00\x00" * 40, "binary"),
    (b"hello world, this is not a bank file\n", "Record 1 is 36 bytes long"),
    (b"", "empty"),
    (zengin_file(LINES)[:-400], "no trailer"),
    (zengin_file(LINES).replace(b"00000007621", b"00000007622", 1), "do not match"),
    (b"2" * 200, "does not start with a Zengin header"),
]


@pytest.mark.parametrize(("content", "said"), REFUSED, ids=[r[1] for r in REFUSED])
def test_bad_files_are_refused_with_a_sentence(content, said):
    with pytest.raises(BankFileRefused) as refused:
        zengin.parse(content)
    assert said in str(refused.value)


def test_a_file_over_the_size_limit_is_refused():
    with pytest.raises(BankFileRefused, match="larger than 1 MB"):
        reading.checked_bytes(b"1" * 1_048_577, max_bytes=1_048_576)


def test_a_letter_in_a_digit_field_is_refused_by_record_and_field():
    file = bytearray(zengin_file(LINES))
    file[200 + 24] = ord("X")  # the first data record's 取引金額
    with pytest.raises(BankFileRefused, match="Record 2, field “取引金額”"):
        zengin.parse(bytes(file))


MAPPING = csvfile.Mapping(date=1, credit=2, debit=3, payer=4, memo=(5,))


@pytest.mark.parametrize("encoding", ["cp932", "utf-8-sig", "utf-8"])
def test_a_bank_csv_by_its_mapping(encoding):
    content = bank_csv(
        [
            ("2026/11/25", "7,621", "", "ｶ)ｱﾙﾌｧ", "請求書12"),
            ("2026-11-25", "", "330", "振込手数料", ""),
            ("2026年11月26日", "￥15,000", "", "ヤマダショウジ（カ", ""),
        ],
        encoding=encoding,
    )
    statement = csvfile.parse(content, MAPPING)
    assert [(x.sequence, x.date, x.amount, x.credit, x.payer, x.memo) for x in statement.lines] == [
        ("2", DAY, 7_621, True, "ｶ)ｱﾙﾌｧ", "請求書12"),
        ("3", DAY, 330, False, "振込手数料", ""),
        ("4", DAY + dt.timedelta(days=1), 15_000, True, "ヤマダショウジ（カ", ""),
    ]
    assert (statement.date_from, statement.date_to) == (DAY, DAY + dt.timedelta(days=1))


CSV_REFUSED = [
    (bank_csv([("25 Nov", "100", "", "A", "")]), "Row 2, column 1: a date expected"),
    (bank_csv([("2026/11/25", "lots", "", "A", "")]), "Row 2, column 2: an amount expected"),
    (b"a,b\r\n2026/11/25,1\r\n", "Row 2 has 2 columns; the mapping reads column 5"),
    (bank_csv([("2026/11/25", "", "100", "A", "")]), "only payments out"),
    ("日付\r\n".encode("utf-16"), "The file is in UTF-16"),
    (b"a,b\r\n\x81\x20\xff\r\n", "neither in UTF-8 nor in Shift_JIS: line 2"),
]


@pytest.mark.parametrize(("content", "said"), CSV_REFUSED, ids=[r[1] for r in CSV_REFUSED])
def test_bad_csv_files_are_refused_naming_row_and_column(content, said):
    with pytest.raises(BankFileRefused) as refused:
        csvfile.parse(content, MAPPING)
    assert said in str(refused.value)


def test_a_single_record_is_made_as_the_layout_says():
    assert len(data(sequence=1, day=DAY, amount=1)) == 200
