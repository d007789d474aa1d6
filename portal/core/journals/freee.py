"""The transaction import of freee会計 (取引インポート): the writer of a journal entry
(`portal.core.journals.model.Entry`) as one transaction (取引) of its 21-column layout.

Followed: freee's help centre, 「取引・口座振替のインポート(一括登録)」
(https://support.freee.co.jp/hc/ja/articles/202847320): its table of columns and conditions and the sample file
attached to it, whose first row independent importers reproduce as `HEADER`. In short:

- a first row of column names (kept as the sample has it: the page asks not to delete it), then one transaction a
  line, in `HEADER`'s columns;
- 収支区分 (収入 or 支出) and 発生日 are required; dates are written yyyy/mm/dd (発生日, 決済期日);
- a transaction names one account, the revenue of a sale (売上高) or the cost of a purchase (仕入高); freee books
  the other side itself: left unsettled (no 決済日, 決済口座, 決済金額), it is a receivable due on 決済期日, or a
  payable;
- 勘定科目, 税区分 and 取引先 are matched by name against the ledger's masters (`settings.FREEE_NAMES`); freee's
  purchase categories carry the invoice class (課対仕入10% for a qualified invoice, 課対仕入（控80）10% under the
  transitional deduction);
- 金額 includes the tax (税計算区分 内税), the tax in 税額;
- the sample is UTF-8 with a byte-order mark, the portal's default; the Shift_JIS file is offered beside it for
  those whose spreadsheet program writes that (freee's own exports offer both encodings).

A credit note is income of a negative amount (and tax) against its customer, so that it reduces the receivable
the invoice left (the transaction's sides are freee's to book). A document with lines at two rates is two transactions with the same 管理番号 (its number): each line of the file
stands on its own.
"""

from __future__ import annotations

from django.conf import settings

from portal.core.journals.model import Entry, Kind, tax_key

HEADER = (
    "収支区分",
    "管理番号",
    "発生日",
    "決済期日",
    "取引先コード",
    "取引先",
    "勘定科目",
    "税区分",
    "金額",
    "税計算区分",
    "税額",
    "備考",
    "品目",
    "部門",
    "メモタグ（複数指定可、カンマ区切り）",
    "セグメント1",
    "セグメント2",
    "セグメント3",
    "決済日",
    "決済口座",
    "決済金額",
)


def row(entry: Entry) -> list:
    """One transaction of the layout (see the module docstring), left unsettled."""
    names = settings.FREEE_NAMES
    taxed = entry.taxed
    sign = -1 if entry.reversal else 1  # a credit note: income less by its amount
    return [
        "収入" if entry.kind == Kind.SALE else "支出",
        entry.reference,
        entry.date.strftime("%Y/%m/%d"),
        entry.due.strftime("%Y/%m/%d") if entry.due else "",
        "",  # counterparty's code (the name is matched)
        entry.counterparty,
        names[taxed.account.value],
        names[tax_key(taxed, entry)],
        sign * entry.amount,
        "内税",  # the amount includes the tax
        sign * taxed.tax_amount,
        entry.description,
        "",  # item
        "",  # department
        "",  # memo tags
        "",  # segments 1 to 3
        "",
        "",
        "",  # settled on, from which account, how much: unsettled
        "",
        "",
    ]
