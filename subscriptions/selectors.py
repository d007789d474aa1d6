"""Reads of the subscriptions cache. Never call the Partner API from here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from django.core.paginator import Page
from django.db.models import QuerySet

from customers.models import Customer
from customers.selectors import (
    count_live_and_found,
    live_and_found,
    managers_customers,
    owned_by,
    page_by_customer,
    readable,
)
from portal.core import clock
from portal.core.access import can, check
from portal.core.lists import Sorts, paginate
from portal.core.selectors import count_per_customer
from subscriptions.models import PreOrder, Reservation, Subscription
from subscriptions.permissions import CHANGE_SUBSCRIPTIONS, VIEW_SUBSCRIPTIONS

#: Sort keys offered on the list: the URL value and the column(s) it orders by.
SORTS = Sorts(
    {
        "customer": ("customer__sort_name", "customer_id", "subscription_id"),
        "product": ("product_id", "subscription_id"),
        "plan": ("plan", "subscription_id"),
        "licences": ("license_count", "subscription_id"),
        "start": ("plan_start_date", "subscription_id"),
        "end": ("plan_end_date", "subscription_id"),
        "status": ("status", "subscription_id"),
        "renewal": ("renewal_type", "subscription_id"),
    },
    default="customer",
)


@dataclass(frozen=True)
class SubscriptionFilters:
    q: str = ""
    product: str = ""
    plan: str = ""
    status: str = ""
    trial_within_days: int | None = None
    renewal_type: str = ""
    end_from: dt.date | None = None
    end_to: dt.date | None = None
    owner: str = ""
    sort: str = SORTS.default


#: The `renewal_type` filter value for subscriptions without renewal settings (Free, Trial).
NO_RENEWAL = "none"


def subscription_list(*, user, filters: SubscriptionFilters) -> QuerySet[Subscription]:
    """Subscriptions of the customers still in the API, filtered and sorted, each with its customer and
    reservation joined (one query when evaluated)."""
    check(user, VIEW_SUBSCRIPTIONS)
    rows = _filtered(Subscription.objects.all(), filters, user=user)
    return SORTS.order(live_and_found(rows, filters.q), filters.sort).select_related(
        "customer", "reservation"
    )


def _filtered(qs: QuerySet[Subscription], filters: SubscriptionFilters, *, user) -> QuerySet[Subscription]:
    """`qs` narrowed by every filter but the customer search (the Owner filter's "Mine" is `user`'s)."""
    return owned_by(_narrowed(qs, filters), owner=filters.owner, user=user)


def _narrowed(qs: QuerySet[Subscription], filters: SubscriptionFilters) -> QuerySet[Subscription]:
    """`qs` narrowed by every filter but the customer search and the Owner filter."""
    if filters.product:
        qs = qs.filter(product_id=filters.product)
    if filters.plan:
        qs = qs.filter(plan=filters.plan)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.trial_within_days is not None:
        today = clock.today()
        qs = qs.filter(
            plan="TRIAL",
            plan_end_date__gte=today,
            plan_end_date__lte=today + dt.timedelta(days=filters.trial_within_days),
        )
    if filters.renewal_type == NO_RENEWAL:
        qs = qs.filter(renewal_type="")
    elif filters.renewal_type:
        qs = qs.filter(renewal_type=filters.renewal_type)
    if filters.end_from:
        qs = qs.filter(plan_end_date__gte=filters.end_from)
    if filters.end_to:
        qs = qs.filter(plan_end_date__lte=filters.end_to)
    return qs


def subscription_page(*, user, filters: SubscriptionFilters, page: str | int | None, per_page: int) -> Page:
    """One page of the filtered list, paged as the Options list is (`options.selectors.option_page`): searched
    and in customer order, the customers found with their numbers of subscriptions, then the subscriptions of
    the customers the page covers (`customers.selectors.page_by_customer`); otherwise a count apart (all rows
    less the removed customers', each an index read: `count_live_and_found`), the page's keys along the order's
    index, then those rows with their customer and reservation. A window count over the joined list would make
    the database read and sort every matching row before the first page (`python -m bench scale`)."""
    check(user, VIEW_SUBSCRIPTIONS)
    rows = _filtered(Subscription.objects.all(), filters, user=user)
    shown = rows.select_related("customer", "reservation").defer("customer__search_text", "customer__memo")
    listed = live_and_found(shown, filters.q)
    if SORTS.clean(filters.sort).lstrip("-") == "customer":
        mine = managers_customers(filters.owner, user=user)
        theirs = shown if mine is None else _narrowed(Subscription.objects.all(), filters)
        by_customer = page_by_customer(
            theirs.select_related("customer", "reservation").defer("customer__search_text", "customer__memo"),
            filters.q,
            sorts=SORTS,
            sort=filters.sort,
            page=page,
            per_page=per_page,
            mine=mine,
        )
        if by_customer is not None:
            return by_customer
        # Unsearched in customer order: the join the order needs also tells the customers still in the API, so
        # the database walks their name index (`Customer.Meta.indexes`) and stops after one page.
        listed = shown.filter(customer__removed_at=None)
    return paginate(
        SORTS.order(listed, filters.sort),
        page=page,
        per_page=per_page,
        keys_first=True,
        count=lambda: count_live_and_found(rows, filters.q),
        searched=filters.q,
    )


def customer_subscriptions_section(*, customer: Customer, user) -> dict:
    """Context of the customer page's Subscriptions section: subscriptions (with renewal settings and the
    pending reservation) and pre-orders, from the cache. Two queries."""
    check(user, VIEW_SUBSCRIPTIONS)
    return {
        "subscriptions": list(
            Subscription.objects.filter(customer_id=customer.domain_id)
            .select_related("reservation")
            .order_by("subscription_id")
        ),
        "pre_orders": list(
            PreOrder.objects.filter(customer_id=customer.domain_id).order_by("apply_date", "pre_order_id")
        ),
        "today": clock.today(),
        "can_change": can(user, CHANGE_SUBSCRIPTIONS) and customer.removed_at is None,
    }


def subscription_get(*, user, subscription_id: int) -> Subscription | None:
    """One cached subscription of a customer still in the API, with its customer and reservation (one query)."""
    check(user, VIEW_SUBSCRIPTIONS)
    found = Subscription.objects.filter(subscription_id=subscription_id, customer__removed_at=None)
    return readable(found, user=user).select_related("customer", "reservation").first()


def pre_order_get(*, user, domain_id: int, pre_order_id: int) -> PreOrder | None:
    check(user, VIEW_SUBSCRIPTIONS)
    found = PreOrder.objects.filter(
        pre_order_id=pre_order_id, customer_id=domain_id, customer__removed_at=None
    )
    return readable(found, user=user).select_related("customer").first()


def customer_subscriptions(*, user, domain_id: int) -> list[Subscription]:
    """The customer's cached subscriptions (for a form's before → after)."""
    check(user, VIEW_SUBSCRIPTIONS)
    return list(
        readable(Subscription.objects.filter(customer_id=domain_id), user=user).order_by("subscription_id")
    )


# --- what is sold: the billing estimate's reader -----------------------------------------------------------


class Scheduled(NamedTuple):
    """A dated change of what a customer is sold: a subscription's reservation (type, date, terms) or a
    pre-order of a new paid subscription (type "PRE_ORDER")."""

    type: str
    apply_date: dt.date
    product_id: str
    plan: str
    license_count: int | None


class SoldSubscription(NamedTuple):
    """A subscription as the cache holds it, with its renewal settings and its scheduled change."""

    subscription_id: int
    product_id: str
    plan: str
    license_count: int | None
    plan_start_date: dt.date
    plan_end_date: dt.date | None
    renewal_type: str
    renewal_product_id: str
    renewal_plan: str
    renewal_license_count: int | None
    reservation: Scheduled | None


@dataclass
class SubscriptionsSold:
    """Each customer's subscriptions and pre-orders, by domainId."""

    subscriptions: dict[int, list[SoldSubscription]]
    pre_orders: dict[int, list[Scheduled]]


