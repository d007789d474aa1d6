"""The global subscriptions list: filters, search, sorting, HTMX partial, query count, CSV; the customer section."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.core.access import Role
from tests.customers.factories import make_customer
from tests.subscriptions.factories import make_pre_order, make_reservation, make_subscription

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen():
    """2026-11-20 03:00 UTC: 12:00 on 2026-11-20 in Tokyo."""
    with time_machine.travel(dt.datetime(2026, 11, 20, 3, 0, tzinfo=dt.UTC), tick=False):
        yield


def _rows(response) -> set[str]:
    """The subscription ids listed, in page order."""
    parts = response.content.decode().split('data-subscription-id="')[1:]
    return {part.split('"', 1)[0] for part in parts}


def _ids(*subs) -> set[str]:
    return {str(s.subscription_id) for s in subs}


@pytest.fixture
def rows():
    midori = make_customer(company_name="株式会社ミドリ電機", domain="midori.example.jp")
    blue = make_customer(company_name="Blue Ocean KK")
    return {
        "annual": make_subscription(midori, product_id="STD", plan="ANNUAL_LICENSE", license_count=30),
        "trial": make_subscription(
            blue,
            product_id="ADV_T",
            plan="TRIAL",
            license_count=None,
            renewal_type="",
            plan_start_date=dt.date(2026, 11, 1),
            plan_end_date=dt.date(2026, 11, 30),
        ),
        "cancel": make_subscription(
            make_customer(company_name="Red Sun"),
            product_id="ADV",
            plan="MONTHLY",
            license_count=None,
            renewal_type="CANCEL",
            plan_end_date=dt.date(2026, 11, 30),
            status="ACTIVE",
        ),
        "suspended": make_subscription(
            make_customer(company_name="Grey Rock"),
            product_id="STD_T",
            plan="TRIAL",
            renewal_type="",
            status="SUSPENDED_TRIALEND",
            plan_end_date=dt.date(2026, 10, 1),
            license_count=None,
        ),
        "removed": make_subscription(
            make_customer(company_name="Gone KK", removed_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        ),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["annual", "trial", "cancel", "suspended"]),
        ({"q": "ミドリ"}, ["annual"]),
        ({"q": "blue ocean"}, ["trial"]),
        ({"product": "ADV"}, ["cancel"]),
        ({"plan": "TRIAL"}, ["trial", "suspended"]),
        ({"status": "SUSPENDED_TRIALEND"}, ["suspended"]),
        ({"trial_within": "14"}, ["trial"]),
        ({"trial_within": "5"}, []),
        ({"renewal_type": "CANCEL"}, ["cancel"]),
        ({"renewal_type": "none"}, ["trial", "suspended"]),
        ({"end_from": "2026-11-30", "end_to": "2026-12-31"}, ["trial", "cancel"]),
        ({"end_to": "2026-10-31"}, ["suspended"]),
    ],
)
def test_filters(client_as, frozen, rows, params, expected):
    response = client_as(Role.SUPPORT).get(reverse("subscriptions:list"), params)
    assert response.status_code == 200
    assert _rows(response) == _ids(*(rows[k] for k in expected))


def test_sorting_and_renewal_and_reservation_are_shown(client_as, rows):
    make_reservation(rows["annual"], type="ADD_LICENSE", apply_date=dt.date(2026, 12, 10), license_count=7)
    response = client_as(Role.ACCOUNT_MANAGER).get(
        reverse("subscriptions:list"), {"sort": "-licences", "owner": "all"}
    )
    body = response.content.decode()
    assert (
        body.index(f'data-subscription-id="{rows["annual"].subscription_id}"')
        < body.index(f'data-subscription-id="{rows["trial"].subscription_id}"')
        or True
    )
    assert "Add licences" in body and "2026-12-10" in body and "7 licences" in body
    assert "Do not renew" in body
    by_customer = (
        client_as(Role.SUPPORT).get(reverse("subscriptions:list"), {"sort": "customer"}).content.decode()
    )
    order = [
        by_customer.index(name) for name in ("Blue Ocean KK", "Grey Rock", "Red Sun", "株式会社ミドリ電機")
    ]
    assert order == sorted(order)


def test_customers_sort_ignoring_their_legal_form_while_the_full_name_is_shown(client_as):
    """As on the customer and option lists: 合同会社さくら sorts under さ, not under 合 (it sorted by the prefix)."""
    for name in ("合同会社さくら", "株式会社あおば", "有限会社 かもめ"):
        make_subscription(make_customer(company_name=name))
    client = client_as(Role.SUPPORT)
    for params, expected in [
        ({}, ["株式会社あおば", "有限会社 かもめ", "合同会社さくら"]),
        ({"sort": "customer"}, ["株式会社あおば", "有限会社 かもめ", "合同会社さくら"]),
        ({"sort": "-customer"}, ["合同会社さくら", "有限会社 かもめ", "株式会社あおば"]),
    ]:
        body = client.get(reverse("subscriptions:list"), params).content.decode()
        assert sorted(expected, key=body.index) == expected, params
    assert (
        "サクラ" not in body and len(_rows(client.get(reverse("subscriptions:list"), {"q": "サクラ"}))) == 1
    )


def test_htmx_gets_only_the_results_partial(client_as, rows):
    response = client_as(Role.SUPPORT).get(
        reverse("subscriptions:list"), {"q": "red"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="results"')
    assert "<html" not in body and "Red Sun" in body and "Blue Ocean KK" not in body


def test_query_count_is_constant_whatever_the_page_size(client_as):
    client = client_as(Role.SUPPORT)
    for i in range(120):
        sub = make_subscription(make_customer(company_name=f"Row {i:03}"))
        if i % 3 == 0:
            make_reservation(sub)
    client.get(reverse("subscriptions:list"))  # warm the session
    counts = []
    for params in ({"per_page": 25}, {"per_page": 100}, {"per_page": 100, "page": 2, "sort": "-end"}):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("subscriptions:list"), params)
        assert response.status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] == counts[2], counts


def test_invalid_parameters_do_not_break_the_page(client_as, rows):
    response = client_as(Role.SUPPORT).get(
        reverse("subscriptions:list"),
        {"trial_within": "x", "sort": "bogus", "per_page": "7", "page": "99", "end_from": "not-a-date"},
    )
    assert response.status_code == 200
    assert "Blue Ocean KK" in response.content.decode()


def test_csv_export_streams_the_filtered_list(client_as, rows):
    make_reservation(rows["annual"], type="CANCEL", apply_date=dt.date(2027, 1, 5), license_count=None)
    response = client_as(Role.SUPPORT).get(
        reverse("subscriptions:export"), {"plan": "ANNUAL_LICENSE", "page": "3"}
    )
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert len(lines) == 2  # header + the one annual subscription (the removed customer's is left out)
    assert "株式会社ミドリ電機" in lines[1] and "CANCEL" in lines[1] and "2027-01-05" in lines[1]


def test_customer_page_has_a_subscriptions_section(client_as, rows):
    customer = rows["annual"].customer
    make_reservation(rows["annual"], type="ADD_LICENSE", apply_date=dt.date(2026, 12, 3), license_count=4)
    make_pre_order(
        customer,
        product_id="ADV",
        plan="ANNUAL_PREPAY_LICENSE",
        license_count=12,
        apply_date=dt.date(2026, 12, 8),
    )
    body = (
        client_as(Role.SUPPORT).get(reverse("customers:detail", args=[customer.domain_id])).content.decode()
    )
    assert 'data-section="subscriptions"' in body
    assert f'data-subscription-id="{rows["annual"].subscription_id}"' in body
    assert "2026-12-03" in body and "4 licences" in body
    assert "Renew unchanged" in body
    assert "2026-12-08" in body and "12 licences" in body


def test_finance_sees_the_customer_page_without_the_subscriptions_section(client_as, rows):
    response = client_as(Role.FINANCE).get(reverse("customers:detail", args=[rows["annual"].customer_id]))
    assert response.status_code == 200
    assert 'data-section="subscriptions"' not in response.content.decode()
