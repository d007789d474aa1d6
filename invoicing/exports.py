"""Exports of the partner's invoices to its customers: the month's sales journal, and a customer's statement of
account as a workbook or CSV (its PDF: `invoicing.document.statement_pdf`).

The sales journal of the month's issued invoices is written for Yayoi Kaikei, Money Forward クラウド会計 or
freee会計 by `portal.core.journals` (each ledger's layout, encoding and names are there), like the purchase journal
of LINE WORKS' invoice (billing/exports.py).

One entry per document and tax rate: accounts receivable (the customer as its sub-account, or freee's
counterparty) against sales, tax included, the tax of that rate on the sales side, dated the document's date,
due on its due date. The amounts are the document's as issued (its totals per rate, tax rounded once per document
and rate), so the journal's totals per rate are the documents' totals per rate; a credit note's entries reverse
the sale (sales debited, the receivable credited). The entries of one document share its number (Money Forward
joins them into one transaction).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from invoicing.models import IssuedInvoice
from invoicing.permissions import VIEW_INVOICING
from invoicing.selectors.statements import Statement, statement_kind_label
from portal.core.access import check
from portal.core.downloads import Table
from portal.core.journals.model import Entry, sale

#: What a journal entry reads of an issued document (`_sales`): not its lines, issuer or PDF.
JOURNAL_FIELDS = (
    "number",
    "year",
    "month",
    "customer_name",
    "recipient",
    "issue_date",
    "due_date",
    "per_rate",
)
#: How many documents the journal reads at a time (PostgreSQL: a server-side cursor's batch).
JOURNAL_BATCH = 2000


def sales_journal_entries(*, user, year: int, month: int) -> Iterator[Entry] | None:
    """The month's issued documents as journal entries, read as they are written (`JOURNAL_FIELDS`, a batch
    at a time): a month of a large partner's is tens of thousands of documents, each with its lines, which a
    list of whole rows held at once; None when none is issued."""
    check(user, VIEW_INVOICING)
    issued = IssuedInvoice.objects.filter(year=year, month=month)
    if not issued.exists():
        return None
    return _sales(issued.order_by("number").only(*JOURNAL_FIELDS).iterator(chunk_size=JOURNAL_BATCH))


def _sales(invoices: Iterable[IssuedInvoice]) -> Iterator[Entry]:
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


# --- a customer's statement of account (invoicing/selectors/statements.py) -----------------------------------

STATEMENT_HEADER = (
    gettext_lazy("Date"),
    gettext_lazy("Document"),
    gettext_lazy("Number"),
    gettext_lazy("Invoiced (JPY)"),
    gettext_lazy("Credited (JPY)"),
    gettext_lazy("Received (JPY)"),
    gettext_lazy("Balance (JPY)"),
)


def statement_table(statement: Statement) -> Table:
    """The statement as a downloadable table: the balance brought forward, a row per invoice, credit note and
    payment with the balance after it, and the period's totals with the balance at its end."""
    rows: list[list] = [
        [statement.start, _("Balance brought forward"), "", None, None, None, statement.opening]
    ]
    for line in statement.lines:
        rows.append(
            [
                line.date,
                statement_kind_label(line.kind),
                line.written,
                line.charged or None,
                line.credited or None,
                line.received or None,
                line.balance,
            ]
        )
    rows.append(
        [
            statement.end,
            _("Balance at the end of the period"),
            "",
            statement.charged,
            statement.credited,
            statement.received,
            statement.closing,
        ]
    )
    return Table(header=STATEMENT_HEADER, rows=rows)
