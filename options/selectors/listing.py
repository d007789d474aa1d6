"""The Options list: its filters (`OptionFilters`, the trial and renewal filters' values), sorts, rows
(`option_list`) and the page (`option_page`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace

from django.core.paginator import Page
from django.db.models import QuerySet

from customers.selectors import (
    count_live_and_found,
    live_and_found,
    managers_customers,
    owned_by,
    page_by_customer,
)
from options.models import Option
from options.permissions import VIEW_OPTIONS
from portal.core.access import check
from portal.core.lists import Sorts, paginate

SORTS = Sorts(
    {
        "customer": ("customer__sort_name", "customer_id", "option_product_id"),
        "option": ("option_product_id", "customer_id"),
        "sub_option": ("sub_option_id", "customer_id"),
        "quantity": ("quantity", "customer_id", "option_product_id"),
        "plan": ("plan", "customer_id", "option_product_id"),
        "start": ("plan_start_date", "customer_id", "option_product_id"),
        "end": ("plan_end_date", "customer_id", "option_product_id"),
        "renewal": ("renewal_type", "customer_id", "option_product_id"),
    },
    default="customer",
)


#: Values of the trial filter and of the renewal filter for options without renewal settings (Trial).
TRIAL, PAID = "trial", "paid"
NO_RENEWAL = "none"


@dataclass(frozen=True)
class OptionFilters:
    q: str = ""
    option: str = ""
    sub_option: str = ""
    trial: str = ""
    renewal_type: str = ""
    end_from: dt.date | None = None
    end_to: dt.date | None = None
    owner: str = ""
    sort: str = SORTS.default


def option_list(*, user, filters: OptionFilters) -> QuerySet[Option]:
    """Options of the customers still in the API, filtered and sorted (the customer joined to sort by name;
    `option_page` reads the names of the page's rows alone)."""
    check(user, VIEW_OPTIONS)
    return _listed(_filtered(Option.objects.all(), filters, user=user), filters)


def _listed(rows: QuerySet[Option], filters: OptionFilters) -> QuerySet[Option]:
    """The filtered `rows` of the live customers the search finds, in the list's order."""
    return SORTS.order(live_and_found(rows, filters.q), filters.sort)


def _filtered(qs: QuerySet[Option], filters: OptionFilters, *, user) -> QuerySet[Option]:
    """`qs` narrowed by every filter but the customer search (the Owner filter's "Mine" is `user`'s)."""
    return owned_by(_narrowed(qs, filters), owner=filters.owner, user=user)


def _narrowed(qs: QuerySet[Option], filters: OptionFilters) -> QuerySet[Option]:
    """`qs` narrowed by every filter but the customer search and the Owner filter."""
    if filters.option:
        qs = qs.filter(option_product_id=filters.option)
    if filters.sub_option:
        qs = qs.filter(sub_option_id=filters.sub_option)
    if filters.trial == TRIAL:
        qs = qs.filter(trial=True)
    elif filters.trial == PAID:
        qs = qs.filter(trial=False)
    if filters.renewal_type == NO_RENEWAL:
        qs = qs.filter(renewal_type="")
    elif filters.renewal_type:
        qs = qs.filter(renewal_type=filters.renewal_type)
    if filters.end_from:
        qs = qs.filter(plan_end_date__gte=filters.end_from)
    if filters.end_to:
        qs = qs.filter(plan_end_date__lte=filters.end_to)
    return qs


#: The columns the list page reads (fewer columns, cheaper rows: measured by `python -m bench.options list`).
LIST_FIELDS = (
    "customer_id",
    "customer__company_name",
    "customer__domain",
    "option_product_id",
    "sub_option_id",
    "quantity",
    "plan",
    "trial",
    "plan_start_date",
    "plan_end_date",
    "renewal_type",
    "renewal_sub_option_id",
    "renewal_quantity",
)


class OptionRow(SimpleNamespace):
    """One row of the list page: the LIST_FIELDS columns only, with the displays the row template uses."""

    get_option_display = Option.get_option_display
    get_sub_option_display = Option.get_sub_option_display
    get_plan_display = Option.get_plan_display
    get_renewal_type_display = Option.get_renewal_type_display
    get_renewal_sub_option_display = Option.get_renewal_sub_option_display

    @property
    def company_name(self) -> str:
        return self.customer__company_name

    @property
    def domain(self) -> str:
        return self.customer__domain


def option_page(*, user, filters: OptionFilters, page: str | int | None, per_page: int) -> Page:
    """One page of the filtered list.

    Searched and in customer order (the order it opens in): the customers found, each with its number of
    options, then the options of the customers the page covers (`customers.selectors.page_by_customer`, two
    queries). Unsearched in customer order, the count apart (`count_live_and_found`: indexes alone), then one
    query that walks the live customers' name index and stops after the page's rows. Otherwise the count, the
    page's keys, then their rows with the customers' names: without a search they may be every option, and the
    keys query walks the sort column's index and stops after one page; searched and in another order, a count apart and the keys still cost less than the keys with a
    window count, which makes the database read every matching row, all columns, first
    (`python -m bench.options list` times both kinds of request)."""
    check(user, VIEW_OPTIONS)
    rows = _filtered(Option.objects.all(), filters, user=user)
    mine = managers_customers(filters.owner, user=user)
    if SORTS.clean(filters.sort).lstrip("-") == "customer":
        by_customer = page_by_customer(
            rows if mine is None else _narrowed(Option.objects.all(), filters),
            filters.q,
            mine=mine,
            sorts=SORTS,
            sort=filters.sort,
            page=page,
            per_page=per_page,
            fields=LIST_FIELDS,
            row=OptionRow,
        )
        if by_customer is not None:
            return by_customer
        # Unsearched in customer order: the join the order needs also tells the customers still in the API, so
        # the database walks their name index (`Customer.Meta.indexes`) and probes each one's options by the
        # (customer, option) index, stopping after one page, filtered or not (as the Subscriptions list does).
        # The page's rows are read by that walk itself: the customer's row it joins for the order gives the
        # page's names too, so reading the keys first, then the rows, would only read them twice.
        listed, keys_first = SORTS.order(rows.filter(customer__removed_at=None), filters.sort), False
    else:
        listed, keys_first = _listed(rows, filters), True
    return paginate(
        listed,
        page=page,
        per_page=per_page,
        fields=LIST_FIELDS,
        row=OptionRow,
        keys_first=keys_first,
        count=lambda: count_live_and_found(rows, filters.q),
        searched=filters.q,
    )
