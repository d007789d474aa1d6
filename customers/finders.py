"""What the search box finds of the customers (contributed as `finders` from `CustomersConfig.ready()`): by
company name (kana-folded, as the Customers list searches), domain, domainId and customer code, through the
list's own search (`selectors.search.searched`), narrowed to what the reader may read (`readable`)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from customers.permissions import VIEW_CUSTOMERS
from customers.selectors.owners import readable
from customers.selectors.search import searched
from portal.core.finders import Finder, Found, Result, list_searched, whole_number


def customers_find(q: str, *, user, limit: int) -> Found:
    """The first `limit` customers still in the API whose search text holds every word of `q`, in the lists'
    name order, read from the search table (or, for one short word, the gram table) by its name index and
    stopped one past `limit`; before them the customer whose domain or domainId is exactly `q` (`exact`)."""
    exact = _exact(q, user=user)
    found = searched(q, live=True)
    if found is None:
        return Found(results=tuple(_results(exact, exact=set(exact))))
    keys = list(
        readable(found, user=user)
        .order_by("sort_name", "customer_id")
        .values_list("customer_id", flat=True)[: limit + 1]
    )
    more = len(keys) > limit
    rows = _results(exact + [key for key in keys[:limit] if key not in exact], exact=set(exact))
    return Found(results=tuple(rows[:limit]), more=more or len(rows) > limit)


def _exact(text: str, *, user) -> list[int]:
    """The customer whose domain (by its index) or domainId is exactly `text`, if `user` may read it."""
    if not text or " " in text:
        return []
    number = whole_number(text)
    match = Customer.objects.filter(domain=text.lower())
    if number is not None:
        match = match | Customer.objects.filter(domain_id=number)
    return list(readable(match, user=user, key="domain_id").values_list("domain_id", flat=True)[:2])


def _results(keys: list[int], *, exact: set[int]) -> list[Result]:
    """The customers of `keys` in that order, their names read in one query; those in `exact` marked so."""
    if not keys:
        return []
    rows = Customer.objects.filter(domain_id__in=keys).values_list("domain_id", "company_name", "domain")
    named = {key: (name, domain) for key, name, domain in rows}
    return [
        Result(
            label=named[key][0] or named[key][1],
            detail=named[key][1],
            url=reverse("customers:detail", args=[key]),
            exact=key in exact,
        )
        for key in keys
        if key in named
    ]


FINDERS = [
    Finder(
        key="customers",
        label=_("Customers"),
        perm=VIEW_CUSTOMERS,
        find=customers_find,
        order=10,
        more_url=list_searched("customers:list"),
    )
]
