"""The customers' search text lives in a narrow table the database keeps (customers.CustomerSearch, kept by
triggers): whichever way a customer's row is written, a search finds what the row says now, and a removed
customer drops out of the lists of live customers' rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.utils import timezone

from customers import selectors, services
from customers.models import Customer, CustomerSearch, normalise_search, search_text_for, sort_name_for
from customers.selectors import CustomerFilters, Removed, live_and_found, search
from options.models import Option
from tests.customers.factories import make_customer
from tests.fixtures.migrations import migrate, migrate_to_latest


def _found(user, q: str, **filters) -> list[int]:
    rows = selectors.customer_list(user=user, filters=CustomerFilters(q=q, **filters))
    return [c.domain_id for c in rows]


def _live_options(q: str) -> list[int]:
    return sorted(o.customer_id for o in live_and_found(Option.objects.all(), q))


def _option(customer: Customer) -> Option:
    return Option.objects.create(
        customer=customer,
        option_product_id="SSTG2",
        sub_option_id="SSTG201",
        quantity=1,
        plan="ANNUAL_LICENSE",
        plan_start_date="2026-04-01",
        plan_end_date="2027-03-31",
        trial=False,
        synced_at=timezone.now(),
    )


def test_a_renamed_customer_is_found_by_its_new_name_only(support):
    customer = make_customer(company_name="株式会社ミドリ物産")
    assert _found(support, "みどり") == [customer.domain_id]
    # The resync writes rows with update() (customers.services), not save().
    Customer.objects.filter(pk=customer.pk).update(
        company_name="株式会社アオバ物産",
        search_text=search_text_for(
            company_name="株式会社アオバ物産",
            domain=customer.domain,
            customer_code="",
            domain_id=customer.domain_id,
        ),
    )
    assert _found(support, "みどり") == []
    assert _found(support, "アオバ") == [customer.domain_id]


def test_the_search_table_keeps_the_name_customers_sort_by(support):
    """The narrow table lays out searched lists in name order (selectors.page_by_customer): its sort name follows
    the customer's, whether the row is saved, updated in SQL or written in bulk."""

    def sort_name(domain_id: int) -> str:
        return CustomerSearch.objects.get(customer_id=domain_id).sort_name

    customer = make_customer(company_name="株式会社ミドリ物産")
    assert sort_name(customer.domain_id) == Customer.objects.get(pk=customer.pk).sort_name == "みどり物産"
    Customer.objects.filter(pk=customer.pk).update(sort_name=sort_name_for("アオバ物産株式会社"))
    assert sort_name(customer.domain_id) == "あおば物産"
    customer.company_name = "Sakura Trading Co., Ltd."
    customer.save()
    assert sort_name(customer.domain_id) == "sakuratrading"
    bulk = Customer(
        domain_id=70_000_003,
        domain="bulk.example.jp",
        company_name="合同会社ひかり",
        synced_at=timezone.now(),
    )
    bulk.refresh_derived()
    Customer.objects.bulk_create([bulk])
    assert sort_name(70_000_003) == "ひかり"


def test_a_new_domain_is_searchable_at_once(support):
    customer = make_customer(domain="old-name.example.jp")
    services.customer_domain_set(domain_id=customer.domain_id, domain="new-name.example.jp")
    assert _found(support, "new-name") == [customer.domain_id]
    assert _found(support, "old-name") == []


def test_customers_written_in_bulk_are_found(support):
    rows = [
        Customer(
            domain_id=domain_id, domain=f"bulk{domain_id}.example.jp", company_name=f"北斗工業{domain_id}"
        )
        for domain_id in (70_000_001, 70_000_002)
    ]
    for row in rows:
        row.synced_at = timezone.now()
        row.refresh_derived()
    Customer.objects.bulk_create(rows)
    assert _found(support, "北斗工業") == [70_000_001, 70_000_002]


