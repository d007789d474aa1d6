"""The sales journal of the month's issued invoices for Yayoi Kaikei: the same import layout, tax categories and
cut by half-width places as the purchase journal of LINE WORKS' invoice (billing/exports.py), both from
`portal.core.yayoi`, downloaded as Shift_JIS by `portal.core.downloads.shift_jis_response`.

One line per invoice and tax rate: accounts receivable (売掛金, the customer as its sub-account) against sales
(売上高), tax included, the tax of that rate in the credit's tax column (`yayoi.TAX_SALES`), dated the invoice's
date. The amounts are the invoice's as issued (its totals per rate, tax rounded once per invoice and rate), so the
journal's totals per rate are the invoices' totals per rate.
"""

from __future__ import annotations

from collections.abc import Iterator

from invoicing.models import IssuedInvoice
from invoicing.permissions import VIEW_INVOICING
from portal.core.access import check
from portal.core.downloads import Table
from portal.core.yayoi import JOURNAL_LAYOUT, TAX_OUTSIDE, TAX_SALES, fitted


def sales_journal_table(*, user, year: int, month: int) -> Table | None:
    """The month's issued invoices as journal entries in Yayoi's layout; None when none is issued."""
    check(user, VIEW_INVOICING)
    invoices = list(IssuedInvoice.objects.filter(year=year, month=month).order_by("number"))
    if not invoices:
        return None
    return Table(
        header=[name for name, _places in JOURNAL_LAYOUT], rows=_sales_rows(invoices), header_row=False
    )


def _sales_rows(invoices: list[IssuedInvoice]) -> Iterator[list]:
    for invoice in invoices:
        customer = (invoice.recipient or {}).get("bill_to_name") or invoice.customer_name
        memo = f"請求書No.{invoice.number} {invoice.year}年{invoice.month}月分 {customer}"
        for total in invoice.per_rate:
            gross = total["amount"] + total["tax"]
            if not gross:
                continue
            yield fitted(
                [
                    "2000",  # identification flag: a journal entry that is not a slip
                    "",  # slip number
                    "",  # closing (blank: an ordinary entry)
                    invoice.issue_date.strftime("%Y/%m/%d"),  # transaction date: the invoice's date
                    "売掛金",  # debit account
                    customer,  # debit sub-account: the customer billed
                    "",  # debit department
                    TAX_OUTSIDE,  # debit tax category
                    gross,  # debit amount, tax included
                    0,  # debit tax amount
                    "売上高",  # credit account
                    "",  # credit sub-account
                    "",  # credit department
                    TAX_SALES.get(total["rate"], TAX_OUTSIDE),  # credit tax category: sales at the rate
                    gross,  # credit amount, tax included
                    total["tax"],  # credit tax amount, as the invoice rounded it
                    memo,  # description
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
