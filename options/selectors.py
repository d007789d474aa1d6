"""Reads of the options cache. Never call the Partner API from here."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import NamedTuple
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.paginator import Page
from django.db.models import Max, Min, QuerySet

from customers.models import Customer
from customers.selectors import count_live_and_found, live_and_found, owned_by, page_by_customer, readable
from options import rules
from options.models import Option, OptionOrder, OptionUsage, OptionUsageMonth
from options.permissions import CHANGE_OPTIONS, VIEW_OPTIONS
from portal.core import clock
from portal.core.access import can, check
from portal.core.lists import Sorts, paginate
from portal.core.selectors import count_per_customer
from portal.core.vocabulary import Product

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
    return owned_by(qs, owner=filters.owner, user=user)


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
    if SORTS.clean(filters.sort).lstrip("-") == "customer":
        by_customer = page_by_customer(
            rows,
            filters.q,
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
    )


def customer_options_section(*, customer: Customer, user) -> dict:
    """Context of the customer page's Options section: options in use (renewal settings on the row) and
    scheduled orders, each order placed beside its option. Two queries."""
    check(user, VIEW_OPTIONS)
    options = list(Option.objects.filter(customer_id=customer.domain_id).order_by("option_product_id"))
    orders = list(OptionOrder.objects.filter(customer_id=customer.domain_id).order_by("apply_date"))
    by_option = {o.option_product_id: o for o in orders}
    for option in options:
        option.order = by_option.get(option.option_product_id)
    in_use = {o.option_product_id for o in options}
    return {
        "options": options,
        "orders_alone": [o for o in orders if o.option_product_id not in in_use],
        "all_orders": orders,
        "today": clock.today(),
        "can_change": can(user, CHANGE_OPTIONS) and customer.removed_at is None,
    }


def option_get(*, user, domain_id: int, option_product_id: str) -> Option | None:
    check(user, VIEW_OPTIONS)
    found = Option.objects.filter(
        customer_id=domain_id, option_product_id=option_product_id, customer__removed_at=None
    )
    return readable(found, user=user).select_related("customer").first()


def order_get(*, user, domain_id: int, option_product_id: str) -> OptionOrder | None:
    check(user, VIEW_OPTIONS)
    found = OptionOrder.objects.filter(
        customer_id=domain_id, option_product_id=option_product_id, customer__removed_at=None
    )
    return readable(found, user=user).select_related("customer").first()


def readd_dates(*, domain_id: int) -> dict[str, dt.date]:
    """For each option this portal cancelled on an annual contract, the first day it may come back (from the
    cancellation's own record; the API refuses an earlier one anyway, e.g. after a cancel made elsewhere)."""
    return readd_dates_of(domain_ids=[domain_id]).get(domain_id, {})


def readd_dates_of(*, domain_ids) -> dict[int, dict[str, dt.date]]:
    """`readd_dates` of many customers in one query (a bulk change's dry run)."""
    from portal.core.models import Operation

    out: dict[int, dict[str, dt.date]] = {}
    for domain_id, params in Operation.objects.filter(
        kind="cancelOptionProduct", domain_id__in=list(domain_ids), status=Operation.Status.SUCCEEDED
    ).values_list("domain_id", "params"):
        args = params.get("args", {}) if isinstance(params, dict) else {}
        day, option_id = args.get("readd_from"), args.get("option_product_id")
        if day and option_id:
            dates = out.setdefault(domain_id, {})
            dates[option_id] = max(dates.get(option_id, dt.date.min), dt.date.fromisoformat(day))
    return out


def customer_option_ids(*, domain_id: int) -> set[str]:
    return set(Option.objects.filter(customer_id=domain_id).values_list("option_product_id", flat=True))


def latest_usage(*, domain_id: int, option_product_id: str) -> OptionUsage | None:
    """The last cached day of usage of an option (for the renewal warning)."""
    return (
        OptionUsage.objects.filter(customer_id=domain_id, option_product_id=option_product_id)
        .order_by("-used_date")
        .first()
    )


@dataclass(frozen=True)
class UsageSeries:
    option_product_id: str
    label: str
    days: list[tuple[dt.date, int]]
    peak: int


def usage_month(*, user, customer: Customer, year: int, month: int) -> list[UsageSeries]:
    """The month's daily usage of each option of a customer, from the cache (one query)."""
    check(user, VIEW_OPTIONS)
    rows = OptionUsage.objects.filter(
        customer_id=customer.domain_id, used_date__year=year, used_date__month=month
    ).order_by("option_product_id", "used_date")
    series: dict[str, list[tuple[dt.date, int]]] = {}
    for row in rows:
        value = row.usage_count if row.usage_count is not None else (row.quantity or 0)
        series.setdefault(row.option_product_id, []).append((row.used_date, value))
    return [
        UsageSeries(opt, rules.option_label(opt), days, max((v for _d, v in days), default=0))
        for opt, days in series.items()
    ]


def usage_month_summary(*, user, customer: Customer, year: int, month: int) -> list[OptionUsageMonth]:
    """The month's usage summed per option, sub option and plan, kept after its daily rows left (options/
    retention.py): what the usage page shows for a month older than the daily usage kept. By the summaries'
    unique index (customer, month)."""
    check(user, VIEW_OPTIONS)
    return list(
        OptionUsageMonth.objects.filter(domain_id=customer.domain_id, month=dt.date(year, month, 1)).order_by(
            "option_product_id", "sub_option_id", "plan"
        )
    )


def options_affected(*, domain_id: int, change: str, target_product: str = "") -> list[str]:
    """The options (in words) a change of the customer's subscription affects, for the subscriptions
    confirmation pages: `cancel` ends them all; `upgrade` cancels those the new product cannot have (Drive for
    Standard); `convert` leaves the Trial ones Trial."""
    rows = list(Option.objects.filter(customer_id=domain_id).order_by("option_product_id"))
    if change == "upgrade":
        rows = [
            o for o in rows if not rules.may_add(product_id=target_product, sub_option_id=o.sub_option_id)
        ]
    elif change == "convert":
        rows = [o for o in rows if o.trial]
    return [
        f"{o.get_sub_option_display()} × {o.quantity}" if o.quantity else o.get_sub_option_display()
        for o in rows
    ]


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


# --- what is sold: the billing estimate's reader -----------------------------------------------------------


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


def customers_due(first: dt.date, last: dt.date) -> list[int]:
    """Customers with an option that ends (and so renews or stops) or an option order between two business
    dates (inclusive): the continuous refresh keeps their copies fresher (by the dates' indexes)."""
    found: set[int] = set()
    for qs in (
        Option.objects.filter(plan_end_date__range=(first, last)),
        OptionOrder.objects.filter(apply_date__range=(first, last)),
    ):
        found.update(qs.values_list("customer_id", flat=True).distinct())
    return sorted(found)


def renewals_guess(domain_ids: Sequence[int]) -> dict[int, int]:
    """A first sync's guess of the renewal settings each customer just listed has: one for a customer whose
    listing names a paid product, none for a Free or trial one (its options, if any, are Trial: no settings)."""
    paid = Customer.objects.filter(pk__in=domain_ids, product_id__in=(Product.STD, Product.ADV))
    return dict.fromkeys(paid.values_list("pk", flat=True), 1)


def renewals_known() -> dict[int, int]:
    """How many renewal settings the resync reads for each customer, as its copy stands (its options that are not
    Trial: a Trial option has none), for the resync to list the options of the customers with most first."""
    return count_per_customer(Option.objects.exclude(plan="TRIAL"))
