"""Reads of the bank statements and their matching: the open invoices and the customers' names as the matching
reads them (`match_book`), the statements a page at a time, one statement's lines by state, the invoices a line
may pay, and what customers paid beyond their invoices (their credit)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from invoicing import rules
from invoicing.bank import matching
from invoicing.bank.kana import normalised
from invoicing.models import (
    BankCsvMapping,
    BankLine,
    BankStatement,
    CustomerBilling,
    IssuedInvoice,
    OpenInvoice,
    TransferName,
)
from invoicing.permissions import VIEW_INVOICING
from portal.core.access import check

STATEMENTS_PER_PAGE = 50
LINES_PER_PAGE = 100


def match_book(*, domain_ids: set[int] | None = None) -> matching.Book:
    """The open invoices (what each still owes, `OpenInvoice`) with their customer and number as written, and the
    customers' names by normalised name: their transfer names (learned) and their bill-to names."""
    rows = OpenInvoice.objects.filter(owed__gt=0)
    if domain_ids is not None:
        rows = rows.filter(domain_id__in=domain_ids)
    candidates = [
        matching.Candidate(
            number=number,
            domain_id=domain_id,
            owed=owed,
            due_date=due_date,
            written=rules.number_written(
                (issuer or {}).get("number_format") or "", number, year=issued.year, month=issued.month
            ),
        )
        for number, domain_id, owed, due_date, issuer, issued in rows.values_list(
            "number", "domain_id", "owed", "due_date", "invoice__issuer", "invoice__issue_date"
        ).iterator(chunk_size=2000)
    ]
    names: dict[str, set[int]] = {}
    for name, domain_id in TransferName.objects.values_list("name", "customer_id"):
        names.setdefault(name, set()).add(domain_id)
    for bill_to, domain_id in CustomerBilling.objects.exclude(bill_to_name="").values_list(
        "bill_to_name", "domain_id"
    ):
        key = normalised(bill_to)
        if key:
            names.setdefault(key, set()).add(domain_id)
    return matching.Book(candidates, names)


def statements_page(*, user, page: int = 1) -> Page:
    """The statements imported, newest first, each with how many of its lines are still to match and their total
    (`open_lines`, `open_total`): the page's statements alone, counted alone, then the open lines of those
    statements in one query along their (statement, state) index. Annotated on the statements, every line of
    every statement ever imported was joined and grouped for the page and again for its count, however few
    were left to match (`python -m bench scale`, the bank statements with a year of them)."""
    check(user, VIEW_INVOICING)
    found = Paginator(BankStatement.objects.order_by("-imported_at", "-pk"), STATEMENTS_PER_PAGE).get_page(
        page
    )
    statements = list(found.object_list)
    still_open = {
        statement_id: (n, total)
        for statement_id, n, total in BankLine.objects.filter(
            statement_id__in=[s.pk for s in statements], state=BankLine.State.OPEN
        )
        .order_by()
        .values("statement_id")
        .annotate(n=Count("*"), total=Sum("amount"))
        .values_list("statement_id", "n", "total")
    }
    for statement in statements:
        statement.open_lines, statement.open_total = still_open.get(statement.pk, (0, 0))
    found.object_list = statements
    return found


def statement_get(*, user, statement_id: int) -> BankStatement | None:
    check(user, VIEW_INVOICING)
    return BankStatement.objects.filter(pk=statement_id).first()


@dataclass(frozen=True)
class StatementFigures:
    lines: int
    open: int
    matched: int
    explained: int
    certain: int
    matched_total: int
    over_total: int


def statement_figures(statement: BankStatement) -> StatementFigures:
    """How the statement's lines stand: one query however many lines."""
    open_, matched, explained = BankLine.State.OPEN, BankLine.State.MATCHED, BankLine.State.EXPLAINED
    figures = statement.lines.aggregate(
        lines=Count("pk"),
        open=Count("pk", filter=Q(state=open_)),
        matched=Count("pk", filter=Q(state=matched)),
        explained=Count("pk", filter=Q(state=explained)),
        certain=Count("pk", filter=Q(state=open_, confidence=matching.CERTAIN)),
        matched_total=Coalesce(Sum("amount", filter=Q(state=matched)), 0),
        over_total=Coalesce(Sum("over_amount"), 0),
    )
    return StatementFigures(**figures)


STATES = {
    "open": BankLine.State.OPEN,
    "matched": BankLine.State.MATCHED,
    "explained": BankLine.State.EXPLAINED,
}


def statement_lines(*, statement: BankStatement, state: str = "", page: int = 1) -> Page:
    """The statement's lines in the bank's order, those of one state or all, a page at a time."""
    rows = statement.lines.select_related("payment__invoice").order_by("position")
    if state in STATES:
        rows = rows.filter(state=STATES[state])
    return Paginator(rows, LINES_PER_PAGE).get_page(page)


def line_get(*, user, line_id: int) -> BankLine | None:
    check(user, VIEW_INVOICING)
    return BankLine.objects.select_related("statement").filter(pk=line_id).first()


def customer_credit(*, domain_id: int) -> int:
    """What a customer paid beyond its invoices (over-payments of confirmed bank lines): its credit."""
    rows = BankLine.objects.filter(domain_id=domain_id, over_amount__gt=0)
    return rows.aggregate(total=Coalesce(Sum("over_amount"), 0))["total"]


def transfer_names(*, domain_id: int) -> list[str]:
    """The names the customer's transfers arrive under (learned from confirmed matches)."""
    return list(
        TransferName.objects.filter(customer_id=domain_id).order_by("name").values_list("name", flat=True)
    )


def csv_mappings(*, user) -> list[BankCsvMapping]:
    check(user, VIEW_INVOICING)
    return list(BankCsvMapping.objects.order_by("name"))


@dataclass(frozen=True)
class NamedInvoice:
    number: int
    customer_name: str
    domain_id: int
    total: int
    owed: int


def invoices_named(numbers: list[int]) -> dict[int, NamedInvoice]:
    """The invoices proposed on a page of lines, with their customer and what each still owes: one query."""
    rows = IssuedInvoice.objects.filter(number__in=set(numbers)).values_list(
        "number", "customer_name", "domain_id", "total", "open__owed"
    )
    return {row[0]: NamedInvoice(*row[:4], owed=row[4] or 0) for row in rows}


def csv_mapping_get(*, user, mapping_id: int) -> BankCsvMapping | None:
    check(user, VIEW_INVOICING)
    return BankCsvMapping.objects.filter(pk=mapping_id).first()
