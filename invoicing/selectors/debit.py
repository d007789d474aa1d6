"""Reads of direct debit (口座振替): the partner as the collector (from the settings), a customer's debit account,
the open invoices a debit date can collect, the runs made and one run's debits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce

from invoicing.bank.direct_debit import Collector
from invoicing.bank.kana import zengin_name
from invoicing.models import DebitAccount, DebitItem, DebitRun, OpenInvoice
from invoicing.permissions import VIEW_INVOICING
from portal.core.access import check
from portal.core.lists import paginate, read_in_one_pass

RUNS_PER_PAGE = 50


def collector() -> Collector | None:
    """The partner as the collector its bank knows (`DIRECT_DEBIT_*` settings), or None when not set up."""
    if not settings.DIRECT_DEBIT_COLLECTOR_CODE:
        return None
    return Collector(
        code=settings.DIRECT_DEBIT_COLLECTOR_CODE,
        name=zengin_name(settings.DIRECT_DEBIT_COLLECTOR_NAME),
        bank_code=settings.DIRECT_DEBIT_BANK_CODE,
        bank_name=zengin_name(settings.DIRECT_DEBIT_BANK_NAME),
        branch_code=settings.DIRECT_DEBIT_BRANCH_CODE,
        branch_name=zengin_name(settings.DIRECT_DEBIT_BRANCH_NAME),
        deposit_kind=settings.DIRECT_DEBIT_DEPOSIT_KIND,
        account_number=settings.DIRECT_DEBIT_ACCOUNT_NUMBER,
    )


def debit_account_get(*, user, domain_id: int) -> DebitAccount | None:
    check(user, VIEW_INVOICING)
    return DebitAccount.objects.filter(customer_id=domain_id).first()


@dataclass(frozen=True)
class Collectable:
    """An open invoice a debit date can collect, with the account it is collected from."""

    invoice_id: int
    number: int
    domain_id: int
    customer_name: str
    due_date: dt.date
    owed: int
    account: DebitAccount


#: The most invoices one request offers (the page's list and the form's choices): a large partner's month is
#: made in several requests, the earliest due first.
REQUEST_MAX = 500


def collectable(
    *, user, debit_date: dt.date, numbers: Iterable[int] | None = None, limit: int | None = None
) -> list[Collectable]:
    """The open invoices due by `debit_date` of the customers with an active debit account, not waiting in a run
    already, by due date and number: those of `numbers` only if given, the first `limit` if given.

    The open invoices are chosen on their own rows (their customer is on them, `OpenInvoice.domain_id`), along
    their due-date index, which carries what the choice reads and the customers' names (as issued): a limited
    read stops at the `limit`-th found. The customers' accounts are those of the invoices found alone."""
    check(user, VIEW_INVOICING)
    active = DebitAccount.objects.filter(active=True).values("customer_id")
    waiting = DebitItem.objects.filter(pending=True, invoice__isnull=False).values("invoice_id")
    rows = (
        OpenInvoice.objects.filter(owed__gt=0, due_date__lte=debit_date)
        # Both written "not in" (the first twice over): PostgreSQL reads the active accounts, and the invoices
        # waiting, once each into memory and looks each invoice passed up there. A plain `domain_id__in` is made
        # a join that probes the accounts' index for every open invoice passed, most of them of customers
        # without an account (50,000 customers with a year of history: 7,400 buffers against 140).
        .exclude(~Q(domain_id__in=active))
        .exclude(invoice_id__in=waiting)
        .order_by("due_date", "number")
        .values_list("invoice_id", "number", "domain_id", "customer_name", "due_date", "owed")
    )
    if numbers is not None:
        rows = rows.filter(number__in=list(numbers))
    found = list(rows[:limit] if limit is not None else rows)
    if not found:
        return []
    # The accounts of the invoices found, in one pass over the active accounts (as the choice above reads them):
    # by key, PostgreSQL probed the accounts' index once for each of a page's hundreds of customers.
    accounts = {
        account.customer_id: account
        for account in DebitAccount.objects.filter(
            read_in_one_pass("customer_id", {row[2] for row in found}), active=True
        )
    }
    return [
        Collectable(pk, number, domain_id, name, due, owed, accounts[domain_id])
        for pk, number, domain_id, name, due, owed in found
        if domain_id in accounts  # an account turned off meanwhile
    ]


def runs_page(*, user, page: int = 1) -> Page:
    """The runs made, the latest debit date first, each with its collected and refused counts."""
    check(user, VIEW_INVOICING)
    rows = DebitRun.objects.defer("request_file").annotate(
        collected=Count("items", filter=Q(items__result="0")),
        collected_total=Coalesce(Sum("items__amount", filter=Q(items__result="0")), 0),
        refused=Count("items", filter=~Q(items__result="") & ~Q(items__result="0")),
    )
    return Paginator(rows.order_by("-debit_date", "-pk"), RUNS_PER_PAGE).get_page(page)


def run_get(*, user, run_id: int) -> DebitRun | None:
    check(user, VIEW_INVOICING)
    return DebitRun.objects.filter(pk=run_id).first()


#: A run's debits shown a page at a time (a large partner's month is thousands).
ITEMS_PER_PAGE = 100


def run_items_page(run: DebitRun, *, page: str | int | None) -> Page:
    """One page of the run's debits in the request file's order, each with its payment (one query)."""
    return paginate(
        run.items.select_related("payment").order_by("position"), page=page, per_page=ITEMS_PER_PAGE
    )
