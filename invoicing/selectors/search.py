"""The issued-invoice search: by issue date, total and customer, the three keys the law names
(`issued_list`, `issued_page`, in the orders of `ISSUED_SORTS`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from django.db.models import QuerySet

from customers import selectors as customers
from invoicing.models import IssuedInvoice
from invoicing.permissions import VIEW_INVOICING
from portal.core.access import check
from portal.core.lists import Sorts, paginate

#: The search's orders. Each key's columns are an index's (`IssuedInvoice.Meta.indexes`: issue date and number,
#: total and number; a customer's by domainId and issue date), so a page is read from the index in order.
#: "customer": searched, the customers found in name order, each one's documents by date (`page_by_customer`);
#: unsearched, by domainId.
ISSUED_SORTS = Sorts(
    {
        "date": ("issue_date", "number"),
        "number": ("number",),
        "total": ("total", "number"),
        "customer": ("domain_id", "issue_date", "number"),
    },
    default="-date",
)


#: The order a search opens in, as every searched list does (docs/lists.md, "Search").
SEARCHED_SORT = "customer"


@dataclass(frozen=True)
class IssuedFilters:
    q: str = ""
    issued_from: dt.date | None = None
    issued_to: dt.date | None = None
    total_min: int | None = None
    total_max: int | None = None
    kind: str = ""
    sort: str = ISSUED_SORTS.default


#: The columns a row of the search reads (never the PDF).
ISSUED_FIELDS = (
    "number",
    "kind",
    "year",
    "month",
    "domain_id",
    "customer_name",
    "issue_date",
    "subtotal",
    "tax",
    "total",
    "due_date",
    "pdf_sha256",
    "original_number",
    "original_issue_date",
)


def issued_list(*, user, filters: IssuedFilters) -> QuerySet[IssuedInvoice]:
    """Issued invoices, credit notes and corrected invoices, filtered by issue date range, total range (tax
    included; a credit note's is negative), kind and customer (company, domain, customer code or domainId:
    `customers.selectors.customer_search`), in the chosen order."""
    check(user, VIEW_INVOICING)
    qs = IssuedInvoice.objects.all()
    if filters.issued_from:
        qs = qs.filter(issue_date__gte=filters.issued_from)
    if filters.issued_to:
        qs = qs.filter(issue_date__lte=filters.issued_to)
    if filters.total_min is not None:
        qs = qs.filter(total__gte=filters.total_min)
    if filters.total_max is not None:
        qs = qs.filter(total__lte=filters.total_max)
    if filters.kind:
        qs = qs.filter(kind=filters.kind)
    # A few customers found named (their invoices read by the customer index), more read once into a hash
    # (planned apart) while the order's index is walked.
    qs = customers.customer_search(qs, filters.q, prefix="", walked=True)
    return ISSUED_SORTS.order(qs, filters.sort)


def issued_page(*, user, filters: IssuedFilters, page, per_page: int):
    """One page of `issued_list`: its rows' columns only (`ISSUED_FIELDS`, the original's number joined).

    Counted apart and up to the lists' cap (`lists.paginate`'s `separate_count`), then the page alone along the
    order's index: a window count beside the rows made the database read and sort every issued invoice (a year
    of a partner's: hundreds of thousands) on every page. Searched, the customers found are a subquery planned
    apart (`lists.planned_apart`): the page walks the order's index, keeping the invoices of those customers,
    and stops after the page; the count probes the customers' invoices until one past the cap. As an array
    computed first, PostgreSQL read every invoice of every customer a common word finds and sorted them all
    for one page (`python -m bench scale`, the search by a common word)."""
    if filters.q and ISSUED_SORTS.clean(filters.sort).lstrip("-") == SEARCHED_SORT:
        # Searched in customer order (the order a search opens in): paged by customer as every searched list is
        # (`customers.selectors.page_by_customer`): the count along the customer key up to the cap, the page's
        # customers in name order from the search table, then their documents alone. None: no word to search by.
        found = customers.page_by_customer(
            issued_list(user=user, filters=replace(filters, q="")),
            filters.q,
            sorts=ISSUED_SORTS,
            sort=filters.sort,
            page=page,
            per_page=per_page,
            fields=ISSUED_FIELDS,
            key="domain_id",
            live=False,
            placed=True,
            dense=True,
        )
        if found is not None:
            return found
    return paginate(
        issued_list(user=user, filters=filters),
        page=page,
        per_page=per_page,
        fields=ISSUED_FIELDS,
        separate_count=True,
        searched=filters.q,
    )