def test_a_removed_customer_leaves_the_live_lists_but_not_the_customers_list(support):
    kept = make_customer(company_name="富士システム1")
    gone = make_customer(company_name="富士システム2")
    _option(kept), _option(gone)
    assert _live_options("富士") == [kept.domain_id, gone.domain_id]

    services.customer_mark_removed(domain_id=gone.domain_id)
    assert _live_options("富士") == [kept.domain_id]
    assert _found(support, "富士") == [kept.domain_id]
    assert _found(support, "富士", removed=Removed.ONLY) == [gone.domain_id]

    # Back in the API: the next resync clears removed_at, and the customer is live again.
    Customer.objects.filter(pk=gone.pk).update(removed_at=None)
    assert _live_options("富士") == [kept.domain_id, gone.domain_id]


def test_a_deleted_customer_leaves_no_search_row(db):
    customer = make_customer()
    assert CustomerSearch.objects.filter(customer_id=customer.domain_id).exists()
    Customer.objects.filter(pk=customer.pk).delete()
    assert not CustomerSearch.objects.filter(customer_id=customer.domain_id).exists()


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_copies_the_customers_already_cached():
    old = migrate([("customers", "0005_worklist_derived_columns")])
    try:
        Customer = old.get_model("customers", "Customer")
        now = timezone.now()
        Customer.objects.create(domain_id=1, domain="a.example.jp", search_text="かもめ", synced_at=now)
        Customer.objects.create(
            domain_id=2, domain="b.example.jp", search_text="ひばり", synced_at=now, removed_at=now
        )
        new = migrate([("customers", "0006_customer_search")])
        rows = new.get_model("customers", "CustomerSearch").objects.order_by("customer_id")
        assert [(r.customer_id, r.text, r.live) for r in rows] == [(1, "かもめ", True), (2, "ひばり", False)]
        # 0007 adds the sort name: copied for the customers already there, then kept by the new triggers.
        Customer.objects.filter(domain_id=1).update(sort_name="かもめ")
        Customer.objects.filter(domain_id=2).update(sort_name="ひばり")
        newer = migrate([("customers", "0007_customer_search_sort_name")])
        Search = newer.get_model("customers", "CustomerSearch")
        assert list(Search.objects.order_by("customer_id").values_list("sort_name", flat=True)) == [
            "かもめ",
            "ひばり",
        ]
        newer.get_model("customers", "Customer").objects.filter(domain_id=1).update(sort_name="つばめ")
        assert Search.objects.get(customer_id=1).sort_name == "つばめ"
        # And back: 0006's triggers again, which know no sort name.
        older = migrate([("customers", "0006_customer_search")])
        older.get_model("customers", "Customer").objects.filter(domain_id=2).update(search_text="すずめ")
        assert older.get_model("customers", "CustomerSearch").objects.get(customer_id=2).text == "すずめ"
    finally:
        migrate_to_latest()


def test_another_database_is_refused_with_a_reason():
    import importlib
    from types import SimpleNamespace

    from django.db import NotSupportedError

    migration = importlib.import_module("customers.migrations.0006_customer_search")
    editor = SimpleNamespace(connection=SimpleNamespace(vendor="mysql", display_name="MySQL"))
    with pytest.raises(NotSupportedError, match="SQLite or PostgreSQL, not MySQL"):
        migration.install(None, editor)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("桜", ["sakura-a", "sakura-b"]),  # one character: no trigram, every text is checked
        ("ab", ["abc"]),  # two characters
        ("桜 xy", ["sakura-b"]),  # a short word beside a longer one
        ("サクラ", ["sakura-kana"]),  # katakana found as hiragana (the text is folded)
        ("桜商事", ["sakura-a"]),
        ("%", []),  # LIKE's wildcards are searched for as characters
        ("_", []),
        ("kura-k", ["sakura-kana"]),
    ],
)
def test_words_of_any_length_find_the_same_customers_on_every_database(support, q, expected):
    """On PostgreSQL a trigram index serves the search (customers migration 0012); a word too short for a trigram,
    or a mix of short and long words, finds exactly what it finds without the index (SQLite)."""
    made = {
        "sakura-a": make_customer(company_name="株式会社桜商事", domain="sakura-a.example.jp"),
        "sakura-b": make_customer(company_name="桜工業", domain="xyz.example.jp"),
        "sakura-kana": make_customer(company_name="さくらテック", domain="sakura-kana.example.jp"),
        "abc": make_customer(company_name="ABC Trading", domain="abc.example.jp"),
    }
    by_id = {c.domain_id: key for key, c in made.items()}
    assert sorted(by_id[i] for i in _found(support, q) if i in by_id) == sorted(expected)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram index is PostgreSQL's")
