"""One customer: read by its domainId (`customer_get`, `customer_names` for several), picked by name in a form
(`customers_to_pick`, `customer_picked`), and its page's own reads: the refresh it started when it opened
(`customer_refresh_state`) and its Scheduled changes section."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from customers.models import (
    Customer,
)
from customers.permissions import VIEW_CUSTOMERS
from customers.selectors.owners import readable
from customers.selectors.search import among, customers_found
from portal.core import clock
from portal.core.access import can, check
from schedule.sources import ScheduleFilters, schedule_sources


def customer_get(*, user, domain_id: int, live: bool = False) -> Customer | None:
    """A customer from the cache; with `live`, only one the API still lists (the change forms' customers)."""
    check(user, VIEW_CUSTOMERS)
    qs = readable(Customer.objects.filter(domain_id=domain_id), user=user, key="domain_id")
    return (qs.filter(removed_at=None) if live else qs).first()


def customers_to_pick(*, user, q: str, limit: int = 20) -> list[Customer]:
    """Customers still in the API whose company name, domain, code or domainId holds every word of `q`, by
    name, at most `limit` (a form's search that picks a customer by name: billing's price book)."""
    check(user, VIEW_CUSTOMERS)
    found = customers_found(q, live=True)
    if found is None:
        return []
    qs = readable(Customer.objects.filter(among("domain_id", found)), user=user, key="domain_id")
    return list(qs.filter(removed_at=None).order_by("company_name", "domain_id")[:limit])


def customer_picked(*, user, text: str) -> list[Customer]:
    """The customers still in the API that a picked text names: "Company (domain)" as the pick lists offer it,
    a domain, or a company name (several when several are so called)."""
    check(user, VIEW_CUSTOMERS)
    text = text.strip()
    qs = readable(Customer.objects.filter(removed_at=None), user=user, key="domain_id")
    if text.endswith(")") and " (" in text:
        name, _sep, domain = text[:-1].rpartition(" (")
        by_both = list(qs.filter(company_name=name.strip(), domain=domain.strip())[:2])
        if by_both:
            return by_both
        text = domain.strip()
    by_domain = list(qs.filter(domain=text)[:2])
    return by_domain or list(qs.filter(company_name=text).order_by("domain_id")[:5])


def customer_pick_label(customer: Customer) -> str:
    """How a pick list offers a customer, and what `customer_picked` reads back: "Company (domain)"."""
    return f"{customer.company_name} ({customer.domain})"


def customer_names(domain_ids) -> dict[int, str]:
    """Company names of the given customers (removed ones included), in one query; contributed to core."""
    return dict(
        Customer.objects.filter(domain_id__in=list(domain_ids)).values_list("domain_id", "company_name")
    )


@dataclass(frozen=True)
class RefreshState:
    """Where a background refresh of a customer asked for at `since` is: waiting (queued or reading), done,
    failed (with the API's reason), or late (it has not come within REFRESH_ON_OPEN_WAIT_SECONDS)."""

    status: str
    error: str = ""


def customer_refresh_state(*, user, domain_id: int, since: dt.datetime) -> RefreshState:
    """The refresh a customer page started when it opened at `since` (one query)."""
    from django.conf import settings
    from django.utils import timezone

    from portal.core.models import SyncRun
    from portal.core.sync import CUSTOMER

    check(user, VIEW_CUSTOMERS)
    run = (
        SyncRun.objects.filter(kind=CUSTOMER, scope=str(domain_id), requested_at__gte=since)
        .exclude(status=SyncRun.Status.RUNNING)
        .order_by("-requested_at")
        .first()
    )
    if run is not None and run.status != SyncRun.Status.FAILED:
        return RefreshState("done")  # a partial run read the customer; a section it missed says its own age
    if run is not None:
        return RefreshState("failed", "; ".join(e.get("error", "") for e in run.errors[:2]))
    if timezone.now() - since > dt.timedelta(seconds=settings.REFRESH_ON_OPEN_WAIT_SECONDS):
        return RefreshState("late")
    return RefreshState("waiting")


#: How far ahead the customer page's "Scheduled changes" section looks (every kind of scheduled change).
SCHEDULE_SECTION_HORIZON_DAYS = 3 * 366


def customer_schedule_section(*, customer: Customer, user) -> dict:
    """Context of the detail page's "Scheduled changes" section: the usage status's own (max users, cancellation)
    and every kind of upcoming change the apps contribute to the Scheduled changes page (pre-orders,
    reservations, renewal changes, options...), read through the same sources, for this customer only."""
    today = clock.today()
    filters = ScheduleFilters(
        customer=customer.domain_id, date_to=today + dt.timedelta(days=SCHEDULE_SECTION_HORIZON_DAYS)
    )
    items = []
    for source in schedule_sources(user=user):
        found = (item for item in source.items(filters, today) if item.domain_id == customer.domain_id)
        may_change = can(user, source.change_perm)
        items.extend(item if may_change else item._replace(change_url="") for item in found)
    items.sort(key=lambda item: (item.date, item.kind_label, item.summary))
    return {
        "renewal_apply_date": customer.renewal_apply_date,
        "renewal_max_member_count": customer.renewal_max_member_count,
        "withdrawal_date": customer.withdrawal_date,
        "pending_withdrawal": customer.usage_status == Customer.UsageState.SUSPENDED_WITHDRAWAL,
        "items": items,
    }
