"""Reads of the customers cache. Never call the Partner API from here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace

from django.core.paginator import Page
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, normalise_search
from portal.core.access import Perm, check
from portal.core.lists import Sorts, paginate
from portal.core.selectors import business_today


class Removed:
    EXCLUDE = ""
    INCLUDE = "include"
    ONLY = "only"


#: Sort keys offered on the list: the URL value and the column(s) it orders by.
SORTS = Sorts(
    {
        "company": ("company_name", "domain_id"),
        "domain": ("domain", "domain_id"),
        "domain_id": ("domain_id",),
        "code": ("customer_code", "domain_id"),
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
    sort: str = SORTS.default


def customer_list(*, user, filters: CustomerFilters) -> QuerySet[Customer]:
    """Customers matching the filters, in the requested order. One query when evaluated."""
    check(user, Perm.VIEW_CUSTOMERS)
    qs = customer_search(Customer.objects.all(), filters.q, prefix="")
    if filters.product:
        qs = qs.filter(product_id=filters.product)
    if filters.plan:
        qs = qs.filter(plan=filters.plan)
    if filters.status:
        qs = qs.filter(usage_status=filters.status)
    if filters.trial_within_days is not None:
        today = business_today()
        qs = qs.filter(
            trial_ends_on__gte=today, trial_ends_on__lte=today + dt.timedelta(days=filters.trial_within_days)
        )
    if filters.scheduled:
        qs = qs.filter(has_scheduled_changes=True)
    if filters.removed == Removed.ONLY:
        qs = qs.exclude(removed_at=None)
    elif filters.removed != Removed.INCLUDE:
        qs = qs.filter(removed_at=None)
    return SORTS.order(qs, filters.sort)


#: The columns the list page reads (fewer columns, cheaper rows).
LIST_FIELDS = (
    "domain_id",
    "company_name",
    "domain",
    "customer_code",
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
    """One page of the filtered list in one query (rows plus the total as a window count), whatever the page
    size; rows carry the LIST_FIELDS columns only."""
    return paginate(
        customer_list(user=user, filters=filters),
        page=page,
        per_page=per_page,
        fields=LIST_FIELDS,
        row=CustomerRow,
    )


def customer_get(*, user, domain_id: int) -> Customer | None:
    check(user, Perm.VIEW_CUSTOMERS)
    return Customer.objects.filter(domain_id=domain_id).first()


def customer_counts() -> dict[str, int]:
    """Figures for the home page (customers, and those with scheduled changes), in one query."""
    return Customer.objects.filter(removed_at=None).aggregate(
        total=Count("domain_id"),
        scheduled=Count("domain_id", filter=Q(has_scheduled_changes=True)),
    )


CSV_COLUMNS = (
    ("domain_id", _("domainId")),
    ("domain", _("Domain")),
    ("company_name", _("Company")),
    ("customer_code", _("Customer code")),
    ("product_id", _("Product")),
    ("plan", _("Plan")),
    ("usage_status", _("Status")),
    ("member_count", _("Members")),
    ("max_member_count", _("Maximum users")),
    ("trial_ends_on", _("Trial ends")),
    ("withdrawal_date", _("Cancellation date")),
    ("renewal_apply_date", _("Scheduled max-users change on")),
    ("renewal_max_member_count", _("Scheduled maximum users")),
    ("synced_at", _("Last synced (UTC)")),
    ("removed_at", _("Removed (UTC)")),
)


def customer_search(qs: QuerySet, q: str, *, prefix: str = "customer__") -> QuerySet:
    """Rows whose customer matches every word of `q` (company name, domain, customer code, domainId), for any
    list of things that belong to a customer (`prefix` is the path to the customer)."""
    for term in q.split():
        needle = normalise_search(term)
        if needle:
            qs = qs.filter(**{f"{prefix}search_text__contains": needle})
    return qs


def customer_schedule_section(*, customer: Customer, user) -> dict:
    """Context of the detail page's "Scheduled changes" section (usage status: max users, cancellation)."""
    return {
        "renewal_apply_date": customer.renewal_apply_date,
        "renewal_max_member_count": customer.renewal_max_member_count,
        "withdrawal_date": customer.withdrawal_date,
        "pending_withdrawal": customer.usage_status == Customer.UsageState.SUSPENDED_WITHDRAWAL,
        "subscription_changes_scheduled": customer.subscription_changes_scheduled,
    }
