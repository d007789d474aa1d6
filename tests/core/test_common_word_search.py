"""The lists' rule for a search (docs/lists.md): a word most customers share counts up to the cap
("More than N match") and shows its matches in name order, page after page, on every list of customers' rows
(customers, subscriptions, options), in a constant number of queries; a rare word is counted exactly."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from customers import selectors as customers
from customers.selectors import CustomerFilters
from options.selectors import OptionFilters, option_page
from portal.core.access import Role
from subscriptions.selectors import SubscriptionFilters, subscription_page
from tests.customers.factories import make_customer
from tests.options.factories import make_option
from tests.subscriptions.factories import make_subscription

pytestmark = pytest.mark.django_db

#: Customers with the common word, in name order once the legal form is set aside (docs/lists.md).
SAKURA = [f"Sakura Trading {i:02}" for i in range(9)]


@pytest.fixture
def firms(settings):
    settings.LIST_COUNT_CAP = 4
    names = [*SAKURA, "Aoba Foods", "Midori Foods", "Zenith Works", "Hikari Denki"]
    # Created out of name order, some under a legal form that sorts them apart from their name otherwise.
    for n, name in enumerate(reversed(names)):
        customer = make_customer(company_name=f"株式会社{name}" if n % 3 == 0 else name)
        make_option(customer)
        make_subscription(customer)


def _names(page, attr):
    return [getattr(row, attr).removeprefix("株式会社") for row in page.object_list]


@pytest.mark.parametrize("q", ["sakura", "kur", "ak"])  # on PostgreSQL the short words read the gram table
@pytest.mark.parametrize("number", [1, 2, 9])
def test_a_common_word_is_counted_to_the_cap_and_listed_in_name_order_on_every_list(
    firms, admin_user, number, q
):
    shown = SAKURA[(min(number, 2) - 1) * 3 : min(number, 2) * 3]  # the pages within the cap: two of three
    pages = {
        "company_name": customers.customer_page(
            user=admin_user, filters=CustomerFilters(q=q), page=number, per_page=3
        ),
        "customer__company_name": option_page(
            user=admin_user, filters=OptionFilters(q=q), page=number, per_page=3
        ),
    }
    subscriptions = subscription_page(
        user=admin_user, filters=SubscriptionFilters(q=q), page=number, per_page=3
    )
    for attr, page in pages.items():
        assert page.capped and page.paginator.count == 4 and page.paginator.num_pages == 2, attr
        assert page.number == min(number, 2)
        assert _names(page, attr) == shown, attr
    assert subscriptions.capped and subscriptions.paginator.count == 4
    assert [s.customer.company_name.removeprefix("株式会社") for s in subscriptions.object_list] == shown


def test_a_rare_word_is_counted_exactly(firms, admin_user):
    page = customers.customer_page(user=admin_user, filters=CustomerFilters(q="foods"), page=1, per_page=3)
    assert not page.capped and page.paginator.count == 2
    assert _names(page, "company_name") == ["Aoba Foods", "Midori Foods"]


@pytest.mark.parametrize("q", ["sakura", "zenith", "kur", "zen"])
def test_a_searched_list_reads_in_the_same_queries_whatever_it_finds(
    firms, admin_user, q, django_assert_num_queries
):
    from customers.permissions import VIEW_CUSTOMERS
    from portal.core.access import can

    can(admin_user, VIEW_CUSTOMERS)
    with django_assert_num_queries(
        3
    ):  # the count up to the cap, the page's customers in name order, their rows
        list(
            customers.customer_page(
                user=admin_user, filters=CustomerFilters(q=q), page=2, per_page=3
            ).object_list
        )


@pytest.mark.parametrize("url", ["customers:list", "options:list", "subscriptions:list"])
def test_a_common_word_says_more_than_the_cap_in_both_languages(firms, client_as, url):
    client = client_as(Role.ADMIN)
    english = client.get(reverse(url), {"q": "sakura"}).content.decode()
    assert "More than 4 match" in english and "Sakura Trading 00" in english
    japanese = client.get(reverse(url), {"q": "sakura"}, headers={"Accept-Language": "ja"}).content.decode()
    assert "該当が4件を超えています" in japanese and "Sakura Trading 00" in japanese


@pytest.mark.parametrize("q", ["sakura", "kur"])  # the search table, and on PostgreSQL the gram table
def test_a_searched_lists_groups_count_each_customers_rows_once(firms, admin_user, q):
    """The page's customers, in name order, each with its number of rows: each customer's rows are counted
    once, and a customer without rows is left out by its count, not by an EXISTS beside it that probed the
    same rows again (the most of a searched list's work once its page is full). Same page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        page = option_page(user=admin_user, filters=OptionFilters(q=q), page=1, per_page=3)
    assert _names(page, "customer__company_name") == SAKURA[:3]
    groups = [x["sql"] for x in ctx.captured_queries if 'COUNT(*) AS "n"' in x["sql"]]
    assert len(groups) == 1 and "EXISTS" not in groups[0], groups


@pytest.mark.parametrize("url", ["customers:list", "options:list", "subscriptions:list"])
def test_a_searched_list_counts_to_the_smaller_search_cap(firms, client_as, settings, url):
    """A search counts to LIST_SEARCH_COUNT_CAP (a word as common as a legal form finds most of a large
    partner's customers): past it the page says "more than", where the same list unsearched, counted to the
    lists' cap, says how many there are; the download still holds every row found."""
    settings.LIST_COUNT_CAP, settings.LIST_SEARCH_COUNT_CAP = 20, 3
    client = client_as(Role.ADMIN)
    searched = client.get(reverse(url), {"q": "sakura"}).content.decode()
    assert "More than 3 match" in searched and "Sakura Trading 00" in searched
    assert "Add a word to narrow the search, or download every row found." in searched
    japanese = client.get(reverse(url), {"q": "sakura"}, headers={"Accept-Language": "ja"}).content.decode()
    assert "該当が3件を超えています" in japanese and "検索語を加えて絞り込むか" in japanese
    unsearched = client.get(reverse(url)).content.decode()
    count = re.search(r'data-testid="result-count"[^>]*>([^<]*)<', unsearched)
    assert count and count.group(1).strip().startswith("13 "), count
    rare = client.get(reverse(url), {"q": "foods"}).content.decode()
    assert "More than" not in rare and "Aoba Foods" in rare and "Midori Foods" in rare
    app = url.split(":")[0]
    download = client.get(reverse(f"{app}:export"), {"q": "sakura"})
    assert b"".join(download.streaming_content).decode("utf-8-sig").count("Sakura Trading") == 9


def test_a_list_past_the_cap_unsearched_asks_for_no_narrower_search(firms, client_as, settings):
    settings.LIST_COUNT_CAP = 3
    body = client_as(Role.ADMIN).get(reverse("customers:list")).content.decode()
    assert "More than 3 match" in body and 'data-testid="narrow-search"' not in body


def test_the_search_cap_never_raises_the_lists_cap(firms, admin_user, settings):
    settings.LIST_COUNT_CAP, settings.LIST_SEARCH_COUNT_CAP = 4, 50
    page = customers.customer_page(user=admin_user, filters=CustomerFilters(q="sakura"), page=1, per_page=3)
    assert page.capped and page.paginator.count == 4
