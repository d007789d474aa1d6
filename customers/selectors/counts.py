"""Counts and worklists of every customer still in the API: the home page's figure (`customer_total`, also the
Customers list's count as it opens) and another app's worklist of the customers that lack something
(`customers_lacking`)."""

from __future__ import annotations

from django.db import connection
from django.db.models import Exists, OuterRef, QuerySet

from customers.models import (
    Customer,
    LiveCustomerCount,
)


def customer_total(*, narrow=None) -> int:
    """The home page's figure: customers still in the API (whose work the home page shows: `narrow(qs, key=)`).

    Everyone's (no narrowing, or one that keeps every customer), in one query: the row the database keeps (`LiveCustomerCount`), which costs the same however
    many customers there are, or, without that row (a database emptied by TRUNCATE), the count of the customers
    (both databases evaluate COALESCE's second subquery only when the first is NULL)."""
    qs = Customer.objects.filter(removed_at=None)
    # Not planned apart: an Account manager's customers are then a range of their index, counted from it alone.
    narrowed = narrow(qs, key="domain_id", apart=False) if narrow else qs
    if narrowed is not qs:  # a narrowing that keeps everyone's customers hands back `qs` itself (`owned_by`)
        return narrowed.count()
    kept, customers = LiveCustomerCount._meta.db_table, Customer._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE((SELECT live FROM {kept} LIMIT 1), "
            f"(SELECT COUNT(*) FROM {customers} WHERE removed_at IS NULL))"
        )
        return int(cursor.fetchone()[0])


#: Up to how many rows from the start `customers_lacking` walks the customers and probes for each.
PROBED_MOST = 10


def customers_lacking(*, having: QuerySet, upto: int | None = None) -> QuerySet[Customer]:
    """Customers still in the API whose domainId is not among `having` (a query of another app's rows keyed by
    domainId, e.g. the customers with billing details), in name order: another app's worklist of what they
    lack, without a join written outside this app.

    When only the first few rows are asked for (`upto`, at most PROBED_MOST: home's five), as NOT EXISTS: the
    database walks the live customers in name order and probes `having` for each until it has them, where a
    hash of every row of `having` costs as much as `having` is large. For more rows, or rows further in, a
    probe for each customer walked costs more than that hash, so `having` is hashed once (`python -m bench
    scale`: Finance's home, and the full list's pages)."""
    live = Customer.objects.filter(removed_at=None).order_by("sort_name", "domain_id")
    if upto is not None and upto <= PROBED_MOST:
        return live.filter(~Exists(having.filter(domain_id=OuterRef("domain_id"))))
    return live.exclude(domain_id__in=having)
