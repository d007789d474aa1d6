"""The journal every ledger's writer reads: entries made once from the documents (the month's issued invoices, LINE
WORKS' invoice), naming their accounts and tax categories by role (`Account`, `Tax`), never by a ledger's name for
them: each writer looks the names up in its own settings (`settings.YAYOI_NAMES`, ...).

An entry is one line with a debit and a credit of the same amount, tax included, the tax of that line in its
own column (on the side whose category is taxed). Entries of one document share their `number`, so a ledger
that joins lines into one transaction (Money Forward's 取引No) books the document as one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class Account(StrEnum):
    """An account by its role; the key of its name in a ledger's names."""

    SALES = "sales"
    RECEIVABLE = "receivable"
    PURCHASES = "purchases"
    PAYABLE = "payable"


class Tax(StrEnum):
    """A consumption-tax category by its role; `tax_<value>` is the key of its name in a ledger's names."""

    SALES_10 = "sales_10"
    SALES_8 = "sales_8"  # the reduced rate
    PURCHASE_10 = "purchase_10"
    OUTSIDE = "outside"  # not subject to the tax (a receivable, a payable, a penalty)


class InvoiceClass(StrEnum):
    """What the purchase's invoice allows to deduct (a sale has none): a qualified invoice (適格請求書), or an
    unregistered supplier's under the transitional deduction (経過措置: 80 % to 2026-09-30, then less)."""

    NONE = ""
    QUALIFIED = "qualified"
    TRANSITIONAL = "transitional"


class Kind(StrEnum):
    SALE = "sale"
    PURCHASE = "purchase"


#: The first day the transitional deduction is no longer 80 % (the `_late` names of the ledgers' settings).
TRANSITIONAL_LATE_FROM = dt.date(2026, 10, 1)

#: The sales categories of the rates the portal invoices; another rate is written as outside the tax.
SALES_TAX = {10: Tax.SALES_10, 8: Tax.SALES_8}


@dataclass(frozen=True)
class Side:
    """One side of an entry: its account, the counterparty's sub-account (or none), the tax category and the
    tax within the entry's amount."""

    account: Account
    tax: Tax = Tax.OUTSIDE
    tax_amount: int = 0
    sub_account: str = ""


@dataclass(frozen=True)
class Entry:
    """A journal line (see the module docstring). `amount` is tax included, never negative: a credit note's
    entry is a `reversal`, its sides swapped (sales debited, the receivable credited). `reference` is the
    document's number; `due` its due date where the ledger keeps one."""

    number: int
    kind: Kind
    date: dt.date
    amount: int
    debit: Side
    credit: Side
    counterparty: str
    description: str
    reference: str = ""
    due: dt.date | None = None
    invoice_class: InvoiceClass = InvoiceClass.NONE
    reversal: bool = False

    @property
    def taxed(self) -> Side:
        """The side whose category carries the entry's tax: the revenue of a sale, the cost of a purchase."""
        return self.debit if self.debit.account in (Account.SALES, Account.PURCHASES) else self.credit

    @property
    def transitional_late(self) -> bool:
        """Whether a transitional deduction is past its 80 % years on this entry's date."""
        return self.invoice_class == InvoiceClass.TRANSITIONAL and self.date >= TRANSITIONAL_LATE_FROM


def sale(
    *,
    number: int,
    date: dt.date,
    due: dt.date | None,
    customer: str,
    rate: int,
    amount: int,
    tax: int,
    description: str,
    reference: str,
) -> Entry:
    """Accounts receivable from `customer` against sales at `rate`, `amount` tax included; a negative amount (a
    credit note's) reverses it: sales debited, the receivable credited, both by the amount without its sign."""
    receivable = Side(Account.RECEIVABLE, sub_account=customer)
    revenue = Side(Account.SALES, SALES_TAX.get(rate, Tax.OUTSIDE), abs(tax))
    reversal = amount < 0
    return Entry(
        number=number,
        kind=Kind.SALE,
        date=date,
        amount=abs(amount),
        debit=revenue if reversal else receivable,
        credit=receivable if reversal else revenue,
        counterparty=customer,
        description=description,
        reference=reference,
        due=due,
        reversal=reversal,
    )


def purchase(
    *,
    number: int,
    date: dt.date,
    supplier: str,
    amount: int,
    tax: int,
    taxed: bool,
    qualified: bool,
    description: str,
    reference: str = "",
) -> Entry:
    """Purchases against accounts payable to `supplier`, `amount` tax included; a purchase outside the tax
    (`taxed` false: a penalty) has no invoice class."""
    if taxed:
        invoice_class = InvoiceClass.QUALIFIED if qualified else InvoiceClass.TRANSITIONAL
    else:
        invoice_class = InvoiceClass.NONE
    return Entry(
        number=number,
        kind=Kind.PURCHASE,
        date=date,
        amount=amount,
        debit=Side(Account.PURCHASES, Tax.PURCHASE_10 if taxed else Tax.OUTSIDE, tax),
        credit=Side(Account.PAYABLE, sub_account=supplier),
        counterparty=supplier,
        description=description,
        reference=reference,
        invoice_class=invoice_class,
    )


def tax_key(side: Side, entry: Entry) -> str:
    """The key of the side's category in a ledger's names: a purchase under the transitional deduction has its
    own (Yayoi and freee join the invoice class to the category; Money Forward does not, see its writer)."""
    key = f"tax_{side.tax.value}"
    if side.tax == Tax.PURCHASE_10 and entry.invoice_class == InvoiceClass.TRANSITIONAL:
        key += "_transitional_late" if entry.transitional_late else "_transitional"
    return key