def test_the_search_text_has_a_trigram_index_on_postgresql(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s", [CustomerSearch._meta.db_table]
        )
        definitions = [row[0] for row in cursor.fetchall()]
    assert any("gin" in d and "gin_trgm_ops" in d for d in definitions), definitions


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the gram table is PostgreSQL's"
)


def _by_like(q: str, *, live: bool) -> list[int]:
    """The customers a word finds by `LIKE` over the search table: what the search answered before the gram table."""
    found = CustomerSearch.objects.filter(text__contains=normalise_search(q))
    return sorted((found.filter(live=True) if live else found).values_list("customer_id", flat=True))


@pytest.fixture
def written_every_way(db):
    """Customers whose search text and sort name were written each way the portal writes them."""
    made = [
        make_customer(company_name="株式会社サクラ商事", domain="sakura.example.jp"),
        make_customer(company_name="さくら工業", domain="koka.example.jp"),
        make_customer(company_name="富士サクラ", domain="fuji.example.jp", removed_at=timezone.now()),
        make_customer(company_name="Xa", domain="b.example.jp"),  # "ab" across two lines: not found
        make_customer(company_name="ABC 100%", domain="abc.example.jp", customer_code="AB-1"),
    ]
    renamed, deleted = make_customer(company_name="桜井商店"), make_customer(company_name="さくら屋")
    text = search_text_for(
        company_name="富士見さくら", domain=renamed.domain, customer_code="", domain_id=renamed.domain_id
    )
    Customer.objects.filter(pk=renamed.pk).update(
        company_name="富士見さくら", search_text=text, sort_name=sort_name_for("富士見さくら")
    )
    Customer.objects.filter(pk=deleted.pk).delete()
    Customer.objects.filter(pk=made[1].pk).update(removed_at=timezone.now())  # removed: live only
    Customer.objects.filter(pk=made[2].pk).update(removed_at=None)  # back in the API
    return made


@postgresql_only
@pytest.mark.parametrize(
    "q",
    [
        "さくら",
        "サクラ",
        "富士",
        "ab",
        "AB",
        "0%",
        "%",
        "a",
        "商事",
        "くら工",
        "株式会社",
        "サクラ商事",
        "e.jp",
    ],
)
def test_a_short_word_is_read_from_the_gram_table_and_finds_what_like_finds(written_every_way, q):
    """One word of two to four characters is answered by the gram table (customers migrations 0014 and 0018), kept
    by the database through inserts, renames, removals, returns and deletes; it finds exactly what `LIKE` finds
    (a longer word, the search table)."""
    from customers.models import CustomerSearchGram

    for live in (False, True):
        searched = search.searched(q, live=live)
        assert searched is not None
        assert (searched.model is CustomerSearchGram) == (len(normalise_search(q)) in selectors.GRAM_LENGTHS)
        found = selectors.customers_found(q, live=live)
        assert sorted(found.values_list("customer_id", flat=True)) == _by_like(q, live=live), (q, live)
    assert _by_like("さくら", live=False)  # the words do find customers


@postgresql_only
def test_a_common_short_word_lists_and_counts_along_the_gram_table(written_every_way, support):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(db) as queries:
        page = selectors.customer_page(user=support, filters=CustomerFilters(q="さくら"), page=1, per_page=25)
    searched = [q["sql"] for q in queries.captured_queries if "customersearch" in q["sql"]]
    assert searched and all("customersearchgram" in sql and "LIKE" not in sql for sql in searched), searched
    names = [row.company_name for row in page.object_list]
    assert names == ["株式会社サクラ商事", "富士サクラ", "富士見さくら"]  # by name, the legal form set aside
    assert page.paginator.count == 3


