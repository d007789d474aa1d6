"""Reads of the customers cache. Never call the Partner API from here.

Also the reads that lists of customers' rows (options, subscriptions, option orders, invoice items) share:

* `customer_search(qs, q)`: rows whose customer matches a search. A search never reads the customers' wide
  rows: it reads `CustomerSearch`, a narrow table of each customer's search text, sort name and whether it is
  still in the API, which triggers on the customers table keep (see the model).
* `still_in_api(qs)`: rows of customers still in the API, the few removed ones excluded through their partial
  index (`Customer.Meta.indexes`), never a join to every customer.
* `live_and_found(qs, q)`: both at once, and `count_live_and_found(qs, q)` to count it for `lists.paginate`'s
  `count=`.
* `page_by_customer(...)`: a searched list of customers' rows in customer order, paged by customer
  (`lists.paginate_in_groups`).

Where the two databases' planners want different shapes for the same query, one named function chooses by
`connection.vendor` and says why (`_among`); the lists' tests run on both (SQLite by default, PostgreSQL in CI).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Any, NamedTuple

from django.conf import settings
from django.core.paginator import Page
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Greatest
from django.utils.translation import gettext_lazy as _

from accounts.selectors import people_with_role, person_label
from customers.models import (
    TRIAL_ENDED,
    Customer,
    CustomerOwner,
    CustomerSearch,
    CustomerSearchGram,
    LiveCustomerCount,
    normalise_search,
    trial_ended_q,
)
from customers.permissions import ASSIGN_OWNERS, VIEW_CUSTOMERS
from portal.core import clock
from portal.core.access import Role, can, check, role_of
from portal.core.lists import (
    Sorts,
    capped_count,
    coded,
    computed_first,
    counted_page,
    kept_while_walked,
    merged_count,
    page_number,
    paginate,
    paginate_in_groups,
    planned_apart,
)
from portal.core.vocabulary import Plan, Product, UsageState, translated
from schedule.sources import ScheduleFilters, schedule_sources


class Owner:
    """The Owner filter's values besides a person's id (the lists' one filter by who looks after a customer)."""

    EVERYONE = "all"
    MINE = "mine"
    UNASSIGNED = "none"


class Removed:
    EXCLUDE = ""
    INCLUDE = "include"
    ONLY = "only"


#: Sort keys offered on the list: the URL value and the column(s) it orders by.
SORTS = Sorts(
    {
        "company": ("sort_name", "domain_id"),
        "domain": ("domain", "domain_id"),
        "domain_id": ("domain_id",),
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
    owner: str = ""
    sort: str = SORTS.default


def _with_status_shown(qs: QuerySet, status: str) -> QuerySet:
    """Customers whose status *as shown* is `status` (models.shown_status): an Active customer whose trial ended
    before today reads "Trial ended", so it is found under that and not under Active."""
    trial_ended = trial_ended_q(clock.today())
    if status == TRIAL_ENDED:
        return qs.filter(trial_ended)
    qs = qs.filter(usage_status=status)
    return qs.exclude(trial_ended) if status == Customer.UsageState.ACTIVE else qs


def customer_list(*, user, filters: CustomerFilters, walked: bool = False) -> QuerySet[Customer]:
    """Customers matching the filters, in the requested order. One query when evaluated. `walked`: the Owner
    filter as a filter of each customer walked in the list's order (`owned_by(walked=True)`), for a page."""
    check(user, VIEW_CUSTOMERS)
    qs = customer_search(Customer.objects.all(), filters.q, prefix="")
    if filters.product:
        qs = qs.filter(product_id=filters.product)
    if filters.plan:
        qs = qs.filter(plan=filters.plan)
    if filters.status:
        qs = _with_status_shown(qs, filters.status)
    if filters.trial_within_days is not None:
        today = clock.today()
        qs = qs.filter(
            trial_ends_on__gte=today, trial_ends_on__lte=today + dt.timedelta(days=filters.trial_within_days)
        )
    if filters.scheduled:
        qs = qs.filter(has_scheduled_changes=True)
    if filters.removed == Removed.ONLY:
        qs = qs.exclude(removed_at=None)
    elif filters.removed != Removed.INCLUDE:
        qs = qs.filter(removed_at=None)
    qs = owned_by(qs, owner=filters.owner, user=user, key="domain_id", walked=walked)
    return SORTS.order(qs, filters.sort)


#: The columns the list page reads (fewer columns, cheaper rows).
LIST_FIELDS = (
    "domain_id",
    "company_name",
    "domain",
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
    """One page of the filtered list, whatever the page size; rows carry the LIST_FIELDS columns only.

    Searched in name order (the order it opens in): as every searched list pages (`page_by_customer`: the count
    up to the cap, the page's customers from the narrow search table in name order, then their rows).
    Otherwise counted apart (up to the cap), then one page read along the order's index: a window count makes
    the database read and sort every matching customer before the first row (`python -m bench scale`). Every
    customer still in the API, narrowed by nothing, is counted from the row the database keeps
    (`customer_total`)."""
    if filters.q and SORTS.clean(filters.sort).lstrip("-") == "company":  # without a search: no word, None
        by_name = page_by_customer(
            customer_list(user=user, filters=replace(filters, q="")),
            filters.q,
            sorts=SORTS,
            sort=filters.sort,
            page=page,
            per_page=per_page,
            fields=LIST_FIELDS,
            row=CustomerRow,
            key="domain_id",
            live=filters.removed == Removed.EXCLUDE,
            every_customer=_narrowed_by_search_only(filters, user=user),
        )
        if by_name is not None:
            return by_name
    every_live = (
        not filters.q and filters.removed == Removed.EXCLUDE and _narrowed_by_search_only(filters, user=user)
    )
    listed = customer_list(user=user, filters=filters)
    if every_live:
        # Every customer still in the API (the list as an Admin opens it): the row the database keeps.
        return paginate(
            listed,
            page=page,
            per_page=per_page,
            fields=LIST_FIELDS,
            row=CustomerRow,
            separate_count=True,
            count=customer_total,
        )
    if _owners_manager(filters.owner, user=user) is None:
        return paginate(
            listed, page=page, per_page=per_page, fields=LIST_FIELDS, row=CustomerRow, separate_count=True
        )
    walked = customer_list(user=user, filters=filters, walked=True)
    # An Account manager's customers: counted from the owners' index; the page's keys walked along the order's
    # index, each checked in a hash of the owner's customers (`owned_by(walked=True)`), in a subquery that stops
    # after the page; then those customers' rows. Joined to the owners instead, PostgreSQL probed their index
    # for each customer walked, many for each one listed (measured in 086db69's message).
    total = capped_count(listed)
    number = page_number(page, per_page, total)
    keys = walked.values("domain_id")[(number - 1) * per_page : number * per_page]
    rows = SORTS.order(Customer.objects.filter(domain_id__in=keys), filters.sort).values(*LIST_FIELDS)
    return counted_page([CustomerRow(**r) for r in rows], number=number, per_page=per_page, total=total)


def _narrowed_by_search_only(filters: CustomerFilters, *, user) -> bool:
    """Whether the list's customers are those its search finds, with or without the removed ones, and no others
    left out: no filter but the search and the Owner filter's everyone."""
    unfiltered = CustomerFilters(q=filters.q, sort=filters.sort, removed=filters.removed)
    if replace(filters, owner="") != unfiltered or filters.removed == Removed.ONLY:
        return False
    rows = Customer.objects.all()
    return owned_by(rows, owner=filters.owner, user=user, key="domain_id") is rows


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
        SyncRun.objects.filter(kind=CUSTOMER, scope=str(domain_id), started_at__gte=since)
        .exclude(status=SyncRun.Status.RUNNING)
        .order_by("-started_at")
        .first()
    )
    if run is not None and run.status != SyncRun.Status.FAILED:
        return RefreshState("done")  # a partial run read the customer; a section it missed says its own age
    if run is not None:
        return RefreshState("failed", "; ".join(e.get("error", "") for e in run.errors[:2]))
    if timezone.now() - since > dt.timedelta(seconds=settings.REFRESH_ON_OPEN_WAIT_SECONDS):
        return RefreshState("late")
    return RefreshState("waiting")


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
    qs = readable(Customer.objects.filter(_among("domain_id", found)), user=user, key="domain_id")
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


def customer_total(*, narrow=None) -> int:
    """The home page's figure: customers still in the API (whose work the home page shows: `narrow(qs, key=)`).

    Everyone's (no narrowing, or one that keeps every customer), in one query: the row the database keeps (`LiveCustomerCount`), which costs the same however
    many customers there are, or, without that row (a database emptied by TRUNCATE), the count of the customers
    (both databases evaluate COALESCE's second subquery only when the first is NULL)."""
    qs = Customer.objects.filter(removed_at=None)
    narrowed = narrow(qs, key="domain_id") if narrow else qs
    if narrowed is not qs:  # a narrowing that keeps everyone's customers hands back `qs` itself (`owned_by`)
        return narrowed.count()
    kept, customers = LiveCustomerCount._meta.db_table, Customer._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COALESCE((SELECT live FROM {kept} LIMIT 1), "
            f"(SELECT COUNT(*) FROM {customers} WHERE removed_at IS NULL))"
        )
        return int(cursor.fetchone()[0])


def oldest_copy() -> dt.datetime | None:
    """When the oldest copy of a customer still in the API was read (the metrics' oldest copy age): the first
    row of the `synced_at` index, past the few removed customers (`still_in_api`: filtered on `removed_at`
    instead, the database reads every live customer by that index and sorts them)."""
    return (
        still_in_api(Customer.objects.all(), key="domain_id")
        .order_by("synced_at")
        .values_list("synced_at", flat=True)
        .first()
    )


def oldest_copies(n: int, before: dt.datetime) -> list[int]:
    """The `n` customers still in the API whose copies, read before `before`, are oldest, oldest first (the
    continuous refresh's turn), along the live customers' (synced_at, domain_id) index."""
    return list(
        Customer.objects.filter(removed_at=None, synced_at__lt=before)
        .order_by("synced_at", "domain_id")
        .values_list("domain_id", flat=True)[:n]
    )


def copies_of(domain_ids: list[int]) -> dict[int, dt.datetime]:
    """When the copy of each of these customers still in the API was read (the refresh's needs)."""
    found: dict[int, dt.datetime] = {}
    for start in range(0, len(domain_ids), 500):
        found.update(
            Customer.objects.filter(
                domain_id__in=domain_ids[start : start + 500], removed_at=None
            ).values_list("domain_id", "synced_at")
        )
    return found


class Departure(NamedTuple):
    """When a customer stopped being one, as dated facts that later changes do not move: the cancellation
    date (None without one) and when it was removed from the API (None while it is there). A tuple: one is
    made for every customer at each check."""

    company_name: str
    withdrawal_date: dt.date | None
    removed_at: dt.datetime | None


def customer_departures() -> dict[int, Departure]:
    """Every customer the portal knows (removed ones included) with its departure dates, in one query: the
    billing check's reader of who was a customer in a past month."""
    return {
        row[0]: Departure(*row[1:])
        for row in Customer.objects.values_list("domain_id", "company_name", "withdrawal_date", "removed_at")
    }


class BilledCustomer(NamedTuple):
    """A customer as the billing estimate reads it: its names and codes, today's member count (what a plan billed
    by members is priced by) and its cancellation date (billed up to and including that day)."""

    domain_id: int
    company_name: str
    domain: str
    customer_code: str
    member_count: int | None
    withdrawal_date: dt.date | None


def customers_live() -> set[int]:
    """The domainIds of the customers still in the API (billing's kept estimate: who it keeps a copy of)."""
    return set(Customer.objects.filter(removed_at=None).values_list("domain_id", flat=True))


def customers_removed_since(moment: dt.datetime) -> set[int]:
    """The domainIds of the customers removed from the API at or after `moment`."""
    return set(Customer.objects.filter(removed_at__gte=moment).values_list("domain_id", flat=True))


def customers_billed(*, domain_ids: Sequence[int] | None = None) -> dict[int, BilledCustomer]:
    """The customers still in the API (or those of `domain_ids`), in one query: the billing estimate's reader of
    who is a customer and by how many members."""
    qs = Customer.objects.filter(removed_at=None)
    if domain_ids is not None:
        qs = qs.filter(domain_id__in=list(domain_ids))
    return {
        row[0]: BilledCustomer(*row)
        for row in qs.values_list(
            "domain_id", "company_name", "domain", "customer_code", "member_count", "withdrawal_date"
        )
    }


CSV_COLUMNS = (
    ("domain_id", _("Domain ID")),
    ("domain", _("Domain")),
    ("company_name", _("Company")),
    ("customer_code", _("Customer code")),
    *coded("product_id", _("Product"), Product),
    *coded("plan", _("Plan"), Plan),
    *coded("usage_status", _("Status"), UsageState),
    ("member_count", _("Members")),
    ("max_member_count", _("Maximum users")),
    ("trial_ends_on", _("Trial ends")),
    ("withdrawal_date", _("Cancellation date")),
    ("renewal_apply_date", _("Scheduled max-users change on")),
    ("renewal_max_member_count", _("Scheduled maximum users")),
    ("synced_at", _("Last synced (UTC)")),
    ("removed_at", _("Removed (UTC)")),
)


def still_in_api(qs: QuerySet, *, key: str = "customer_id") -> QuerySet:
    """Rows (options, subscriptions...) of customers still in the API: those not among the few removed ones,
    which a partial index lists. Joined to every customer instead, the database reads the customers table to
    filter, and can no longer walk the rows' own index in the list's order (`python -m bench.options list`)."""
    return qs.exclude(**{f"{key}__in": _removed()})


def _removed() -> QuerySet:
    return Customer.objects.filter(removed_at__isnull=False).values("domain_id")


def customers_found(q: str, *, live: bool = False) -> QuerySet | None:
    """The keys of the customers matching every word of `q` (company name, domain, customer code, domainId),
    only those still in the API if `live`; None when `q` has no word. Read from the narrow `CustomerSearch`
    table, not the customers' wide rows: each word is `text LIKE '%word%'`.

    On PostgreSQL a trigram index of the text (pg_trgm, GIN; customers migration 0012) finds the customers
    whose text holds every three-character run of a word of three characters or more (Japanese as well:
    pg_trgm hashes characters it does not class as letters), and only those texts are read and checked, so
    a search for one customer (a domain, a code, a name) reads the same few rows at any number of customers.
    A word of one or two characters has no trigram: alone, it is checked against every customer's short text
    (a scan of the narrow table, as on SQLite); beside a longer word, the longer word's trigrams narrow the
    rows and the short one is checked on those. Either way the answer is the same as without the index.

    A search for one word of two or three characters (a common company-name word such as サクラ or 富士 is one)
    reads the gram table instead (`CustomerSearchGram`, customers migration 0014; PostgreSQL only): the
    customers whose text holds the word are exactly the rows of that gram, which its indexes list in name order
    and in domainId order without reading a text. A searched list (`page_by_customer`) then walks the first to
    its page's customers and the second to the cap, and stops, however many customers share the word and
    wherever they sort (`python -m bench scale`, the lists searched by a common word; an unfiltered list of
    their rows counts by a merge of the second with the rows' customer index, `page_by_customer`). A longer
    word, or
    several, is searched as above: its count and page walk the search table, which for a longer word that
    many customers share is bounded by the cap but not flat (the lists searched by a legal form)."""
    found = _searched(q, live=live)
    return None if found is None else found.values("customer_id")


#: The lengths of the runs of characters `CustomerSearchGram` keeps (customers migration 0014).
GRAM_LENGTHS = (2, 3)


def _searched(q: str, *, live: bool) -> QuerySet | None:
    """The search table's rows (`CustomerSearch`) matching every word of `q`, or on PostgreSQL, for one word of
    a gram's length, the gram table's rows of that word (`CustomerSearchGram`): the same customers, under the
    same column names (`customer_id`, `sort_name`, `live`), so every reader of either composes alike."""
    needles = [needle for needle in map(normalise_search, q.split()) if needle]
    if not needles:
        return None
    if connection.vendor == "postgresql" and len(needles) == 1 and len(needles[0]) in GRAM_LENGTHS:
        grams = CustomerSearchGram.objects.filter(gram=needles[0])
        return grams.filter(live=True) if live else grams
    found = CustomerSearch.objects.filter(live=True) if live else CustomerSearch.objects.all()
    for needle in needles:
        found = found.filter(text__contains=needle)
    return found


def _among(key: str, found: QuerySet):
    """Rows whose `key` is among the customers `found`, in the shape each database plans well
    (`portal.core.lists.computed_first`: both shapes are tested, the lists' tests running on SQLite by default,
    on PostgreSQL in CI).

    Given `IN (subquery)`, PostgreSQL walks the list's order (the customers' name index) and probes the search
    table for each customer, hoping to stop after a page: a word whose customers sort last (青空) costs a walk
    of every customer. Computed first as an array, the customers found are a short list whose rows it reads.
    SQLite plans `IN (subquery)` that way by itself. `python -m bench.options list` times the searched lists on
    both databases."""
    return computed_first(key, found)


def customer_search(qs: QuerySet, q: str, *, prefix: str = "customer__") -> QuerySet:
    """Rows whose customer matches every word of `q` (see `customers_found`), for any list of things that belong
    to a customer (`prefix` is the path to the customer's domainId: "" for the customers themselves or rows
    keyed by a plain `domain_id`)."""
    found = customers_found(q)
    return qs if found is None else qs.filter(_among(f"{prefix}domain_id", found))


def live_and_found(
    qs: QuerySet, q: str, *, customer: int | None = None, joined: bool = False, joined_search: bool = False
) -> QuerySet:
    """Rows (of a model with a `customer` key) of customers still in the API that match the search `q`: without
    a search through `still_in_api`, so the database starts from the rows' own index; with one, the search
    table's `live` flag says which customers are still there. With `customer` (a domainId), that customer's
    rows alone, read by its key (the customer page's sections: never a text search for its domainId).

    `joined=True`: the query reads each row's customer anyway (its name) and its rows are few (the agenda's
    page): without a search, the joined customer's own `removed_at` says whether it is still there, instead of
    `still_in_api`'s subquery, which reads every removed customer's key on each query.

    `joined_search=True`: for a read walked in another order than the customers' (the agenda's first items, by
    date, up to one past the cap), the customers found are a subquery planned apart (`lists.planned_apart`):
    read once into a hash while the rows' date index is walked. As an array computed first (`_among`),
    PostgreSQL guessed a common word's customers at ten rows and probed the rows' customer index once per
    customer found; joined (`IN`), it checked a longer word once per row of the range (`python -m bench
    scale`, the agenda searched, by a legal form too)."""
    if customer is not None:
        qs = qs.filter(customer_id=customer)
    found = customers_found(q, live=True)
    if found is None:
        return qs.filter(customer__removed_at=None) if joined else still_in_api(qs)
    if joined_search:
        return qs.filter(customer_id__in=planned_apart(found))
    return qs.filter(_among("customer_id", found))


def count_live_and_found(qs: QuerySet, q: str) -> int:
    """How many rows `live_and_found(qs, q)` lists (`qs` with no join that repeats a row). With a search, the
    list itself is counted. Without one, in the shape each database counts from indexes alone (as `_among`,
    both shapes tested):

    * PostgreSQL: the rows with no removed customer (`NOT EXISTS`), which it counts as a merge of the rows'
      customer index with the removed customers' partial index, reading each once. All the rows less the
      removed customers' ones cost a probe of the rows' index per removed customer instead: two buffers each,
      the most of the Options list's work as it opens at 10,000 customers (`python -m bench scale`).
    * SQLite: all the rows less those of the removed customers, so that it counts a whole table from its b-tree
      without visiting a row.

    Counted up to the lists' cap (`lists.capped_count`: the database stops one row past it), but for SQLite's
    index counts, exact and cheap (the pager caps what it shows). Given to `lists.paginate` as `count=`."""
    if customers_found(q, live=True) is not None:
        return capped_count(live_and_found(qs, q))
    if connection.vendor == "postgresql":
        removed = Customer.objects.filter(removed_at__isnull=False, domain_id=OuterRef("customer_id"))
        return capped_count(qs.filter(~Exists(removed)))
    return qs.count() - qs.filter(customer_id__in=_removed()).count()


#: A short word is common, and a searched list counts its rows by a merge (`lists.merged_count`), when at least
#: one live customer in COMMON_SHARE has it, and COMMON_FLOOR customers: so many are spread over the whole key
#: range, and the merge walks a share of the rows' customer index that stays the same as the customers grow,
#: where probing each customer's rows would read two index pages per customer until the cap.
COMMON_SHARE = 100
COMMON_FLOOR = 100


def _common_word() -> QuerySet:
    """How many customers a short word must have to be common (`COMMON_SHARE`), from the row the database keeps
    (`LiveCustomerCount`): one value, read in the count's own query."""
    return LiveCustomerCount.objects.annotate(
        n=Greatest(Value(COMMON_FLOOR), F("live") / COMMON_SHARE)
    ).values("n")[:1]


def page_by_customer(
    rows: QuerySet,
    q: str,
    *,
    sorts: Sorts,
    sort: str,
    page: str | int | None,
    per_page: int,
    fields: Sequence[str] = (),
    row: Callable[..., Any] | None = None,
    key: str = "customer_id",
    live: bool = True,
    every_customer: bool = False,
) -> Page | None:
    """One page of the `rows` (filtered but not searched, keyed by a customer's domainId at `key`: options,
    subscriptions, or the customers themselves with `key="domain_id"`) of the customers that match the search
    `q` (only those still in the API if `live`), in the order `sort` of `sorts`, whose columns must start with
    the customer's sort name and domainId (then anything within a customer; "-" for the customers in reverse).
    None when `q` has no word to search by.

    The lists' rule for a search (docs/lists.md), in three queries, each stopping early:

    * the count, up to the cap (`lists.capped_count`): the rows of the customers found, `IN` a subquery of the
      search table (or of the gram table, `customers_found`), along the customer key, so the database stops one
      row past the cap however many customers have the word. The gram table's customers of an unfiltered list
      are counted by `lists.merged_count` instead: PostgreSQL, free to choose, probed the rows' customer index
      once per customer found (the Options list, a few options per customer), where a merge of the two indexes
      reads each page once; with a filter, checked on every row a merge walks, the probes cost less, and the
      planner chooses;
    * the groups: the customers found, in name order from the narrow search table (or the gram table's name
      index), each with its number of rows (one index probe each), only as many as the page needs
      (`lists.paginate_in_groups` with `total`). For a common word the database walks a name index and stops
      after the page's customers; a rare word's few customers are found by the trigram index and sorted (the
      planner chooses by the word's frequency, which ANALYZE samples);
    * the rows of those few customers.

    So the database never reads every customer a common word finds, nor sorts every matching row by a name read
    from the customers' wide rows (`python -m bench scale`, the lists searched by a common word).

    `every_customer=True`: `rows` are the customers themselves, narrowed by nothing but the search (and `live`):
    one row per customer found, so the count and the groups are read from the search table alone."""
    sort = sorts.clean(sort)
    prefix = "" if key == "domain_id" else key.removesuffix("_id") + "__"
    if sorts.columns[sort.lstrip("-")][:2] != (f"{prefix}sort_name", key):
        raise ValueError(f"{sort!r} does not list rows by customer, so they cannot be paged by customer")
    found = _searched(q, live=live)
    if found is None:
        return None
    way = "-" if sort.startswith("-") else ""
    if every_customer:
        total = capped_count(found)
        groups = found.annotate(n=Value(1)).order_by(f"{way}sort_name", f"{way}customer_id")
    else:
        if found.model is CustomerSearchGram and not rows.query.where:
            # A short word's customers, in domainId order, and every row of theirs: a merge of two index walks
            # when the word is common, the planner's probes when it is not.
            total = merged_count(
                rows,
                key=key,
                among=found.values("customer_id").order_by("customer_id"),
                merge_from=_common_word(),
            )
        else:
            total = capped_count(rows.filter(**{f"{key}__in": found.values("customer_id")}), along=key)
        mine = rows.filter(**{key: OuterRef("customer_id")}).order_by()
        per_customer = (
            mine.values(key)
            # COUNT(*), not COUNT(pk): PostgreSQL then counts from the customer key's index alone, where
            # COUNT(pk) makes it visit each row for its key.
            .annotate(n=Count("*"))
            .values("n")
        )
        groups = (
            found.filter(Exists(mine))
            .annotate(n=Subquery(per_customer))
            .order_by(f"{way}sort_name", f"{way}customer_id")
        )
    groups = groups.values_list("customer_id", "n")
    return paginate_in_groups(
        lambda limit: groups[:limit],
        lambda keys: sorts.order(rows.filter(**{f"{key}__in": keys}), sort),
        page=page,
        per_page=per_page,
        fields=fields,
        row=row,
        total=total,
    )


# --- Owners --------------------------------------------------------------------------------------------------


def portfolio_only(user) -> bool:
    """Whether `user` reads and changes only the customers they own: an Account manager when the setting
    `PORTFOLIO_ONLY` is on (the Owner filter is then not offered to them)."""
    return settings.PORTFOLIO_ONLY and role_of(user) == Role.ACCOUNT_MANAGER


def readable(qs: QuerySet, *, user, key: str = "customer_id") -> QuerySet:
    """Rows keyed by a customer's domainId at `key` that `user` may read at all: every read of one customer or
    its rows (its page, a subscription's or option's page, a change form) goes through it, so a customer outside
    an Account manager's portfolio (`portfolio_only`) is not found, the same as one that does not exist."""
    return owned_by(qs, owner=Owner.EVERYONE, user=user, key=key)


def owned_by(
    qs: QuerySet, *, owner: str, user, key: str = "customer_id", apart: bool = False, walked: bool = False
) -> QuerySet:
    """Rows (customers, or anything keyed by a customer's domainId at `key`) of the customers the Owner filter
    `owner` chooses: `Owner.MINE` (those whose Account manager is `user`; for a Support user, those whose
    support contact they are), `Owner.UNASSIGNED` (no Account manager), an Account manager's id (theirs), or
    everyone ("", `Owner.EVERYONE`, or anything else). Every list's Owner
    filter is this one condition, a subquery of the owners' index (`CustomerOwner.Meta.indexes`): no join, so
    it adds no query and no row to a list, and a list keeps its own index for its order. `apart`: the
    subquery planned apart (`lists.planned_apart`: its keys read once into a hash, not probed for each row
    read), as the worklist's sections read (`home.worklist.WorkContext.narrow`). `walked`: a filter of each row
    as a list walks its order's index (`lists.kept_while_walked`: the Customers list's page of "Mine").

    The one place of the portfolio rule: for a user who reads only their own customers (`portfolio_only`),
    every value is "Mine", so every list and every read (`readable`) keeps to them."""
    if portfolio_only(user):
        owner = Owner.MINE
    if owner == Owner.MINE and getattr(user, "pk", None) is not None and role_of(user) == Role.SUPPORT:
        supported = CustomerOwner.objects.filter(support_contact_id=user.pk).values("customer_id")
        return qs.filter(**{f"{key}__in": planned_apart(supported) if apart else supported})
    if owner == Owner.UNASSIGNED:
        assigned = CustomerOwner.objects.filter(account_manager__isnull=False).values("customer_id")
        return qs.exclude(**{f"{key}__in": assigned})
    manager_id = _owners_manager(owner, user=user)
    if manager_id is None:  # "Mine" of nobody signed in reads nothing; any other value, everyone's
        return qs.none() if owner == Owner.MINE else qs
    mine = CustomerOwner.objects.filter(account_manager_id=manager_id).values("customer_id")
    if walked:
        return qs.filter(kept_while_walked(key, mine))
    return qs.filter(**{f"{key}__in": planned_apart(mine) if apart else mine})


def _owners_manager(owner: str, *, user) -> int | None:
    """The Account manager whose customers the Owner filter `owner` keeps for `user` (`owned_by`'s rule), or
    None when it keeps another set (everyone, no one's, a Support user's own)."""
    if portfolio_only(user):
        owner = Owner.MINE
    if owner == Owner.MINE:
        return None if role_of(user) == Role.SUPPORT else getattr(user, "pk", None)
    if owner.isascii() and owner.isdigit() and len(owner) <= 18:
        return int(owner)
    return None


def customers_held(*, user, as_contact: bool = False) -> int:
    """How many customers `user` looks after as Account manager (or, `as_contact`, as support contact): what
    someone must take over when they are deactivated (a contributed `accounts.holdings.Holding`)."""
    role = "support_contact" if as_contact else "account_manager"
    return CustomerOwner.objects.filter(**{role: user}).count()


def adder_owns(added_by: int | None) -> bool:
    """Whether the user of id `added_by` owns a customer they add (an active Account manager), as
    `services.customer_owner_adder` decides: what the confirmation of adding one states."""
    return added_by is not None and added_by in dict(people_with_role(role=Role.ACCOUNT_MANAGER))


def owner_filter_default(user) -> str:
    """Where an Owner filter opens for `user` before they choose: an Account manager's own customers ("Mine",
    a choice they can change, never a wall), everyone's for the other roles ("": nothing is added to the
    list's query or links)."""
    return Owner.MINE if role_of(user) == Role.ACCOUNT_MANAGER else ""


def owner_views(user) -> list[tuple[str, str]]:
    """The Owner filter's values the home page offers `user`, naming nobody (home/worklist.py): an Admin the
    unassigned customers, their own or everyone's; Support their own (those whose support contact they are) or
    everyone's; nothing to the others (an Account manager's worklist is their own, Finance's everyone's)."""
    role = role_of(user)
    if role == Role.ADMIN:
        return [
            (Owner.UNASSIGNED, str(_("Unassigned"))),
            (Owner.MINE, str(_("Mine"))),
            (Owner.EVERYONE, str(_("Everyone's"))),
        ]
    if role == Role.SUPPORT:
        return [(Owner.MINE, str(_("Mine"))), (Owner.EVERYONE, str(_("Everyone's")))]
    return []


#: The Owner filter's choices that name nobody (declared once: read once per language, `translated`).
_OWNER_VIEWS = ((Owner.EVERYONE, _("Everyone")), (Owner.MINE, _("Mine")), (Owner.UNASSIGNED, _("Unassigned")))


def owner_choices() -> list[tuple[str, str]]:
    """The Owner filter's choices: everyone, mine, unassigned, then each active Account manager (one query)."""
    people = people_with_role(role=Role.ACCOUNT_MANAGER)
    text = translated()
    return [
        *((value, text(label)) for value, label in _OWNER_VIEWS),
        *((str(pk), label) for pk, label in people),
    ]


def customer_owner_get(*, user, domain_id: int) -> CustomerOwner | None:
    """Who looks after a customer (both people read with it), or None when nobody was ever assigned."""
    check(user, VIEW_CUSTOMERS)
    return (
        CustomerOwner.objects.select_related("account_manager", "support_contact")
        .filter(customer_id=domain_id)
        .first()
    )


def customer_owner_section(*, customer: Customer, user) -> dict:
    """Context of the customer page's "Owner" section: the two people (one query) and whether this user may
    change them."""
    owner = customer_owner_get(user=user, domain_id=customer.domain_id)

    def named(person) -> str:
        if person is None:
            return ""
        return person_label(
            username=person.username, first_name=person.first_name, last_name=person.last_name
        )

    return {
        "account_manager": named(owner and owner.account_manager),
        "support_contact": named(owner and owner.support_contact),
        "can_assign": can(user, ASSIGN_OWNERS),
    }


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


def customers_lacking(*, having: QuerySet) -> QuerySet[Customer]:
    """Customers still in the API whose domainId is not among `having` (a query of another app's rows keyed by
    domainId, e.g. the customers with billing details), in name order: another app's worklist of what they
    lack, without a join written outside this app."""
    return (
        Customer.objects.filter(removed_at=None)
        .exclude(domain_id__in=having)
        .order_by("sort_name", "domain_id")
    )
