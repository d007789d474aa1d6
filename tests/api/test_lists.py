"""An API list is its page's list: the same rows in the same order for the same filters, sort and page (the
page's own form, selector and pager), for no more queries than the page. Its answer says the count (to the
lists' cap), whether it is capped, and the pages."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from portal.core.access import Role
from tests.customers.factories import make_customer
from tests.fixtures.personas import make_persona
from tests.subscriptions.factories import make_subscription

pytestmark = pytest.mark.django_db

#: (page, API endpoint, the query both take, the row attribute the page shows and the key the API gives)
LISTS = [
    ("/customers/", "/api/v1/customers", {"sort": "-company", "per_page": "25"}, r'data-domain-id="(\d+)"', "domain_id"),
    ("/customers/", "/api/v1/customers", {"q": "Hokkaido", "page": "2"}, r'data-domain-id="(\d+)"', "domain_id"),
    ("/subscriptions/", "/api/v1/subscriptions", {"sort": "end", "plan": "ANNUAL_LICENSE"}, r'data-subscription-id="(\d+)"', "subscription_id"),
    ("/subscriptions/", "/api/v1/subscriptions", {"q": "Hokkaido", "page": "2", "per_page": "25"}, r'data-subscription-id="(\d+)"', "subscription_id"),
]  # fmt: skip


@pytest.fixture
def rows(db):
    for n in range(60):
        customer = make_customer(company_name=f"{'Hokkaido' if n % 2 else 'Kyushu'} Trading {n:02d}")
        make_subscription(customer, plan="ANNUAL_LICENSE" if n % 3 else "MONTHLY")


@pytest.mark.parametrize(
    ("page", "endpoint", "query", "shown", "key"), LISTS, ids=[f"{e} {q}" for _p, e, q, _s, _k in LISTS]
)
def test_an_api_list_answers_its_pages_rows_for_no_more_queries(
    rows, api_as, page, endpoint, query, shown, key
):
    admin = make_persona(Role.ADMIN)
    browser = Client()
    browser.force_login(admin)
    api = api_as(user=admin)
    browser.get(page, query), api.get(endpoint, query)  # warm: the first request of each reads what is kept
    with CaptureQueriesContext(connection) as page_queries:
        html = browser.get(page, query).content.decode()
    with CaptureQueriesContext(connection) as api_queries:
        answer = api.get(endpoint, query)
    assert answer.status_code == 200, answer.content[:300]
    data = answer.json()
    on_page = [int(found) for found in re.findall(shown, html)]
    assert on_page, "the page shows rows"
    assert [row[key] for row in data["results"]] == on_page
    assert len(api_queries) <= len(page_queries), (len(api_queries), len(page_queries))
    assert data["page"] == int(query.get("page", 1)) and data["count"] >= len(on_page)


def test_a_count_past_the_cap_says_capped(rows, api_as, settings):
    settings.LIST_COUNT_CAP = 10
    data = api_as(Role.ADMIN).get("/api/v1/customers").json()
    assert (data["count"], data["capped"], data["pages"]) == (10, True, 1)


def test_the_scheduled_changes_searched_for_nobody_are_an_empty_list(rows, api_as):
    answer = api_as(Role.SUPPORT).get("/api/v1/scheduled-changes", {"q": "Nobody Such"})
    assert answer.status_code == 200, answer.content[:300]
    assert answer.json()["results"] == []
