"""The journal import of Money Forward クラウド会計 (仕訳帳インポート): the writer of a journal entry
(`portal.core.journals.model.Entry`) as one line of its 27-column layout.

Followed: Money Forward's support guide of the 仕訳帳 import (「仕訳帳」をインポートする,
https://biz.moneyforward.com/support/tax-return/guide/import-books/ib01.html, for クラウド会計 and 確定申告 users),
the guide of クラウド会計Plus's import of the same template (https://biz.moneyforward.com/support/ac-plus/guide/journal2/import2.html:
the first row, columns A to AA, is not to be edited), and, for the column names, the sample format's first row as
independent importers reproduce it (the guides show it as a picture). In short:

- the file is the sample format's: a first row of column names, left as it is, then one line per journal line, in
  the columns A to AA named in `HEADER`; the guide offers the template in the character code of the user's
  environment (Shift_JIS for Windows' Excel, UTF-8), so the portal offers both (Shift_JIS first on the pages);
- 取引No, 取引日, the accounts and the amounts are required; lines with the same 取引No and 取引日 whose debits
  and credits balance are imported as one compound entry, so the lines of one document share its number;
- account, sub-account, tax category and department must be named exactly as the ledger's masters name them
  (`settings.MONEYFORWARD_NAMES`);
- 取引日 is written yyyy/mm/dd; amounts in yen include the tax, the tax in its own column;
- 借方インボイス / 貸方インボイス, the invoice class of a purchase: 適格 for a qualified invoice, 80%控除 for an
  unregistered supplier's up to 2026-09-30; blank leaves Money Forward to derive 適格 from the tax category (as
  the guide's section on the column says, quoted at https://the-board.jp/blogs/news_partner_and_invoice_field_for_mf/). The
  label after 2026-09-30 is a setting (`invoice_transitional_late`, 50%控除 by default): the rate then is 50 %
  as the law first set it, and the 2026 tax reform's proposals speak of 70 %, so the portal does not guess;
- the last columns (作成日時 ... 最終更新者) are the export's and stay blank on import.
"""

from __future__ import annotations

from django.conf import settings

from portal.core.journals.model import Entry, InvoiceClass, Side

HEADER = (
    "取引No",
    "取引日",
    "借方勘定科目",
    "借方補助科目",
    "借方部門",
    "借方取引先",
    "借方税区分",
    "借方インボイス",
    "借方金額(円)",
    "借方税額",
    "貸方勘定科目",
    "貸方補助科目",
    "貸方部門",
    "貸方取引先",
    "貸方税区分",
    "貸方インボイス",
    "貸方金額(円)",
    "貸方税額",
    "摘要",
    "仕訳メモ",
    "タグ",
    "MF仕訳タイプ",
    "決算整理仕訳",
    "作成日時",
    "作成者",
    "最終更新日時",
    "最終更新者",
)


def row(entry: Entry) -> list:
    """One line of the layout (see the module docstring); the counterparty on both sides (取引先)."""
    return [
        entry.number,
        entry.date.strftime("%Y/%m/%d"),
        *_side(entry.debit, entry),
        *_side(entry.credit, entry),
        entry.description,
        "",  # journal memo
        "",  # tags
        "",  # Money Forward's journal type (its own entries')
        "",  # closing adjustment (blank: an ordinary entry)
        "",  # created at, by; last updated at, by: the export's
        "",
        "",
        "",
    ]


def _side(side: Side, entry: Entry) -> list:
    names = settings.MONEYFORWARD_NAMES
    return [
        names[side.account.value],
        side.sub_account,
        "",  # department
        entry.counterparty,
        names[f"tax_{side.tax.value}"],
        invoice_label(entry) if side is entry.taxed else "",
        entry.amount,  # tax included
        side.tax_amount,
    ]


def invoice_label(entry: Entry) -> str:
    """The invoice column of the entry's taxed side: 適格, the transitional deduction's label of the entry's
    date, or blank (a sale; a purchase outside the tax)."""
    names = settings.MONEYFORWARD_NAMES
    if entry.invoice_class == InvoiceClass.QUALIFIED:
        return names["invoice_qualified"]
    if entry.invoice_class == InvoiceClass.TRANSITIONAL:
        return names["invoice_transitional_late" if entry.transitional_late else "invoice_transitional"]
    return ""
