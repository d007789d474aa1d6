"""Options' source of the Scheduled changes page (schedule/): scheduled option orders, read in one query over
the range the page shows; each links to its form (move or delete)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db.models import Count
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from customers.selectors import live_and_found
from options import rules
from options.models import OptionOrder
from options.permissions import CHANGE_OPTIONS, VIEW_OPTIONS
from portal.core.vocabulary import OptionOrderType, labelled
from schedule.sources import (
    DEADLINE_SOON_DAYS,
    ONE_DAY,
    Firsts,
    ScheduledItem,
    ScheduleFilters,
    ScheduleSource,
    date_range,
    first_in_order,
    for_customers,
    rows_shown,
    url_pattern,
)


def _in_range(filters: ScheduleFilters, today: dt.date, *, items: bool = False, walked: bool = False):
    """`items`: the rows read whole with their customer's name, which then says whether it is still in the API
    (`live_and_found(joined=True)`), but for the first of each day (read from the index alone); `walked`: the
    agenda's first items, walked in date order (`live_and_found(joined_search=True)`)."""
    start, end = date_range(filters, today)
    joined = items and filters.per_day is None
    qs = for_customers(
        live_and_found(
            OptionOrder.objects.all(),
            filters.q,
            customer=filters.customer,
            joined=joined,
            joined_search=walked,
        ),
        filters,
        apart=walked,
    )
    return qs.filter(apply_date__gte=start, apply_date__lte=end).order_by()


def order_day_counts(filters: ScheduleFilters, today: dt.date) -> dict[dt.date, int]:
    qs = _in_range(filters, today)
    return dict(qs.values_list("apply_date").annotate(n=Count("*")).order_by())


def order_firsts(filters: ScheduleFilters, today: dt.date) -> Firsts:
    return first_in_order(_in_range(filters, today, walked=True), filters, day="apply_date")


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
    read = url_pattern("customers:detail") + "#section-options"
    change = url_pattern("options:order", 2)
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
        day_counts=order_day_counts,
        firsts=order_firsts,
        perm=VIEW_OPTIONS,
        change_perm=CHANGE_OPTIONS,
        order=40,
    )
]
