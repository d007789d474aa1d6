"""The customer search, and the rows of customers still in the API: the reads that the lists of customers' rows
(customers, options, subscriptions, option orders, invoice items) share.

* `customer_search(qs, q)`: rows whose customer matches a search (`walked=True` for a list read along its own
  index whose rows are few for each customer). A search never reads the customers' wide
  rows: it reads `CustomerSearch`, a narrow table of each customer's search text, sort name and whether it is
  still in the API, which triggers on the customers table keep (see the model); for one short word, the gram
  table (`CustomerSearchGram`, `searched`).
* `still_in_api(qs)`: rows of customers still in the API, the few removed ones excluded through their partial
  index (`Customer.Meta.indexes`), never a join to every customer.
* `live_and_found(qs, q)`: both at once, and `count_live_and_found(qs, q)` to count it for `lists.paginate`'s
  `count=`.
* `found_whole(q)`: the customers found, for a reader that hashes them all (a common word's from its short lists).

Where the two databases' planners want different shapes for the same query, one named function chooses by
`connection.vendor` and says why (`among`); the lists' tests run on both (SQLite by default, PostgreSQL in CI).
"""

from __future__ import annotations

from django.db import connection
from django.db.models import BigIntegerField, Exists, Func, OuterRef, QuerySet

from customers.models import (
    Customer,
    CustomerSearch,
    CustomerSearchFound,
    CustomerSearchGram,
    CustomerSearchKept,
    carries_customer,
    normalise_search,
)
from portal.core.lists import (
    among_found,
    asked_once,
    capped_count,
    computed_first,
)


