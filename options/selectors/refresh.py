"""What the resyncs read of the options: the customers whose options end or change soon (the continuous
refresh keeps their copies fresher), and how many renewal settings each customer has, as the copy stands or
guessed on a first sync (the resync lists the customers with most first)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from customers.models import Customer
from options.models import Option, OptionOrder
from portal.core.selectors import count_per_customer
from portal.core.vocabulary import Product


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
