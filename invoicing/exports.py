"""The sales journal of the month's issued invoices, written for Yayoi Kaikei, Money Forward クラウド会計 or
freee会計 by `portal.core.journals` (each ledger's layout, encoding and names are there), like the purchase journal
of LINE WORKS' invoice (billing/exports.py).

One entry per document and tax rate: accounts receivable (the customer as its sub-account, or freee's
counterparty) against sales, tax included, the tax of that rate on the sales side, dated the document's date,
due on its due date. The amounts are the document's as issued (its totals per rate, tax rounded once per document
and rate), so the journal's totals per rate are the documents' totals per rate; a credit note's are negative, as
it is. The entries of one document share its number (Money Forward joins them into one transaction).
"""

from __future__ import annotations

from collections.abc import Iterator

from invoicing.models import IssuedInvoice
from invoicing.permissions import VIEW_INVOICING
from portal.core.access import check
from portal.core.journals.model import Entry, sale


def sales_journal_entries(*, user, year: int, month: int) -> list[Entry] | None:
    """The month's issued documents as journal entries; None when none is issued."""
    check(user, VIEW_INVOICING)
    invoices = list(IssuedInvoice.objects.filter(year=year, month=month).order_by("number"))
    if not invoices:
        return None
    return list(_sales(invoices))


def _sales(invoices: list[IssuedInvoice]) -> Iterator[Entry]:
    for number, invoice in enumerate(invoices, start=1):
        customer = (invoice.recipient or {}).get("bill_to_name") or invoice.customer_name
        description = f"請求書No.{invoice.number} {invoice.year}年{invoice.month}月分 {customer}"
        for total in invoice.per_rate:
            gross = total["amount"] + total["tax"]
            if not gross:
                continue
            yield sale(
                number=number,
                date=invoice.issue_date,
                due=invoice.due_date,
                customer=customer,
                rate=total["rate"],
                amount=gross,
                tax=total["tax"],
                description=description,
                reference=str(invoice.number),
            )