def still_in_api(qs: QuerySet, *, key: str = "customer_id") -> QuerySet:
    """Rows (options, subscriptions...) of customers still in the API: those not among the few removed ones,
    which a partial index lists. Joined to every customer instead, the database reads the customers table to
    filter, and can no longer walk the rows' own index in the list's order (`python -m bench.options list`)."""
    if carries_customer(qs.model, key):
        # The removal the rows carry (customers/carried.py): their partial indexes hold the live customers' alone.
        return qs.filter(customer_removed=False)
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

    A search for one word of two to four characters (a common company-name word such as サクラ or 富士, a legal
    form such as 株式会社) reads the gram table instead (`CustomerSearchGram`, customers migrations 0014 and
    0018; PostgreSQL only): the
    customers whose text holds the word are exactly the rows of that gram, which its indexes list in name order
    and in domainId order without reading a text. A searched list (`page_by_customer`) then walks the first to
    its page's customers and the second to the cap, and stops, however many customers share the word and
    wherever they sort (`python -m bench scale`, the lists searched by a common word; an unfiltered list of
    their rows counts by a merge of the second with the rows' customer index, `page_by_customer`). A longer
    word, or several, is searched as above: its count and page walk the search table, which for a longer word
    that many customers share is bounded by the cap but not flat."""
    found = searched(q, live=live)
    return None if found is None else found.values("customer_id")


#: The lengths of the runs of characters `CustomerSearchGram` keeps (customers migrations 0014 and 0018).
GRAM_LENGTHS = (2, 3, 4)


def searched(q: str, *, live: bool) -> QuerySet | None:
    """The search table's rows (`CustomerSearch`) matching every word of `q`, or on PostgreSQL, for one word of
    a gram's length, the gram table's rows of that word (`CustomerSearchGram`): the same customers, under the
    same column names (`customer_id`, `sort_name`, `live`), so every reader of either composes alike."""
    needles = _needles(q)
    if not needles:
        return None
    if word := _gram_word(needles):
        grams = CustomerSearchGram.objects.filter(gram=word)
        return grams.filter(live=True) if live else grams
    found = CustomerSearch.objects.filter(live=True) if live else CustomerSearch.objects.all()
    for needle in needles:
        found = found.filter(text__contains=needle)
    return found


def _needles(q: str) -> list[str]:
    """The words of a search, as the search text holds them (`normalise_search`)."""
    return [needle for needle in map(normalise_search, q.split()) if needle]


def _gram_word(needles: list[str]) -> str:
    """The one word the gram table answers for (PostgreSQL, one word of a gram's length), or ""."""
    if connection.vendor == "postgresql" and len(needles) == 1 and len(needles[0]) in GRAM_LENGTHS:
        return needles[0]
    return ""


def found_whole(q: str, *, live: bool = False) -> QuerySet | None:
    """`customers_found(q, live=live)` for a reader that reads every customer found into a hash (the month's
    findings and issued invoices searched, the Scheduled changes page's walks by date). For one word that many
    customers share (a legal form, a common company-name word: `CustomerSearchCommon`), their keys come from the
    word's short lists, a few rows of a few hundred customers each, where the gram table's index holds an entry
    per customer: the reader's hash then costs a few pages, not more as the customers grow (`python -m bench
    scale`, the findings and the calendar searched by a legal form). Any other search is `customers_found`'s.

    One read says which: while no change of the word is noted since its lists were made (the usual case: the
    upkeep makes them again within SEARCH_KEPT_MINUTES), the lists alone (`CustomerSearchKept`), each key
    given once; otherwise the view that adds the changes to them (`CustomerSearchFound`), which sorts every key
    to do so. Asked once for the reads of one page (`portal.core.lists.one_search`); a change committed between
    that read and the readers' is seen by the next request."""
    word = _gram_word(_needles(q))
    if not word:
        return customers_found(q, live=live)
    common, changed = asked_once(("found_whole", word), lambda: _common_and_changed(word))
    if not common:
        return customers_found(q, live=live)
    if not changed:
        kept = CustomerSearchKept.objects.filter(gram=word)
        listed = kept.filter(live=True) if live else kept
        return listed.values(
            customer_id=Func("domain_ids", function="unnest", output_field=BigIntegerField())
        )
    found = CustomerSearchFound.objects.filter(gram=word)
    return (found.filter(live=True) if live else found).values("customer_id")


def _common_and_changed(word: str) -> tuple[bool, bool]:
    """Whether `word` is a common word, and whether a change of its customers is noted since its lists were
    made."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT FROM customers_customersearchcommon WHERE gram = %s), "
            "EXISTS (SELECT FROM customers_customersearchkeptchange WHERE gram = %s)",
            [word, word],
        )
        common, changed = cursor.fetchone()
    return bool(common), bool(changed)


def among(key: str, found: QuerySet):
    """Rows whose `key` is among the customers `found`, in the shape each database plans well
    (`portal.core.lists.computed_first`: both shapes are tested, the lists' tests running on SQLite by default,
    on PostgreSQL in CI).

    Given `IN (subquery)`, PostgreSQL walks the list's order (the customers' name index) and probes the search
    table for each customer, hoping to stop after a page: a word whose customers sort last (青空) costs a walk
    of every customer. Computed first as an array, the customers found are a short list whose rows it reads.
    SQLite plans `IN (subquery)` that way by itself. `python -m bench.options list` times the searched lists on
    both databases."""
    return computed_first(key, found)


def customer_search(qs: QuerySet, q: str, *, prefix: str = "customer__", walked: bool = False) -> QuerySet:
    """Rows whose customer matches every word of `q` (see `customers_found`), for any list of things that belong
    to a customer (`prefix` is the path to the customer's domainId: "" for the customers themselves or rows
    keyed by a plain `domain_id`).

    `walked`: a list whose rows are few for each customer, read along its own order's index (the month's
    findings, issued invoices): the customers found named when they are few, else hashed as the index is
    walked (`portal.core.lists.among_found`; a common word's from its lists, `found_whole`), instead of
    computed first (`among`)."""
    found = found_whole(q) if walked else customers_found(q)
    if found is None:
        return qs
    key = f"{prefix}domain_id"
    return qs.filter(among_found(key, found) if walked else among(key, found))


def live_and_found(qs: QuerySet, q: str, *, customer: int | None = None, joined: bool = False) -> QuerySet:
    """Rows (of a model with a `customer` key) of customers still in the API that match the search `q`: without
    a search through `still_in_api`, so the database starts from the rows' own index; with one, the search
    table's `live` flag says which customers are still there. With `customer` (a domainId), that customer's
    rows alone, read by its key (the customer page's sections: never a text search for its domainId).

    `joined=True`: the query reads each row's customer anyway (its name) and its rows are few (the agenda's
    page): without a search, the joined customer's own `removed_at` says whether it is still there, instead of
    `still_in_api`'s subquery, which reads every removed customer's key on each query."""
    if customer is not None:
        qs = qs.filter(customer_id=customer)
    found = customers_found(q, live=True)
    if found is None:
        return (
            qs.filter(customer__removed_at=None)
            if joined and not carries_customer(qs.model)
            else still_in_api(qs)
        )
    return qs.filter(among("customer_id", found))


def live_walked(qs: QuerySet, q: str, *, customer: int | None = None) -> tuple[QuerySet, QuerySet | None]:
    """`live_and_found(qs, q, customer=customer)` in two parts, for reads walked in another order than the
    customers' that search by the same `q` together (the Scheduled changes page's walks by date,
    `schedule.sources.read_walks`): the rows, and the keys of the customers the search finds (still in the API;
    `found_whole`), which the reader narrows the rows by, reading them once for all its reads. Without a search,
    the rows of customers still in the API (`still_in_api`) and None."""
    if customer is not None:
        qs = qs.filter(customer_id=customer)
    found = found_whole(q, live=True)
    if found is None or carries_customer(qs.model):
        return still_in_api(qs), found
    return qs, found


def count_live_and_found(qs: QuerySet, q: str) -> int:
    """How many rows `live_and_found(qs, q)` lists (`qs` with no join that repeats a row). With a search, the
    list itself is counted. Without one, in the shape each database counts from indexes alone (as `among`,
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