@postgresql_only
def test_the_gram_table_is_emptied_with_the_search_table(written_every_way):
    from customers.models import CustomerSearchGram

    assert CustomerSearchGram.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {CustomerSearch._meta.db_table}")
    assert not CustomerSearchGram.objects.exists()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_upgrade_copies_the_grams_of_the_customers_already_cached():
    old = migrate([("customers", "0013_customer_search_by_name")])
    try:
        old.get_model("customers", "Customer").objects.create(
            domain_id=7, domain="a.example.jp", search_text="さくら\na.example.jp", synced_at=timezone.now()
        )
        migrate([("customers", "0014_customer_search_grams")])
        assert search.searched("サクラ", live=True) is not None
        assert list(selectors.customers_found("サクラ", live=True).values_list("customer_id", flat=True)) == [
            7
        ]
        assert list(selectors.customers_found("ex", live=True).values_list("customer_id", flat=True)) == [7]
        assert not selectors.customers_found("らa", live=True).exists()  # no gram across the text's lines
    finally:
        migrate_to_latest()


@postgresql_only
@pytest.mark.django_db(transaction=True)
def test_the_upgrade_adds_the_four_character_grams_of_the_customers_already_cached():
    old = migrate([("customers", "0017_manager_section_indexes")])
    try:
        old.get_model("customers", "Customer").objects.create(
            domain_id=7,
            domain="a.example.jp",
            search_text="株式会社さくら\na.example.jp",
            synced_at=timezone.now(),
        )
        assert not old.get_model("customers", "CustomerSearchGram").objects.filter(gram="株式会社").exists()
        migrate([("customers", "0018_customer_search_four_char_grams")])
        found = selectors.customers_found("株式会社", live=True)
        assert found.model.__name__ == "CustomerSearchGram"
        assert list(found.values_list("customer_id", flat=True)) == [7]
        assert list(selectors.customers_found("mple", live=True).values_list("customer_id", flat=True)) == [7]
        assert not selectors.customers_found("さくらa", live=True).exists()  # no run across the text's lines
    finally:
        migrate_to_latest()


@postgresql_only
@pytest.mark.parametrize("cap", [3, 4, 5, 6])
def test_a_short_words_lists_count_every_row_of_its_live_customers_up_to_the_cap(
    written_every_way, support, settings, cap
):
    """The Options and Subscriptions lists searched by a short word count along the gram table
    (`portal.core.lists.merged_count`, unfiltered; `capped_count` filtered): the rows of the live customers
    that have the word, however many rows each has (none, one, several), the rows of the customers around
    them in domainId order left out, exact below the cap and "more than the cap" past it."""
    from options.selectors import OptionFilters, option_page
    from subscriptions.selectors import SubscriptionFilters, subscription_page
    from tests.options.factories import make_option
    from tests.subscriptions.factories import make_subscription

    settings.LIST_COUNT_CAP = cap
    sakura, removed, back, xa, abc = written_every_way
    renamed = Customer.objects.get(company_name="富士見さくら")
    products = [("SSTG2", "SSTG201"), ("ACV2", "ACV201"), ("BCT", "BCT01")]
    rows = {sakura: 3, removed: 2, back: 0, renamed: 2, xa: 1, abc: 3}
    for customer, n in rows.items():
        for option_id, sub in products[:n]:
            make_option(customer, option_product_id=option_id, sub_option_id=sub)
            make_subscription(customer)
    for q, expected in (("さくら", 5), ("富士", 2), ("ab", 3), ("くら工", 0)):
        assert Option.objects.filter(customer_id__in=_by_like(q, live=True)).count() == expected
        options = option_page(user=support, filters=OptionFilters(q=q), page=1, per_page=25)
        subscriptions = subscription_page(user=support, filters=SubscriptionFilters(q=q), page=1, per_page=25)
        for page in (options, subscriptions):
            assert (page.paginator.count, page.capped) == (min(expected, cap), expected > cap), (q, page)
            assert len(page.object_list) == expected  # the first page shows its rows, capped or not
        paid = option_page(user=support, filters=OptionFilters(q=q, option="ACV2"), page=1, per_page=25)
        assert paid.paginator.count == {"さくら": 2, "富士": 1, "ab": 1, "くら工": 0}[q]
