"""A word many customers share (a legal form, a common company-name word) has its customers kept by the database
as short lists (PostgreSQL, customers migration 0020): the pages that read every customer a search finds into a
hash read those lists. Whatever is written to the customers, and whether or not the lists were made again since,
such a search finds exactly the customers the gram table finds, and the pages list the same rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from customers.models import (
    Customer,
    CustomerSearch,
    CustomerSearchFound,
    CustomerSearchGram,
    CustomerSearchKept,
    normalise_search,
    search_text_for,
    sort_name_for,
)
from customers.selectors import customer_search, live_walked
from customers.selectors.search import found_whole
from customers.services.search_kept import search_common_words_join, search_kept_rebuild
from tests.customers.factories import make_customer

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the gram table and the common words' lists are PostgreSQL's"
)

#: The words the tests search: a legal form, a company-name word, one in a single customer's name only.
WORDS = ("株式会社", "サクラ", "商事", "工業")


def _by_grams(q: str, *, live: bool) -> list[int]:
    found = CustomerSearchGram.objects.filter(gram=normalise_search(q))
    return sorted((found.filter(live=True) if live else found).values_list("customer_id", flat=True))


def _whole(q: str, *, live: bool) -> list[int]:
    found = found_whole(q, live=live)
    assert found is not None
    return sorted(found.values_list("customer_id", flat=True))


def _changes() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM customers_customersearchkeptchange")
        return cursor.fetchone()[0]


def _assert_exact() -> None:
    for q in WORDS:
        for live in (False, True):
            assert _whole(q, live=live) == _by_grams(q, live=live), (q, live)


@pytest.fixture
def common(db):
    """Customers whose names share a legal form and a company-name word, both made common words."""
    made = [
        make_customer(company_name="株式会社サクラ商事"),
        make_customer(company_name="サクラ工業株式会社"),
        make_customer(company_name="株式会社富士"),
        make_customer(company_name="さくら屋", removed_at=timezone.now()),
        make_customer(company_name="青空商店"),
    ]
    assert search_common_words_join(least=2) >= 2
    return made


def test_a_common_word_is_read_from_its_lists_and_finds_what_the_gram_table_finds(common):
    for q in ("株式会社", "サクラ"):
        assert found_whole(q, live=True).model is CustomerSearchKept, q  # no change since: the lists alone
    assert found_whole("工業", live=True).model is CustomerSearchGram  # one customer: not common
    assert _whole("株式会社", live=True) == sorted(c.domain_id for c in common[:3])
    _assert_exact()


def test_customers_that_come_change_and_leave_are_found_as_they_are_now_before_and_after_the_lists_are_remade(
    common,
):
    first, second, third, removed, plain = common
    make_customer(company_name="株式会社青葉")  # comes
    text = search_text_for(
        company_name="サクラ工業", domain=second.domain, customer_code="", domain_id=second.domain_id
    )
    Customer.objects.filter(pk=second.pk).update(  # renamed: the legal form dropped
        company_name="サクラ工業", search_text=text, sort_name=sort_name_for("サクラ工業")
    )
    Customer.objects.filter(pk=third.pk).update(removed_at=timezone.now())  # leaves the API
    Customer.objects.filter(pk=removed.pk).update(removed_at=None)  # comes back
    Customer.objects.filter(pk=first.pk).delete()  # deleted
    Customer.objects.filter(pk=plain.pk).update(company_name="青空商店")  # written again, unchanged

    assert _changes() > 0
    assert found_whole("株式会社", live=True).model is CustomerSearchFound  # the lists and the changes
    _assert_exact()
    # Every common word some customer changed (the domains' runs of characters too, at two customers).
    assert search_kept_rebuild() >= 2
    assert _changes() == 0
    _assert_exact()
    assert found_whole("株式会社", live=True).model is CustomerSearchKept
    assert len(_whole("株式会社", live=True)) == 1  # 株式会社青葉 alone: the others renamed, removed, deleted


def test_a_page_reading_a_common_word_s_customers_into_a_hash_reads_its_lists_not_the_gram_table(common):
    with CaptureQueriesContext(connection) as queries:
        rows = sorted(
            customer_search(Customer.objects.all(), "株式会社", prefix="", walked=True).values_list(
                "domain_id", flat=True
            )
        )
    sqls = " ".join(q["sql"] for q in queries.captured_queries)
    assert "unnest" in sqls and "customersearchgram" not in sqls, sqls
    assert rows == _by_grams("株式会社", live=False)

    live, found = live_walked(Customer.objects.all(), "サクラ")
    assert found is not None and found.model is CustomerSearchKept
    assert sorted(live.filter(domain_id__in=found).values_list("domain_id", flat=True)) == _by_grams(
        "サクラ", live=True
    )


def test_the_lists_are_emptied_with_the_search_table_and_what_is_written_after_is_found(common):
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {CustomerSearch._meta.db_table}")
    assert not CustomerSearchFound.objects.exists()
    Customer.objects.all().delete()
    latest = make_customer(company_name="株式会社みどり")
    assert _whole("株式会社", live=True) == [latest.domain_id]
    _assert_exact()


def test_a_word_joins_the_common_ones_once_enough_customers_hold_it(common):
    assert found_whole("工業", live=False).model is CustomerSearchGram
    make_customer(company_name="富士工業")
    assert search_common_words_join(least=2) >= 1  # 工業 among them; the others are common already
    assert found_whole("工業", live=False).model is CustomerSearchKept
    _assert_exact()


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_and_its_reversal_keep_the_search_as_it_was():
    """Migration 0020 goes back (its tables, triggers and view dropped) and forward again on a database with
    customers: the words these few customers share stay below the common count, and once one joins it finds
    the customers the gram table finds."""
    from tests.fixtures.migrations import migrate, migrate_to_latest

    make_customer(company_name="株式会社さくら")
    make_customer(company_name="株式会社もみじ")
    try:
        migrate([("customers", "0019_operations_carry_customer")])
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('customers_customersearchfound')")
            assert cursor.fetchone()[0] is None
        migrate_to_latest()
        assert found_whole("株式会社", live=True).model is CustomerSearchGram  # two customers: not common
        assert search_common_words_join(least=2) >= 1
        assert found_whole("株式会社", live=True).model is CustomerSearchKept
        _assert_exact()
    finally:
        migrate_to_latest()
