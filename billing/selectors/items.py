"""A month's invoice details item by item: filtered and sorted as its page and CSV show them
(`item_list`, `ItemFilters`, `ITEM_SORTS`), a page at a time (`item_page`), and the filter's choices
(`item_values`)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.core.paginator import Page
from django.db.models import QuerySet

from billing.models import DetailMonth, InvoiceItem
from billing.permissions import VIEW_BILLING
from customers.selectors import customer_search, page_by_customer
from portal.core.access import check
from portal.core.lists import Sorts, paginate

ITEM_SORTS = Sorts(
    columns={
        "customer": ("row_order",),
        "type": ("type_order", "customer_name", "domain_id", "position"),
        "item": ("item_id", "customer_name", "domain_id", "position"),
        "amount": ("amount", "customer_name", "domain_id", "position"),
    },
    default="customer",
)


@dataclass(frozen=True)
class ItemFilters:
    q: str = ""
    item_type: str = ""
    item_id: str = ""
    amount_min: int | None = None
    amount_max: int | None = None
    flagged: bool = False
    sort: str = ITEM_SORTS.default


def item_list(*, user, year: int, month: int, filters: ItemFilters) -> QuerySet[InvoiceItem]:
    """The month's items, filtered and sorted (exactly what the page and its CSV show)."""
    check(user, VIEW_BILLING)
    qs = InvoiceItem.objects.filter(year=year, month=month)
    # The house's customer search (company name, domain, code, domainId) on the customers the portal knows.
    qs = customer_search(qs, filters.q, prefix="")
    if filters.item_type:
        qs = qs.filter(item_type=filters.item_type)
    if filters.item_id:
        qs = qs.filter(item_id=filters.item_id)
    if filters.amount_min is not None:
        qs = qs.filter(amount__gte=filters.amount_min)
    if filters.amount_max is not None:
        qs = qs.filter(amount__lte=filters.amount_max)
    if filters.flagged:
        qs = qs.filter(flagged=True)
    return ITEM_SORTS.order(qs, filters.sort)


def item_page(*, user, year: int, month: int, filters: ItemFilters, page, per_page: int) -> Page:
    """One page of the month's items; each row knows whether it starts its customer's group. Counted apart,
    then only the page read: in the default order, and by amount, an index of the month serves the order
    (`InvoiceItem.Meta.indexes`), where a window count would make the database read and sort every item of the
    month before the first row. Searched in customer order, paged by customer as every searched list is
    (docs/lists.md, "Search"), so a word many customers share reads one page's worth."""
    result = None
    if ITEM_SORTS.clean(filters.sort).lstrip("-") == "customer":
        # Searched in customer order (the order it opens in): as every searched list pages, by customer
        # (`page_by_customer`): the count up to the cap, the page's customers in name order from the search
        # table, then their items alone. None without a word to search by.
        result = page_by_customer(
            item_list(user=user, year=year, month=month, filters=replace(filters, q="")),
            filters.q,
            sorts=ITEM_SORTS,
            sort=filters.sort,
            page=page,
            per_page=per_page,
            key="domain_id",
            live=False,
            placed=True,
        )
    if result is None:
        result = paginate(
            item_list(user=user, year=year, month=month, filters=filters),
            page=page,
            per_page=per_page,
            separate_count=True,
            searched=filters.q,
        )
    previous = None
    for row in result.object_list:
        row.group_start = row.domain_id != previous
        previous = row.domain_id
    return result


def item_values(*, year: int, month: int) -> list[str]:
    """The products and options billed in the month (filter choices)."""
    found = DetailMonth.objects.filter(year=year, month=month).values_list("item_ids", flat=True).first()
    return list(found or [])
