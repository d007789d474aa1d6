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


# --- names as a Zengin file writes them --------------------------------------------------------------------

#: The characters a Zengin record's text fields may hold (全銀協 standard: JIS X 0201 without small kana): digits,
#: upper-case Latin letters, half-width katakana with their voicing marks, the space and a few signs.
ZENGIN_CHARS = frozenset(
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝﾞﾟ ().,-/\\｢｣"
)
_SMALL_HALF = str.maketrans("ｧｨｩｪｫｯｬｭｮ", "ｱｲｳｴｵﾂﾔﾕﾖ")
#: Full-width (and small) signs as the Zengin set writes them: the long vowel and dashes as "-", the yen sign as
#: the backslash JIS X 0201 prints as ¥, Japanese brackets and the middle dot.
_SIGNS = str.maketrans(
    {"ー": "-", "ｰ": "-", "‐": "-", "－": "-", "−": "-", "―": "-", "¥": "\\", "￥": "\\", "・": ".", "･": "."}
)


def _half_width_kana(text: str) -> str:
    """Full-width katakana (and hiragana) to half-width, a voiced kana as its base and ﾞ or ﾟ."""
    out = []
    for ch in text:
        if "ぁ" <= ch <= "ゖ":
            ch = chr(ord(ch) + 0x60)
        if "ァ" <= ch <= "ヺ" or ch in "゛゜「」、。":
            decomposed = unicodedata.normalize("NFD", ch)
            base, marks = decomposed[0], decomposed[1:]
            half = _HALF.get(base, base)
            half += "".join({"\u3099": "ﾞ", "\u309a": "ﾟ"}.get(m, m) for m in marks)
            out.append(half)
        else:
            out.append(ch)
    return "".join(out)


def _half_table() -> dict[str, str]:
    """Each full-width katakana (and 「」、。゛゜) to its half-width form, from Unicode's own compatibility mapping."""
    table = {}
    for code in range(0xFF61, 0xFFA0):
        half = chr(code)
        full = unicodedata.normalize("NFKC", half)
        if len(full) == 1:
            table.setdefault(full, half)
    table["ヴ"] = "ｳﾞ"
    table["ヰ"], table["ヱ"], table["ヮ"], table["ヵ"], table["ヶ"] = "ｲ", "ｴ", "ﾜ", "ｶ", "ｹ"
    return table


_HALF = _half_table()


def zengin_name(name: str) -> str:
    """A name as a Zengin record writes it: full-width kana and letters made half-width, letters in upper case,
    small kana full size, the long vowel and dashes as "-", runs of spaces as one. What is left may still hold
    characters the set lacks (kanji): `zengin_refused` says which."""
    text = "".join(
        unicodedata.normalize("NFKC", ch) if "！" <= ch <= "～" or ch == "　" else ch for ch in name or ""
    )
    text = _half_width_kana(text.translate(_SIGNS)).upper()
    text = text.translate(_SMALL_HALF).translate(_SIGNS)
    text = text.replace("（", "(").replace("）", ")")
    return " ".join(text.split())


def zengin_refused(text: str) -> list[str]:
    """The characters of `text` a Zengin record cannot hold, each once, in order."""
    return list(dict.fromkeys(ch for ch in text if ch not in ZENGIN_CHARS))
