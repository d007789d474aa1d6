"""Options' source of the Scheduled changes page (schedule/): scheduled option orders, read in one query over
the range the page shows; each links to its form (move or delete)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.selectors import live_and_found, live_walked, still_in_api
from options import rules
from options.models import OptionOrder
from options.permissions import CHANGE_OPTIONS, VIEW_OPTIONS
from portal.core import constant_urls
from portal.core.vocabulary import OptionOrderType, labelled
from schedule.sources import (
    DEADLINE_SOON_DAYS,
    ONE_DAY,
    ScheduledItem,
    ScheduleFilters,
    ScheduleSource,
    Walk,
    date_range,
    for_customers,
    rows_shown,
)


def _in_range(filters: ScheduleFilters, today: dt.date, *, items: bool = False):
    """`items`: the rows read whole with their customer's name, which then says whether it is still in the API
    (`live_and_found(joined=True)`), but for the first of each day (read from the index alone)."""
    start, end = date_range(filters, today)
    joined = items and filters.per_day is None
    # The removal the rows carry, searched or not: the orders' index by day holds the live customers' alone.
    live = still_in_api(
        live_and_found(OptionOrder.objects.all(), filters.q, customer=filters.customer, joined=joined)
    )
    qs = for_customers(live, filters)
    return qs.filter(apply_date__gte=start, apply_date__lte=end).order_by()


def order_walk(filters: ScheduleFilters, today: dt.date) -> Walk:
    """The agenda's first items and the month's counts by day, walked in date order: the search's customers
    apart (`live_walked`), and the customer filters' planned apart (`for_customers`)."""
    start, end = date_range(filters, today)
    live, found = live_walked(OptionOrder.objects.all(), filters.q, customer=filters.customer)
    rows = for_customers(live, filters, apart=True).filter(apply_date__gte=start, apply_date__lte=end)
    return Walk(rows.order_by(), "apply_date", found=found)


def order_items(filters: ScheduleFilters, today: dt.date) -> Iterator[ScheduledItem]:
    """Option orders: moved or deleted until the day before they apply."""
    rows = rows_shown(_in_range(filters, today, items=True), filters, day="apply_date").values_list(
        "option_product_id",
        "sub_option_id",
        "type",
        "quantity",
        "apply_date",
        "customer_id",
        "customer__company_name",
    )
    types = {k: str(v) for k, v in OptionOrderType.choices}
    label = gettext("Option order")
    read = constant_urls.pattern("customers:detail") + "#section-options"
    change = constant_urls.pattern("options:order", 2)
    soon = today + dt.timedelta(days=DEADLINE_SOON_DAYS)
    for option_id, sub_option_id, kind, quantity, day, domain_id, company in rows:
        deadline = day - ONE_DAY
        what = labelled(types.get(kind, kind), rules.sub_option_label(sub_option_id))
        if quantity:
            what += f" × {quantity}"
        yield ScheduledItem(
            day,
            "option_order",
            label,
            domain_id,
            company,
            what,
            read.format(domain_id),
            deadline,
            deadline <= soon,
            change.format(domain_id, option_id),
            # One order per option of a customer: moving its date keeps the same identity.
            f"option_order-{domain_id}-{option_id}",
        )


SOURCES = [
    ScheduleSource(
        key="option_order",
        label=_("Option order"),
        items=order_items,
        walk=order_walk,
        perm=VIEW_OPTIONS,
        change_perm=CHANGE_OPTIONS,
        order=40,
    )
]
