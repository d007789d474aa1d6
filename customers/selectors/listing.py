"""The Customers list: its filters (`CustomerFilters`), sorts, rows (`customer_list`), the page
(`customer_page`) and the export's columns (`CSV_COLUMNS`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from types import SimpleNamespace

from django.core.paginator import Page
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from customers.models import (
    TRIAL_ENDED,
    Customer,
    trial_ended_q,
)
from customers.permissions import VIEW_CUSTOMERS
from customers.selectors.counts import customer_total
from customers.selectors.owners import Owner, managers_customers, owned_by
from customers.selectors.paging import page_by_customer
from customers.selectors.search import customer_search
from portal.core import clock
from portal.core.access import check
from portal.core.lists import (
    Sorts,
    coded,
    paginate,
)
from portal.core.vocabulary import Plan, Product, UsageState


class Removed:
    EXCLUDE = ""
    INCLUDE = "include"
    ONLY = "only"


#: Sort keys offered on the list: the URL value and the column(s) it orders by.
SORTS = Sorts(
    {
        "company": ("sort_name", "domain_id"),
        "domain": ("domain", "domain_id"),
        "domain_id": ("domain_id",),
        "members": ("member_count", "domain_id"),
        "max_users": ("max_member_count", "domain_id"),
        "trial": ("trial_ends_on", "domain_id"),
        "synced": ("synced_at", "domain_id"),
    },
    default="company",
)


@dataclass(frozen=True)
class CustomerFilters:
    q: str = ""
    product: str = ""
    plan: str = ""
    status: str = ""
    trial_within_days: int | None = None
    scheduled: bool = False
    removed: str = Removed.EXCLUDE
    owner: str = ""
    sort: str = SORTS.default


def _with_status_shown(qs: QuerySet, status: str) -> QuerySet:
    """Customers whose status *as shown* is `status` (models.shown_status): an Active customer whose trial ended
    before today reads "Trial ended", so it is found under that and not under Active."""
    trial_ended = trial_ended_q(clock.today())
    if status == TRIAL_ENDED:
        return qs.filter(trial_ended)
    qs = qs.filter(usage_status=status)
    return qs.exclude(trial_ended) if status == Customer.UsageState.ACTIVE else qs


def customer_list(*, user, filters: CustomerFilters) -> QuerySet[Customer]:
    """Customers matching the filters, in the requested order. One query when evaluated."""
    check(user, VIEW_CUSTOMERS)
    qs = customer_search(Customer.objects.all(), filters.q, prefix="")
    if filters.product:
        qs = qs.filter(product_id=filters.product)
    if filters.plan:
        qs = qs.filter(plan=filters.plan)
    if filters.status:
        qs = _with_status_shown(qs, filters.status)
    if filters.trial_within_days is not None:
        today = clock.today()
        qs = qs.filter(
            trial_ends_on__gte=today, trial_ends_on__lte=today + dt.timedelta(days=filters.trial_within_days)
        )
    if filters.scheduled:
        qs = qs.filter(has_scheduled_changes=True)
    if filters.removed == Removed.ONLY:
        qs = qs.exclude(removed_at=None)
    elif filters.removed != Removed.INCLUDE:
        qs = qs.filter(removed_at=None)
    qs = owned_by(qs, owner=filters.owner, user=user, key="domain_id")
    return SORTS.order(qs, filters.sort)


#: The columns the list page reads (fewer columns, cheaper rows).
LIST_FIELDS = (
    "domain_id",
    "company_name",
    "domain",
    "product_id",
    "plan",
    "usage_status",
    "has_scheduled_changes",
    "member_count",
    "max_member_count",
    "max_member_unlimited",
    "trial_ends_on",
    "synced_at",
    "removed_at",
)


class CustomerRow(SimpleNamespace):
    """One row of the list page: the LIST_FIELDS columns only (lighter than a model instance)."""


def customer_page(*, user, filters: CustomerFilters, page: str | int | None, per_page: int) -> Page:
    """One page of the filtered list, whatever the page size; rows carry the LIST_FIELDS columns only.

    Searched in name order (the order it opens in): as every searched list pages (`page_by_customer`: the count
    up to the cap, the page's customers from the narrow search table in name order, then their rows).
    Otherwise counted apart (up to the cap), then one page read along the order's index: a window count makes
    the database read and sort every matching customer before the first row (`python -m bench scale`). Every
    customer still in the API, narrowed by nothing, is counted from the row the database keeps
    (`customer_total`)."""
    if filters.q and SORTS.clean(filters.sort).lstrip("-") == "company":  # without a search: no word, None
        mine = managers_customers(filters.owner, user=user)
        unowned = filters if mine is None else replace(filters, owner=Owner.EVERYONE)
        by_name = page_by_customer(
            customer_list(user=user, filters=replace(unowned, q="")),
            filters.q,
            sorts=SORTS,
            sort=filters.sort,
            page=page,
            per_page=per_page,
            fields=LIST_FIELDS,
            row=CustomerRow,
            key="domain_id",
            live=filters.removed == Removed.EXCLUDE,
            every_customer=_narrowed_by_search_only(unowned, user=user),
            mine=mine,
        )
        if by_name is not None:
            return by_name
    every_live = (
        not filters.q and filters.removed == Removed.EXCLUDE and _narrowed_by_search_only(filters, user=user)
    )
    listed = customer_list(user=user, filters=filters)
    if every_live:
        # Every customer still in the API (the list as an Admin opens it): the row the database keeps.
        return paginate(
            listed,
            page=page,
            per_page=per_page,
            fields=LIST_FIELDS,
            row=CustomerRow,
            separate_count=True,
            count=customer_total,
        )
    # Anyone else's choice, an Account manager's customers included (a range of their index, `owned_by`): counted
    # apart up to the cap, then the page alone.
    return paginate(
        listed,
        page=page,
        per_page=per_page,
        fields=LIST_FIELDS,
        row=CustomerRow,
        separate_count=True,
        searched=filters.q,
    )


def _narrowed_by_search_only(filters: CustomerFilters, *, user) -> bool:
    """Whether the list's customers are those its search finds, with or without the removed ones, and no others
    left out: no filter but the search and the Owner filter's everyone."""
    unfiltered = CustomerFilters(q=filters.q, sort=filters.sort, removed=filters.removed)
    if replace(filters, owner="") != unfiltered or filters.removed == Removed.ONLY:
        return False
    rows = Customer.objects.all()
    return owned_by(rows, owner=filters.owner, user=user, key="domain_id") is rows


CSV_COLUMNS = (
    ("domain_id", _("Domain ID")),
    ("domain", _("Domain")),
    ("company_name", _("Company")),
    ("customer_code", _("Customer code")),
    *coded("product_id", _("Product"), Product),
    *coded("plan", _("Plan"), Plan),
    *coded("usage_status", _("Status"), UsageState),
    ("member_count", _("Members")),
    ("max_member_count", _("Maximum users")),
    ("trial_ends_on", _("Trial ends")),
    ("withdrawal_date", _("Cancellation date")),
    ("renewal_apply_date", _("Scheduled max-users change on")),
    ("renewal_max_member_count", _("Scheduled maximum users")),
    ("synced_at", _("Last synced (UTC)")),
    ("removed_at", _("Removed (UTC)")),
)
