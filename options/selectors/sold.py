"""What is sold, as billing reads it: every option and option order of the customers (`options_sold`) and what
the daily usage says they had (`options_used`, `usage_quantities`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Max, Min

from options.models import Option, OptionOrder, OptionUsage


class SoldOption(NamedTuple):
    """An option in use as the cache holds it, with its renewal settings."""

    option_product_id: str
    sub_option_id: str
    subscription_id: int | None
    plan: str
    quantity: int | None
    plan_end_date: dt.date
    trial: bool
    renewal_type: str
    renewal_sub_option_id: str
    renewal_quantity: int | None
    #: The day it was added (its appliedTime, in the business time zone); None when the cache does not say.
    added_on: dt.date | None = None


class UsedOption(NamedTuple):
    """A run of days an option was in use with the same terms, as its daily usage (listOptionProductUsages)
    recorded them: what was true on those days, whatever the option is today."""

    option_product_id: str
    sub_option_id: str
    plan: str
    quantity: int | None
    license_count: int | None
    member_count: int | None
    start: dt.date
    end: dt.date


class ScheduledOption(NamedTuple):
    """A scheduled option change (an option order): add, cancel, convert to paid or change the quantity."""

    option_product_id: str
    sub_option_id: str
    type: str
    quantity: int | None
    apply_date: dt.date


@dataclass
class OptionsSold:
    """Each customer's options and option orders, by domainId; with `used`, the runs of the month's days its
    options' daily usage covers (`options_used`)."""

    options: dict[int, list[SoldOption]]
    orders: dict[int, list[ScheduledOption]]
    used: dict[int, list[UsedOption]] = field(default_factory=dict)


def options_sold(*, domain_ids=None) -> OptionsSold:
    """Every cached option and option order of the given customers (all when None), in two queries: what the
    billing estimate prices. No access check: the caller checked billing's."""
    options = Option.objects.all()
    orders = OptionOrder.objects.all()
    if domain_ids is not None:
        options = options.filter(customer_id__in=list(domain_ids))
        orders = orders.filter(customer_id__in=list(domain_ids))
    out = OptionsSold({}, {})
    zone = ZoneInfo(settings.BUSINESS_TIME_ZONE)
    for domain_id, *fields, applied in options.order_by("customer_id", "option_product_id").values_list(
        "customer_id",
        "option_product_id",
        "sub_option_id",
        "subscription_id",
        "plan",
        "quantity",
        "plan_end_date",
        "trial",
        "renewal_type",
        "renewal_sub_option_id",
        "renewal_quantity",
        "applied_time",
    ):
        added_on = applied.astimezone(zone).date() if applied is not None else None
        out.options.setdefault(domain_id, []).append(SoldOption(*fields, added_on=added_on))
    for domain_id, *fields in orders.order_by("customer_id", "apply_date", "option_product_id").values_list(
        "customer_id", "option_product_id", "sub_option_id", "type", "quantity", "apply_date"
    ):
        out.orders.setdefault(domain_id, []).append(ScheduledOption(*fields))
    return out


def options_used(*, first: dt.date, last: dt.date, domain_ids=None) -> dict[int, list[UsedOption]]:
    """What the options' daily usage of first..last says each customer had, as runs of unchanged terms (the
    first and last day of each: grouped by the database, so a month of daily rows is a row or so an option),
    sorted by their first day. Usage-counted rows (Option Plus) are left out: only the invoice prices them. One
    query; no access check (the billing estimate's reader, whose caller checked billing's)."""
    qs = OptionUsage.objects.filter(used_date__gte=first, used_date__lte=last, usage_count__isnull=True)
    if domain_ids is not None:
        qs = qs.filter(customer_id__in=list(domain_ids))
    out: dict[int, list[UsedOption]] = {}
    for domain_id, *terms, start, end in (
        qs.values_list(
            "customer_id",
            "option_product_id",
            "sub_option_id",
            "plan",
            "quantity",
            "license_count",
            "member_count",
        )
        .annotate(start=Min("used_date"), end=Max("used_date"))
        .order_by()
    ):
        out.setdefault(domain_id, []).append(UsedOption(*terms, start, end))
    for runs in out.values():
        runs.sort(key=lambda run: (run.start, run.option_product_id))
    return out


def usage_quantities(*, first: dt.date, last: dt.date) -> dict[tuple[int, str, dt.date], int]:
    """The quantity of each option on each day first..last, from the daily usage (listOptionProductUsages):
    {(domainId, option, day): quantity}, for the options counted by quantity. What was true on those days,
    whatever the option is today: the billing check's reader of options sold in a past month."""
    return {
        (domain_id, option, day): quantity
        for domain_id, option, day, quantity in OptionUsage.objects.filter(
            used_date__gte=first, used_date__lte=last, quantity__isnull=False
        ).values_list("customer_id", "option_product_id", "used_date", "quantity")
    }
