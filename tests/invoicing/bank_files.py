"""Bank files made for the tests, field by field: a Zengin 入出金取引明細 (種別 03) written from the published
layout's widths as listed here (not from the parser's table), and a bank CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io


def era(day: dt.date) -> str:
    """YYMMDD in the Japanese era (令和 from 2019-05-01, 平成 before)."""
    year = day.year - 2018 if day >= dt.date(2019, 5, 1) else day.year - 1988
    return f"{year:02d}{day.month:02d}{day.day:02d}"


def n(value: int | str, width: int) -> bytes:
    text = str(value)
    assert text.isdigit() and len(text) <= width
    return text.rjust(width, "0").encode("ascii")


def c(value: str, width: int) -> bytes:
    raw = value.encode("cp932")
    assert len(raw) <= width, value
    return raw.ljust(width, b" ")


def header(*, start: dt.date, end: dt.date, kind: str = "03", bank="0597", account="1234567") -> bytes:
    record = b"".join(
        [
            b"1",  # データ区分
            kind.encode(),  # 種別コード
            b"0",  # コード区分 (JIS)
            n(era(end), 6),  # 作成日
            n(era(start), 6),  # 勘定日(自)
            n(era(end), 6),  # 勘定日(至)
            n(bank, 4),  # 銀行コード
            c("ｷﾗﾎﾞｼｷﾞﾝｺｳ", 15),  # 銀行名
            n(1, 3),  # 支店コード
            c("ﾎﾝﾃﾝ", 15),  # 支店名
            b"000",  # ダミー
            b"1",  # 預金種目 (普通)
            n(account, 10),  # 口座番号
            c("ﾊﾟｰﾄﾅｰ(ｶ", 40),  # 口座名
            b"0",  # 貸越区分
            b"1",  # 通帳・証書区分
            n(1_000_000, 14),  # 取引前残高
            c("", 71),  # ダミー
        ]
    )
    assert len(record) == 200
    return record


def data(
    *, sequence: int, day: dt.date, amount: int, payer: str = "", memo: str = "", credit: bool = True
) -> bytes:
    record = b"".join(
        [
            b"2",  # データ区分
            n(sequence, 8),  # 照会番号
            n(era(day), 6),  # 勘定日
            n(era(day), 6),  # 預入・払出日
            b"1" if credit else b"2",  # 入払区分
            b"11",  # 取引区分 (振込)
            n(amount, 12),  # 取引金額
            n(0, 12),  # うち他店券金額
            n(0, 6),  # 交換呈示日
            n(0, 6),  # 不渡返還日
            b"0",  # 手形・小切手区分
            n(0, 7),  # 手形・小切手番号
            n(0, 3),  # 僚店番号
            n(0, 10),  # 振込依頼人コード
            c(payer, 48),  # 振込依頼人名又は契約者番号
            c("ﾐｽﾞﾎ" if credit else "", 15),  # 仕向銀行名
            c("ﾎﾝﾃﾝ" if credit else "", 15),  # 仕向店名
            c(memo, 20),  # 摘要内容
            c("", 20),  # EDI情報
            b" ",  # ダミー
        ]
    )
    assert len(record) == 200
    return record


def trailer(lines: list[dict]) -> bytes:
    credits = [x for x in lines if x.get("credit", True)]
    debits = [x for x in lines if not x.get("credit", True)]
    record = b"".join(
        [
            b"8",
            n(len(credits), 6),
            n(sum(x["amount"] for x in credits), 13),
            n(len(debits), 6),
            n(sum(x["amount"] for x in debits), 13),
            b"0",
            n(2_000_000, 14),
            n(len(lines), 7),
            c("", 139),
        ]
    )
    assert len(record) == 200
    return record


def zengin_file(lines: list[dict], *, start=None, end=None, newline: bytes = b"", **head) -> bytes:
    """A whole file: header, one data record per line (dicts of `data`'s arguments), trailer and end record."""
    days = [x["day"] for x in lines] or [dt.date(2026, 11, 2)]
    records = [header(start=start or min(days), end=end or max(days), **head)]
    records += [data(sequence=i, **x) for i, x in enumerate(lines, start=1)]
    records += [trailer(lines), b"9" + c("", 199)]
    return b"".join(record + newline for record in records)


def bank_csv(rows: list[tuple[str, str, str, str, str]], *, encoding: str = "cp932") -> bytes:
    """A bank's CSV: 日付, 入金額, 出金額, 振込依頼人, 摘要 with a heading row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["日付", "入金額", "出金額", "振込依頼人", "摘要"])
    writer.writerows(rows)
    return out.getvalue().encode(encoding)
