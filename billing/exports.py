"""Exports for accounting: the re-billing statement of a month, the margins, and the month's invoice as a
journal import of an accounting package.

Every cell goes through `portal.core.csv_export` (text that a spreadsheet would run as a formula is
neutralised there); amounts are integer yen.

**Tax rule of the re-billing statement**: consumption tax is computed once per customer's statement, on the sum
of its amounts at the rate (10 %), rounded down to the yen (`billing.rules.tax_once`), never per line.

**Accounting package format**: the journal is written in the *Yayoi import format* (弥生インポート形式) of
Yayoi Kaikei (弥生会計), whose 25 columns are documented publicly by Yayoi Co., Ltd. on its support site:
"仕訳データの項目と記述形式", https://support.yayoi-kk.co.jp/subcontents.html?page_id=18545 . One line per
journal entry without a header row, identification flag 2000 (an entry that is not a slip), Shift_JIS (cp932),
tax-included amounts with the tax in its own column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _

from billing import rules
from billing.models import Invoice, InvoiceItem
from billing.permissions import VIEW_BILLING
from billing.services import PriceBook
from portal.core.access import check
from portal.core.csv_export import csv_body, csv_response, csv_rows

STATEMENT_TAX_RATE = 10
CHARGED_TYPES = ("PRODUCT", "OPTION_PRODUCT", "OPTION_PLUS", "ADJUSTMENT", "PENALTY")


def _items(year: int, month: int):
    return (
        InvoiceItem.objects.filter(year=year, month=month, item_type__in=CHARGED_TYPES)
        .order_by("customer_name", "domain_id", "type_order", "position")
        .values(
            "domain_id",
            "customer_name",
            "customer_code",
            "item_type",
            "item_id",
            "plan",
            "start_date",
            "end_date",
            "license_count",
            "member_count",
            "quantity",
            "amount",
        )
    )


def _charged(item: dict, book: PriceBook, year: int, month: int) -> tuple[int | None, int, int | None]:
    """(unit price or None, units, amount charged to the customer): the price book's price prorated to the
    item's days; without a price in the book, the amount billed by the vendor is passed on."""
    first, last = rules.month_bounds(year, month)
    units = rules.units(
        plan=item["plan"],
        license_count=item["license_count"],
        member_count=item["member_count"],
        quantity=item["quantity"],
    )
    entry = book.entry(item["item_id"], item["plan"], item["domain_id"], item["start_date"] or first)
    if entry is None:
        return None, units, item["amount"] or 0
    amount = rules.prorated(
        entry.price * units, item["start_date"] or first, item["end_date"] or last, year, month
    )
    return entry.price, units, amount


def statement_rows(year: int, month: int) -> Iterator[list]:
    book = PriceBook.load()
    current, subtotal, name, code = None, 0, "", ""

    def closing() -> list[list]:
        tax = rules.tax_once(subtotal, STATEMENT_TAX_RATE)
        return [
            [current, name, code, _("Subtotal"), "", "", "", "", "", "", subtotal],
            [
                current,
                name,
                code,
                _("Consumption tax 10% (once per statement, rounded down)"),
                "",
                "",
                "",
                "",
                "",
                "",
                tax,
            ],
            [current, name, code, _("Total"), "", "", "", "", "", "", subtotal + tax],
        ]

    for item in _items(year, month).iterator(chunk_size=2000):
        if item["domain_id"] != current:
            if current is not None:
                yield from closing()
            current, subtotal = item["domain_id"], 0
            name, code = item["customer_name"], item["customer_code"]
        unit_price, units, amount = _charged(item, book, year, month)
        subtotal += amount
        yield [
            current,
            name,
            code,
            item["item_type"],
            item["item_id"],
            item["plan"],
            item["start_date"],
            item["end_date"],
            units,
            unit_price,
            amount,
        ]
    if current is not None:
        yield from closing()


def statement_response(*, user, year: int, month: int, encoding: str) -> StreamingHttpResponse:
    """The re-billing statement of a month, every customer one after another, in UTF-8 (BOM) or cp932."""
    check(user, VIEW_BILLING)
    header = [
        _("domainId"),
        _("Company"),
        _("Customer code"),
        _("Item type"),
        _("Product or option"),
        _("Plan"),
        _("From"),
        _("Until"),
        _("Units"),
        _("Unit price (JPY a month)"),
        _("Amount (JPY)"),
    ]
    return csv_response(
        csv_rows(header, statement_rows(year, month)),
        name=f"rebilling-statement-{year}-{month:02d}",
        encoding=encoding,
    )


