"""The month's issued documents and their sending: the month's issued page (`month_issued_list`,
`month_issued_page`), what is left to send (`month_sending`), the month's latest send run (`send_run_latest`)
and the attempt a "send again" submission made already (`sending_by_submission`)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.core.paginator import Page
from django.db.models import QuerySet

from customers import selectors as customers
from invoicing.models import InvoiceSending, IssuedInvoice, SendRun, UnsentInvoice
from invoicing.permissions import VIEW_INVOICING
from invoicing.selectors.issued import issued_rows
from invoicing.selectors.search import SEARCHED_SORT
from portal.core.access import check
from portal.core.lists import Sorts, capped_count, count_cap, paginate

#: The month's issued page by whether each document went out: not sent yet (failed ones among them), its last
#: attempt failed, sent.
SEND_NOT_SENT, SEND_FAILED, SEND_SENT = "not_sent", "failed", "sent"


#: The month's documents by number (its index), or, searched, by customer (`SEARCHED_SORT`: the customers found
#: in name order, each one's documents by number; unsearched, by domainId, along the month's customer index).
MONTH_ISSUED_SORTS = Sorts({"number": ("number",), "customer": ("domain_id", "number")}, default="number")


@dataclass(frozen=True)
class MonthIssuedFilters:
    q: str = ""
    sending: str = ""
    sort: str = MONTH_ISSUED_SORTS.default


@dataclass(frozen=True)
class MonthSending:
    """What is left to send of a month, counted up to the lists' cap (`lists.capped_count`) along the small
    table of the documents not sent yet (`UnsentInvoice`): a month sent costs nothing to count, however many
    invoices it has. Each kind is counted from its month index alone (a document's address and PDF are kept on
    its row by triggers: `UnsentInvoice.sendable`, `.unaddressed`), never by probing each document and its
    customer's billing details."""

    #: Not sent yet (nor being sent), failed ones among them.
    unsent: int
    #: Of those, the ones a send of the month attempts: with an e-mail address and their PDF.
    sendable: int
    #: Of those not sent, the ones with no e-mail address (left out of the month's send).
    without_email: int

    @property
    def cap(self) -> int:
        return count_cap()


def month_sending(*, user, year: int, month: int) -> MonthSending:
    check(user, VIEW_INVOICING)
    unsent = UnsentInvoice.objects.filter(year=year, month=month)
    return MonthSending(
        unsent=capped_count(unsent, along="number", key="number"),
        sendable=capped_count(unsent.filter(sendable=True), along="number", key="number"),
        without_email=capped_count(unsent.filter(unaddressed=True), along="number", key="number"),
    )


def month_issued_list(*, user, year: int, month: int, filters: MonthIssuedFilters) -> QuerySet[IssuedInvoice]:
    """The month's issued documents in number order, by whether each went out (`SEND_*`) and by customer
    (`customers.selectors.customer_search`, as the search of issued invoices finds them)."""
    check(user, VIEW_INVOICING)
    qs = IssuedInvoice.objects.filter(year=year, month=month)
    if filters.sending == SEND_NOT_SENT:
        qs = qs.filter(unsent__isnull=False)
    elif filters.sending == SEND_FAILED:
        qs = qs.filter(unsent__failed=True)
    elif filters.sending == SEND_SENT:
        qs = qs.filter(unsent__isnull=True)
    qs = customers.customer_search(qs, filters.q, prefix="", walked=True)
    return MONTH_ISSUED_SORTS.order(qs, filters.sort)


def month_issued_any(*, year: int, month: int) -> bool:
    """Whether any document of the month is issued (one row of the month's number index)."""
    return IssuedInvoice.objects.filter(year=year, month=month).exists()


def month_issued_page(
    *, user, year: int, month: int, filters: MonthIssuedFilters, page, per_page: int
) -> Page:
    """One page of `month_issued_list`, each document with its e-mail (where it went, once sent), last sending,
    payments and credit notes (`IssuedRow`): counted apart up to the lists' cap, then the page alone along the
    month's number index; the documents not sent yet are counted from their own table (`UnsentInvoice`)."""
    if filters.q and MONTH_ISSUED_SORTS.clean(filters.sort).lstrip("-") == SEARCHED_SORT:
        # Searched in customer order, paged by customer as the search of issued invoices is (`issued_page`).
        found = customers.page_by_customer(
            month_issued_list(user=user, year=year, month=month, filters=replace(filters, q="")),
            filters.q,
            sorts=MONTH_ISSUED_SORTS,
            sort=filters.sort,
            page=page,
            per_page=per_page,
            key="domain_id",
            live=False,
            placed=True,
        )
        if found is not None:
            found.object_list = issued_rows(list(found.object_list), as_sent=True)
            return found
    qs = month_issued_list(user=user, year=year, month=month, filters=filters)
    count = None
    if filters.sending in (SEND_NOT_SENT, SEND_FAILED) and not filters.q:
        unsent = UnsentInvoice.objects.filter(year=year, month=month)
        if filters.sending == SEND_FAILED:
            unsent = unsent.filter(failed=True)
        count = lambda: capped_count(unsent, along="number", key="number")  # noqa: E731
    found = paginate(qs, page=page, per_page=per_page, separate_count=True, count=count, searched=filters.q)
    found.object_list = issued_rows(list(found.object_list), as_sent=True)
    return found


def send_run_latest(*, user, year: int, month: int) -> SendRun | None:
    check(user, VIEW_INVOICING)
    return SendRun.objects.filter(year=year, month=month).order_by("-requested_at", "-pk").first()


def sending_by_submission(*, user, key: str) -> InvoiceSending | None:
    """The attempt a "send again" form submission made already (a double click, a reload), if any."""
    check(user, VIEW_INVOICING)
    if not key:
        return None
    return InvoiceSending.objects.filter(idempotency_key=key).first()
