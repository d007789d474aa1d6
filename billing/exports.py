"""Exports for accounting: the re-billing statement of a month and the month's invoice as a
journal for the accounting packages.

The statement is a `portal.core.downloads.Table`: people download it as the workbook or a CSV in UTF-8 or
Shift_JIS like every list. Every cell goes through `portal.core.csv_export` or `portal.core.workbook` (text
that a spreadsheet would run as a formula is neutralised there); amounts are integer yen.

**Tax rule of the re-billing statement**: consumption tax is computed once per customer's statement, on the sum
of its amounts at the rate (10 %), rounded down to the yen (`billing.rules.tax_once`), never per line.

**Journal**: the month's invoice as journal entries (`journal_entries`), written for Yayoi Kaikei, Money Forward
クラウド会計 or freee会計 by `portal.core.journals` (each ledger's layout, encoding and names are there). The
accounts-payable sub-account (freee: the counterparty) is the supplier whose invoice it is (LINE WORKS, the
`YAYOI_SUPPLIER_NAME` setting), not the partner named on the invoice, which is the portal's own company.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from billing import estimate, rules
from billing.margins import charged, priced_item_rows
from billing.models import Invoice
from billing.permissions import VIEW_BILLING
from billing.prices import PriceBook
from portal.core import kept
from portal.core.access import check
from portal.core.downloads import Table
from portal.core.journals.model import Entry, purchase
from portal.core.vocabulary import ItemType, Plan, billed_item_name, code_column, names

STATEMENT_TAX_RATE = 10


def statement_rows(year: int, month: int) -> Iterator[list]:
    """The statement's rows: each item by name (its product or option and plan also as codes, for machines),
    with each customer's subtotal, tax and total; names in the active language."""
    book = PriceBook.load()
    types, plans = names(ItemType), names(Plan)
    current, subtotal, name, code = None, 0, "", ""

    def closing() -> list[list]:
        tax = rules.tax_once(subtotal, STATEMENT_TAX_RATE)
        blank = [""] * 8  # product or option and plan (each also as a code), from, until, units, unit price
        return [
            [current, name, code, _("Subtotal"), *blank, subtotal],
            [current, name, code, _("Consumption tax 10% (once per statement, rounded down)"), *blank, tax],
            [current, name, code, _("Total"), *blank, subtotal + tax],
        ]

    for item in priced_item_rows(year, month).iterator(chunk_size=2000):
        if item["domain_id"] != current:
            if current is not None:
                yield from closing()
            current, subtotal = item["domain_id"], 0
            name, code = item["customer_name"], item["customer_code"]
        unit_price, units, amount = charged(item, book, year, month)
        subtotal += amount
        yield [
            current,
            name,
            code,
            types.get(item["item_type"], item["item_type"]),
            # A sub option by its name, which names its option too ("Drive Plus (for Standard)"), and its code.
            billed_item_name(item["item_type"], item["item_id"], item["sub_item_id"]),
            item["sub_item_id"] or item["item_id"],
            plans.get(item["plan"], item["plan"]),
            item["plan"],
            item["start_date"],
            item["end_date"],
            units,
            unit_price,
            amount,
        ]
    if current is not None:
        yield from closing()


STATEMENT_HEADER = (
    gettext_lazy("Domain ID"),
    gettext_lazy("Company"),
    gettext_lazy("Customer code"),
    gettext_lazy("Item type"),
    gettext_lazy("Product or option"),
    code_column(gettext_lazy("Product or option")),
    gettext_lazy("Plan"),
    code_column(gettext_lazy("Plan")),
    gettext_lazy("From"),
    gettext_lazy("Until"),
    gettext_lazy("Units"),
    gettext_lazy("Unit price (JPY a month)"),
    gettext_lazy("Amount (JPY)"),
)


