"""Payer names as a bank writes them, normalised so that the same payer compares equal however it was typed:
half-width katakana to full-width, hiragana to katakana, small kana to their full size (banks' half-width kana
often lack them), long-vowel marks and dashes as one, Latin letters in upper case, the legal form left out
(株式会社, カブシキガイシャ, the bank's abbreviations such as カ) and (カ), spaces and punctuation left out."""

from __future__ import annotations

import re
import unicodedata

SMALL = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")
DASHES = str.maketrans({"-": "ー", "‐": "ー", "−": "ー", "―": "ー", "─": "ー", "ｰ": "ー"})
#: Legal forms written out, in kanji or in kana.
FORMS = (
    "株式会社",
    "有限会社",
    "合同会社",
    "合名会社",
    "合資会社",
    "カブシキガイシヤ",
    "カブシキカイシヤ",
    "ユウゲンガイシヤ",
    "ユウゲンカイシヤ",
    "ゴウドウガイシヤ",
    "ゴウドウカイシヤ",
    "(株)",
    "(有)",
    "(同)",
)
#: The banks' abbreviations of a legal form (カ: 株式会社, ユ: 有限会社, ド: 合同会社, ...), written before the name
#: as カ) or after it as (カ, or in the middle as (カ).
ABBREVIATIONS = ("カ", "ユ", "ド", "メ", "シ", "ザイ", "シヤ", "イ", "ガク", "トク")
_ABBREVIATION = "|".join(ABBREVIATIONS)
_LEADING = re.compile(rf"^\(?(?:{_ABBREVIATION})\)")
_TRAILING = re.compile(rf"\((?:{_ABBREVIATION})\)?$")
_MIDDLE = re.compile(rf"\((?:{_ABBREVIATION})\)")
_DROPPED = re.compile(r"[\s・.,、。「」()\"'/]")


def normalised(name: str) -> str:
    """The payer's name as compared: "ｶ)ﾔﾏﾀﾞｼｮｳｼﾞ" and "山田商事"'s transfer name "ヤマダショウジ（カ" alike give
    "ヤマダシヨウジ"."""
    text = unicodedata.normalize("NFKC", name or "").upper()
    text = "".join(chr(ord(ch) + 0x60) if "ぁ" <= ch <= "ゖ" else ch for ch in text)
    text = text.translate(SMALL).translate(DASHES).replace("㈱", "(株)").replace("㈲", "(有)")
    text = re.sub(r"\s+", "", text)
    for form in FORMS:
        text = text.replace(form, "")
    text = _LEADING.sub("", text)
    text = _TRAILING.sub("", text)
    text = _MIDDLE.sub("", text)
    return _DROPPED.sub("", text)
