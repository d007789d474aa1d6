"""The import format of Yayoi Kaikei (弥生インポート形式), the accounting package most of the partner's
accountants use: the 25 fields of a journal line with the half-width places each holds, the cut of text by places,
and the writer of a journal entry (`portal.core.journals.model.Entry`) as one line. No header row; Shift_JIS only
(`portal.core.downloads.shift_jis_response`).

Yayoi documents the layout publicly: "仕訳データの項目と記述形式",
https://support.yayoi-kk.co.jp/subcontents.html?page_id=18545 . A text field's length counts half-width places: a
full-width character takes two, so text is cut by places (`cut_to_places`), never by characters, or Yayoi would
cut a long Japanese name again on import.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings

from portal.core.csv_export import neutralise
from portal.core.journals.model import Entry, tax_key

#: The 25 fields of a journal line as Yayoi's layout names them, with the half-width places each holds (None:
#: the layout gives none). https://support.yayoi-kk.co.jp/subcontents.html?page_id=18545
JOURNAL_LAYOUT: tuple[tuple[str, int | None], ...] = (
    ("識別フラグ", 4),
    ("伝票No.", 6),
    ("決算", 4),
    ("取引日付", 10),
    ("借方勘定科目", 24),
    ("借方補助科目", 24),
    ("借方部門", 24),
    ("借方税区分", None),
    ("借方金額", 11),
    ("借方税金額", 11),
    ("貸方勘定科目", 24),
    ("貸方補助科目", 24),
    ("貸方部門", 24),
    ("貸方税区分", None),
    ("貸方金額", 11),
    ("貸方税金額", 11),
    ("摘要", 64),
    ("番号", 10),
    ("期日", 10),
    ("タイプ", 1),
    ("生成元", 4),
    ("仕訳メモ", 180),
    ("付箋1", 1),
    ("付箋2", 1),
    ("調整", 3),
)


def half_width_places(text: str) -> int:
    """The places `text` takes in the layout: two for a character Shift_JIS writes in two bytes (full-width:
    kanji, kana, full-width letters), one for one written in one byte (ASCII, half-width katakana)."""
    return sum(_places(char) for char in text)


def _places(char: str) -> int:
    try:
        return len(char.encode("cp932"))
    except UnicodeEncodeError:
        return 2  # never written: the download names such a character instead (portal/core/downloads.py)


def cut_to_places(text: str, places: int) -> str:
    """The longest start of `text` that fits in `places` half-width places (a full-width character is never
    split)."""
    used = 0
    for index, char in enumerate(text):
        used += _places(char)
        if used > places:
            return text[:index]
    return text


def fitted(row: Sequence) -> list:
    """A journal line's 25 values as written: each text neutralised (a spreadsheet opening the file runs no
    formula), then cut to its field's places; numbers as they are."""
    return [_fit(value, places) for value, (_name, places) in zip(row, JOURNAL_LAYOUT, strict=True)]


def _fit(value, places: int | None):
    if not isinstance(value, str) or places is None:
        return value
    return cut_to_places(neutralise(value), places)


#: The layout's field names: the lost-characters page names a column by them (the file has no header row).
HEADER = tuple(name for name, _places in JOURNAL_LAYOUT)


def row(entry: Entry) -> list:
    """One journal line: identification flag 2000 (an entry that is not a slip), the accounts and tax categories
    by the names of `settings.YAYOI_NAMES`. Since the invoice system (October 2023) a purchase's tax category
    joins the invoice class (課対仕入内10%適格; 区分80% for an unregistered supplier's), as Yayoi's import
    restrictions describe the tax column: https://support.yayoi-kk.co.jp/faq_Subcontents.html?grade_id=Kaikei&page_id=27184
    """
    names = settings.YAYOI_NAMES
    debit, credit = entry.debit, entry.credit
    return fitted(
        [
            "2000",  # identification flag: a journal entry that is not a slip
            "",  # slip number
            "",  # closing (blank: an ordinary entry)
            entry.date.strftime("%Y/%m/%d"),  # transaction date
            names[debit.account.value],
            debit.sub_account,
            "",  # debit department
            names[tax_key(debit, entry)],
            entry.amount,  # tax included
            debit.tax_amount,
            names[credit.account.value],
            credit.sub_account,
            "",  # credit department
            names[tax_key(credit, entry)],
            entry.amount,
            credit.tax_amount,
            entry.description,
            "",  # number
            "",  # due date
            "0",  # type (0: journal entry)
            "",  # created by
            "",  # journal memo
            "",  # sticky note 1
            "",  # sticky note 2
            "no",  # adjustment
        ]
    )