def margin_rows(*, user, year: int, month: int, limit: int | None = None) -> list[dict]:
    """Per customer of the month: billed cost, expected cost (price book; None without prices), revenue (the
    price charged to the customer) and margin, largest cost first. `cost_difference` compares the billed
    cost of the items the book prices with their expected cost (None within ¥1)."""
    check(user, VIEW_BILLING)
    book = PriceBook.load()
    first, last = rules.month_bounds(year, month)
    out: dict[int, dict] = {}
    for item in _items(year, month).iterator(chunk_size=2000):
        row = out.setdefault(
            item["domain_id"],
            {
                "domain_id": item["domain_id"],
                "customer_name": item["customer_name"],
                "billed": 0,
                "expected": None,
                "billed_priced": 0,
                "revenue": 0,
            },
        )
        row["billed"] += item["amount"] or 0
        _price, _units, charged = _charged(item, book, year, month)
        row["revenue"] += charged
        entry = book.entry(item["item_id"], item["plan"], item["domain_id"], item["start_date"] or first)
        if entry is not None:
            units = rules.units(
                plan=item["plan"],
                license_count=item["license_count"],
                member_count=item["member_count"],
                quantity=item["quantity"],
            )
            cost = rules.prorated(
                entry.cost * units, item["start_date"] or first, item["end_date"] or last, year, month
            )
            row["expected"] = (row["expected"] or 0) + cost
            row["billed_priced"] += item["amount"] or 0
    rows = sorted(out.values(), key=lambda r: -r["billed"])
    for row in rows:
        row["margin"] = row["revenue"] - row["billed"]
        # Compared on the items the book prices only (an item without a price has no expected cost).
        difference = None if row["expected"] is None else row["billed_priced"] - row["expected"]
        row["cost_difference"] = (
            difference if difference is not None and abs(difference) > rules.COST_TOLERANCE_YEN else None
        )
    return rows[:limit] if limit else rows


# --- Yayoi import format (弥生インポート形式), see the module docstring --------------------------------------


def journal_lines(invoice: Invoice) -> Iterator[str]:
    """The invoice as journal entries: purchases (仕入高) against accounts payable (買掛金), one line for the
    usage, one for Option Plus, one for penalties (outside the tax's scope), each tax-included. Cells are
    written by `portal.core.csv_export` (formula-like text neutralised)."""
    return csv_body(_journal_rows(invoice))


def _journal_rows(invoice: Invoice) -> Iterator[list]:
    # The invoice is issued on the 1st of the month after the usage month (business time zone).
    issued = rules.month_bounds(invoice.year, invoice.month)[1] + dt.timedelta(days=1)
    day = issued.strftime("%Y/%m/%d")
    month_text = f"{invoice.year}年{invoice.month}月分"
    vendor = (invoice.partner_name or "LINE WORKS")[:24]
    entries = [
        ("LINE WORKS 利用料 " + month_text, invoice.used_amount, invoice.used_tax_amount, "課対仕入内10%"),
        (
            "LINE WORKS Option Plus " + month_text,
            invoice.option_plus_amount,
            invoice.option_plus_tax_amount,
            "課対仕入内10%",
        ),
        ("LINE WORKS 違約金 " + month_text, invoice.penalty_amount, 0, "対象外"),
    ]
    for memo, amount, tax, tax_class in entries:
        if not amount:
            continue
        gross = amount + tax
        row = [
            "2000",  # identification flag: a journal entry that is not a slip
            "",  # slip number
            "",  # closing (blank: an ordinary entry)
            day,  # transaction date
            "仕入高",  # debit account
            "",  # debit sub-account
            "",  # debit department
            tax_class,  # debit tax class
            gross,  # debit amount, tax included
            tax,  # debit tax amount
            "買掛金",  # credit account
            vendor,  # credit sub-account
            "",  # credit department
            "対象外",  # credit tax class
            gross,  # credit amount
            0,  # credit tax amount
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
        yield row


def journal_response(*, user, year: int, month: int) -> StreamingHttpResponse:
    check(user, VIEW_BILLING)
    invoice = Invoice.objects.filter(year=year, month=month).first()
    lines = journal_lines(invoice) if invoice else iter(())
    return csv_response(lines, name=f"yayoi-journal-{year}-{month:02d}", encoding="cp932")