def subscriptions_sold(*, domain_ids=None) -> SubscriptionsSold:
    """Every cached subscription with its reservation, and every pre-order, of the given customers (all when
    None), in two queries: what the billing estimate prices. No access check: the caller checked billing's."""
    subs = Subscription.objects.all()
    pres = PreOrder.objects.all()
    if domain_ids is not None:
        subs = subs.filter(customer_id__in=list(domain_ids))
        pres = pres.filter(customer_id__in=list(domain_ids))
    out = SubscriptionsSold({}, {})
    for row in subs.order_by("customer_id", "subscription_id").values_list(
        "customer_id",
        "subscription_id",
        "product_id",
        "plan",
        "license_count",
        "plan_start_date",
        "plan_end_date",
        "renewal_type",
        "renewal_product_id",
        "renewal_plan",
        "renewal_license_count",
        "reservation__type",
        "reservation__apply_date",
        "reservation__product_id",
        "reservation__plan",
        "reservation__license_count",
    ):
        reservation = Scheduled(*row[11:]) if row[11] else None
        out.subscriptions.setdefault(row[0], []).append(SoldSubscription(*row[1:11], reservation=reservation))
    for domain_id, *fields in pres.order_by("customer_id", "apply_date", "pre_order_id").values_list(
        "customer_id", "apply_date", "product_id", "plan", "license_count"
    ):
        out.pre_orders.setdefault(domain_id, []).append(Scheduled("PRE_ORDER", *fields))
    return out


def customers_due(first: dt.date, last: dt.date) -> list[int]:
    """Customers with a subscription that ends (and so renews or stops), a scheduled change or a pre-order
    between two business dates (inclusive): the continuous refresh keeps their copies fresher (by the dates'
    indexes)."""
    found: set[int] = set()
    for qs in (
        Subscription.objects.filter(plan_end_date__range=(first, last)),
        Reservation.objects.filter(apply_date__range=(first, last)),
        PreOrder.objects.filter(apply_date__range=(first, last)),
    ):
        found.update(qs.values_list("customer_id", flat=True).distinct())
    return sorted(found)


def reservations_known() -> dict[int, int]:
    """How many reservations the resync reads for each customer, as its copy stands (one per subscription), for
    the resync to list the subscriptions of the customers with most first."""
    return count_per_customer(Subscription.objects.all())
