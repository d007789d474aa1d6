"""The journal writers checked field by field against each vendor's published layout, written out here from the
vendors' pages rather than taken from the code under test: Money Forward クラウド会計's 仕訳帳 import (「仕訳帳」を
インポートする, the 27 columns A to AA of its sample format) and freee会計's 取引 import (取引・口座振替のインポート,
the 21 columns of its sample file); the invoice class of a purchase on each side of 2026-10-01; the names as
settings; and the settings refusing a key no ledger has."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import ImproperlyConfigured

from portal import settings as project_settings
from portal.core.journals import freee, moneyforward, yayoi
from portal.core.journals.ledgers import LEDGERS
from portal.core.journals.model import purchase, sale

#: Money Forward's 仕訳帳 layout: (column, kind). Kinds: "number" (取引No: a whole number, lines of one
#: transaction share it), "date" (yyyy/mm/dd), "amount" (whole yen), "text", "invoice" (適格, 80%控除 or the
#: later transitional label, or blank), "blank" (the export's own columns and what the portal leaves empty).
MF_LAYOUT = [
    ("取引No", "number"),
    ("取引日", "date"),
    ("借方勘定科目", "text"),
    ("借方補助科目", "text"),
    ("借方部門", "blank"),
    ("借方取引先", "text"),
    ("借方税区分", "text"),
    ("借方インボイス", "invoice"),
    ("借方金額(円)", "amount"),
    ("借方税額", "amount"),
    ("貸方勘定科目", "text"),
    ("貸方補助科目", "text"),
    ("貸方部門", "blank"),
    ("貸方取引先", "text"),
    ("貸方税区分", "text"),
    ("貸方インボイス", "invoice"),
    ("貸方金額(円)", "amount"),
    ("貸方税額", "amount"),
    ("摘要", "text"),
    ("仕訳メモ", "blank"),
    ("タグ", "blank"),
    ("MF仕訳タイプ", "blank"),
    ("決算整理仕訳", "blank"),
    ("作成日時", "blank"),
    ("作成者", "blank"),
    ("最終更新日時", "blank"),
    ("最終更新者", "blank"),
]
#: freee's 取引 layout: (column, kind). "kind" is 収入 or 支出; "tax_method" 内税 (the amount includes the tax).
FREEE_LAYOUT = [
    ("収支区分", "kind"),
    ("管理番号", "text"),
    ("発生日", "date"),
    ("決済期日", "date_or_blank"),
    ("取引先コード", "blank"),
    ("取引先", "text"),
    ("勘定科目", "text"),
    ("税区分", "text"),
    ("金額", "amount"),
    ("税計算区分", "tax_method"),
    ("税額", "amount"),
    ("備考", "text"),
    ("品目", "blank"),
    ("部門", "blank"),
    ("メモタグ（複数指定可、カンマ区切り）", "blank"),
    ("セグメント1", "blank"),
    ("セグメント2", "blank"),
    ("セグメント3", "blank"),
    ("決済日", "blank"),
    ("決済口座", "blank"),
    ("決済金額", "blank"),
]
KINDS = {
    "number": re.compile(r"[1-9]\d*"),
    "date": re.compile(r"\d{4}/\d{2}/\d{2}"),
    "date_or_blank": re.compile(r"(\d{4}/\d{2}/\d{2})?"),
    "amount": re.compile(r"-?\d+"),
    "text": re.compile(r"[^\r\n]*"),
    "invoice": re.compile(r"(適格|80%控除|50%控除|70%控除)?"),
    "blank": re.compile(r""),
    "kind": re.compile(r"収入|支出"),
    "tax_method": re.compile(r"内税"),
}


def checked(layout, row) -> dict[str, str]:
    """A written row as the file holds it (every value as text), each field checked against the layout."""
    cells = ["" if value is None else str(value) for value in row]
    assert len(cells) == len(layout)
    for value, (name, kind) in zip(cells, layout, strict=True):
        assert KINDS[kind].fullmatch(value), (name, value)
    return {name: value for value, (name, _kind) in zip(cells, layout, strict=True)}


def _sale(rate=10, amount=11_000, tax=1_000, number=1):
    return sale(
        number=number,
        date=dt.date(2026, 11, 1),
        due=dt.date(2026, 12, 31),
        customer="アルファ株式会社",
        rate=rate,
        amount=amount,
        tax=tax,
        description="請求書No.12 2026年10月分 アルファ株式会社",
        reference="12",
    )


def _purchase(date=dt.date(2026, 11, 1), *, qualified=True, taxed=True):
    return purchase(
        number=1,
        date=date,
        supplier="LINE WORKS",
        amount=68_640 if taxed else 3_000,
        tax=6_240 if taxed else 0,
        taxed=taxed,
        qualified=qualified,
        description="LINE WORKS 利用料",
        reference="777",
    )


def test_the_headers_are_the_vendors_columns_in_their_order():
    assert list(moneyforward.HEADER) == [name for name, _kind in MF_LAYOUT]
    assert len(moneyforward.HEADER) == 27  # the sample format's columns A to AA
    assert list(freee.HEADER) == [name for name, _kind in FREEE_LAYOUT]
    assert LEDGERS["moneyforward"].header_row and LEDGERS["freee"].header_row
    assert not LEDGERS["yayoi"].header_row and LEDGERS["yayoi"].shift_jis_only


def test_a_sale_in_money_forward_s_layout_field_by_field():
    ten = checked(MF_LAYOUT, moneyforward.row(_sale()))
    assert (ten["取引No"], ten["取引日"]) == ("1", "2026/11/01")
    assert (ten["借方勘定科目"], ten["借方補助科目"], ten["借方取引先"]) == (
        "売掛金",
        "アルファ株式会社",
        "アルファ株式会社",
    )
    assert (ten["借方税区分"], ten["借方金額(円)"], ten["借方税額"]) == ("対象外", "11000", "0")
    assert (ten["貸方勘定科目"], ten["貸方税区分"], ten["貸方金額(円)"], ten["貸方税額"]) == (
        "売上高",
        "課税売上 10%",
        "11000",
        "1000",
    )
    assert ten["借方インボイス"] == ten["貸方インボイス"] == ""  # a sale has no invoice class
    eight = checked(MF_LAYOUT, moneyforward.row(_sale(rate=8, amount=5_999, tax=444)))
    assert (eight["貸方税区分"], eight["貸方税額"]) == ("課税売上 (軽)8%", "444")


def test_a_sale_in_freee_s_layout_field_by_field():
    ten = checked(FREEE_LAYOUT, freee.row(_sale()))
    assert (ten["収支区分"], ten["管理番号"], ten["発生日"], ten["決済期日"]) == (
        "収入",
        "12",
        "2026/11/01",
        "2026/12/31",
    )
    assert (ten["取引先"], ten["勘定科目"], ten["税区分"]) == ("アルファ株式会社", "売上高", "課税売上10%")
    assert (ten["金額"], ten["税計算区分"], ten["税額"]) == ("11000", "内税", "1000")
    assert checked(FREEE_LAYOUT, freee.row(_sale(rate=8, tax=444)))["税区分"] == "課税売上8%（軽）"


@pytest.mark.parametrize(
    ("date", "qualified", "mf", "freee_tax", "yayoi_tax"),
    [
        (dt.date(2026, 9, 1), True, "適格", "課対仕入10%", "課対仕入内10%適格"),
        (dt.date(2026, 11, 1), True, "適格", "課対仕入10%", "課対仕入内10%適格"),
        (dt.date(2026, 9, 30), False, "80%控除", "課対仕入（控80）10%", "課対仕入内10%区分80%"),
        (dt.date(2026, 10, 1), False, "50%控除", "課対仕入（控50）10%", "課対仕入内10%区分50%"),
    ],
)
def test_a_purchase_s_invoice_class_on_each_side_of_the_transitional_step(
    date, qualified, mf, freee_tax, yayoi_tax
):
    entry = _purchase(date, qualified=qualified)
    row = checked(MF_LAYOUT, moneyforward.row(entry))
    assert (row["借方勘定科目"], row["借方税区分"], row["借方インボイス"]) == ("仕入高", "課税仕入 10%", mf)
    assert (row["貸方勘定科目"], row["貸方補助科目"], row["貸方インボイス"]) == ("買掛金", "LINE WORKS", "")
    assert (row["借方金額(円)"], row["借方税額"], row["貸方税額"]) == ("68640", "6240", "0")
    deal = checked(FREEE_LAYOUT, freee.row(entry))
    assert (deal["収支区分"], deal["勘定科目"], deal["税区分"], deal["取引先"]) == (
        "支出",
        "仕入高",
        freee_tax,
        "LINE WORKS",
    )
    assert yayoi.row(entry)[7] == yayoi_tax  # 借方税区分


def test_a_purchase_outside_the_tax_has_no_invoice_class():
    entry = _purchase(taxed=False, qualified=False)
    row = checked(MF_LAYOUT, moneyforward.row(entry))
    assert (row["借方税区分"], row["借方インボイス"], row["借方税額"]) == ("対象外", "", "0")
    assert checked(FREEE_LAYOUT, freee.row(entry))["税区分"] == "対象外"


def test_the_names_and_the_later_transitional_label_are_settings(settings):
    settings.MONEYFORWARD_NAMES = {
        **settings.MONEYFORWARD_NAMES,
        "invoice_transitional_late": "70%控除",
        "purchases": "仕入高（クラウド）",
    }
    settings.FREEE_NAMES = {
        **settings.FREEE_NAMES,
        "tax_purchase_10_transitional_late": "課対仕入（控70）10%",
    }
    row = checked(MF_LAYOUT, moneyforward.row(_purchase(qualified=False)))
    assert (row["借方勘定科目"], row["借方インボイス"]) == ("仕入高（クラウド）", "70%控除")
    # Before 2026-10-01 the deduction is 80 % whatever the later label.
    assert (
        checked(MF_LAYOUT, moneyforward.row(_purchase(dt.date(2026, 9, 1), qualified=False)))[
            "借方インボイス"
        ]
        == "80%控除"
    )
    assert freee.row(_purchase(qualified=False))[7] == "課対仕入（控70）10%"


def test_the_names_settings_read_key_name_pairs_and_refuse_an_unknown_key(monkeypatch):
    monkeypatch.setenv("FREEE_NAMES", " sales = 売上高（サービス）, tax_outside=不課税")
    names = project_settings._journal_names("freee")
    assert (names["sales"], names["tax_outside"], names["purchases"]) == (
        "売上高（サービス）",
        "不課税",
        "仕入高",
    )
    monkeypatch.setenv("FREEE_NAMES", "receivable=売掛金")  # freee books the receivable itself: no such name
    with pytest.raises(ImproperlyConfigured, match="FREEE_NAMES names no such key: receivable"):
        project_settings._journal_names("freee")


def test_a_credit_note_reverses_the_sale_with_amounts_without_a_sign():
    note = _sale(amount=-2_200, tax=-200)
    row = checked(MF_LAYOUT, moneyforward.row(note))
    assert (row["借方勘定科目"], row["借方税区分"], row["借方金額(円)"], row["借方税額"]) == (
        "売上高",
        "課税売上 10%",
        "2200",
        "200",
    )
    assert (row["貸方勘定科目"], row["貸方補助科目"], row["貸方税区分"], row["貸方税額"]) == (
        "売掛金",
        "アルファ株式会社",
        "対象外",
        "0",
    )
    yayoi_row = yayoi.row(note)
    assert (yayoi_row[4], yayoi_row[7], yayoi_row[8], yayoi_row[9]) == ("売上高", "課税売上内10%", 2_200, 200)
    assert (yayoi_row[10], yayoi_row[11], yayoi_row[14], yayoi_row[15]) == (
        "売掛金",
        "アルファ株式会社",
        2_200,
        0,
    )
    deal = checked(FREEE_LAYOUT, freee.row(note))
    assert (deal["収支区分"], deal["勘定科目"], deal["税区分"], deal["金額"], deal["税額"]) == (
        "収入",
        "売上高",
        "課税売上10%",
        "-2200",
        "-200",
    )