def statement_table(*, user, year: int, month: int) -> Table:
    """The re-billing statement of a month, every customer one after another, as a downloadable table."""
    check(user, VIEW_BILLING)
    return Table(header=STATEMENT_HEADER, rows=statement_rows(year, month))


# --- the purchase journal, for the accounting packages (portal/core/journals/) -------------------------------


def journal_entries(*, user, year: int, month: int) -> list[Entry] | None:
    """The month's invoice as journal entries (written for a ledger by `portal.core.journals`), or None when the
    month has no invoice."""
    check(user, VIEW_BILLING)
    invoice = Invoice.objects.filter(year=year, month=month).first()
    if invoice is None:
        return None
    return list(_purchases(invoice))


def _purchases(invoice: Invoice) -> Iterator[Entry]:
    """Purchases (仕入高) against accounts payable (買掛金) to the supplier: one line for the usage, one for
    Option Plus, one for penalties (outside the tax's scope), each tax-included, all of one document."""
    # The invoice is issued on the 1st of the month after the usage month (business time zone).
    issued = rules.month_bounds(invoice.year, invoice.month)[1] + dt.timedelta(days=1)
    month_text = f"{invoice.year}年{invoice.month}月分"
    lines = [
        ("LINE WORKS 利用料 " + month_text, invoice.used_amount, invoice.used_tax_amount, True),
        (
            "LINE WORKS Option Plus " + month_text,
            invoice.option_plus_amount,
            invoice.option_plus_tax_amount,
            True,
        ),
        ("LINE WORKS 違約金 " + month_text, invoice.penalty_amount, 0, False),
    ]
    for description, amount, tax, taxed in lines:
        if not amount:
            continue
        yield purchase(
            number=1,
            date=issued,
            supplier=settings.YAYOI_SUPPLIER_NAME,
            amount=amount + tax,
            tax=tax,
            taxed=taxed,
            qualified=settings.JOURNAL_SUPPLIER_QUALIFIED,
            description=description,
            reference=str(invoice.invoice_no or ""),
        )


# --- the estimate --------------------------------------------------------------------------------------------

ESTIMATE_HEADER = (
    gettext_lazy("Company"),
    gettext_lazy("Product or option"),
    gettext_lazy("Plan"),
    gettext_lazy("Units"),
    gettext_lazy("From"),
    gettext_lazy("Until"),
    gettext_lazy("Cost from LINE WORKS (JPY)"),
    gettext_lazy("Price to the customer (JPY)"),
    gettext_lazy("Price book"),
    gettext_lazy("Domain ID"),
    gettext_lazy("Domain"),
    gettext_lazy("Customer code"),
    code_column(gettext_lazy("Product or option")),
    code_column(gettext_lazy("Plan")),
)


def estimate_rows(result: estimate.Estimate) -> Iterator[list]:
    """One row per period of each customer's estimate, by name (codes in the last columns); a period the price
    book has no price for has no amounts and says so."""
    plans = names(Plan)
    unpriced = _("No price")
    for customer in result.customers:
        for line in customer.lines:
            yield [
                customer.company_name,
                line.name,
                plans.get(line.plan, line.plan),
                line.units,
                line.start,
                line.end,
                line.cost,
                line.price,
                "" if line.known else unpriced,
                customer.domain_id,
                customer.domain,
                customer.customer_code,
                line.sub_item_id or line.item_id,
                line.plan,
            ]


#: How many customers' estimates the download reads at a time (`estimate_table`).
ESTIMATE_BATCH = 1000


def estimate_table(*, user, year: int, month: int) -> Table:
    """The month's estimate of every customer, period by period, as a downloadable table: as kept (a month
    behind is queued for the worker, `portal.core.kept`)."""
    check(user, VIEW_BILLING)
    kept.ask(estimate.KEPT, year, month)
    batches = estimate.kept_estimate_batches(year=year, month=month, size=ESTIMATE_BATCH)
    return Table(header=ESTIMATE_HEADER, rows=(row for batch in batches for row in estimate_rows(batch)))
