"""The options pages that read: the global list (filters, sort, htmx partial, CSV of the filtered list, a
constant query count), the customer-page section, the catalogue and the usage chart, in both languages."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.core.access import Role
from tests.customers.factories import make_customer
from tests.options.factories import make_option, make_order, make_usage

pytestmark = pytest.mark.django_db


@pytest.fixture
def rows():
    alpha = make_customer(company_name="Alpha Storage K.K.")
    beta = make_customer(company_name="Beta Trial K.K.")
    make_option(
        alpha, sub_option_id="SSTG203", quantity=2, renewal_type="CHANGE", renewal_sub_option_id="SSTG201"
    )
    make_option(alpha, option_product_id="ACV2", sub_option_id="ACV201", quantity=None)
    make_option(
        beta,
        option_product_id="DRV",
        sub_option_id="DRV00",
        quantity=None,
        plan="TRIAL",
        trial=True,
        renewal_type="",
    )
    make_order(alpha)
    return {"alpha": alpha, "beta": beta}


def _shown(page: str) -> list[str]:
    """The options the page lists, in order, as "<company> <option>"."""
    import re

    return re.findall(r'data-option="\d+-(\w+)" data-company="([^"]+)"', page)


def test_filters_sort_and_csv_of_exactly_the_filtered_list(client_as, rows):
    client = client_as(Role.FINANCE)
    get = lambda **q: _shown(client.get(reverse("options:list"), q).content.decode())  # noqa: E731
    assert get(option="SSTG2") == [("SSTG2", "Alpha Storage K.K.")]
    assert get(trial="trial") == [("DRV", "Beta Trial K.K.")]
    assert get(renewal_type="none") == [("DRV", "Beta Trial K.K.")]
    assert get(sub_option="ACV201") == [("ACV2", "Alpha Storage K.K.")]
    assert [c for _o, c in get(sort="-customer")][0] == "Beta Trial K.K."
    assert get(end_to="2026-01-01") == []

    answer = client.get(reverse("options:export"), {"q": "alpha", "sort": "option"})
    table = list(csv.reader(io.StringIO(b"".join(answer.streaming_content).decode("utf-8-sig"))))
    assert table[0][3:5] == ["Option", "Option (code)"]
    assert [r[3:5] for r in table[1:]] == [["Archive (Talk)", "ACV2"], ["Shared Storage", "SSTG2"]]


def test_the_list_sorts_by_company_name_without_its_legal_form_and_leaves_out_removed_customers(
    client_as, rows
):
    """As on the customer list: 合同会社さくら sorts under さ, and a customer no longer in the API (its options
    with it) is not listed, whether the page counts its rows apart (no search) or beside them (a search)."""
    from django.utils import timezone

    make_option(make_customer(company_name="合同会社さくら"), option_product_id="BCT", sub_option_id="BCT01")
    make_option(make_customer(company_name="株式会社あおば"), option_product_id="BCT", sub_option_id="BCT01")
    gone = make_customer(company_name="あいう商事", removed_at=timezone.now())
    make_option(gone, option_product_id="BCT", sub_option_id="BCT01")
    client = client_as(Role.SUPPORT)
    page = client.get(reverse("options:list"), {"option": "BCT"}).content.decode()
    assert [c for _o, c in _shown(page)] == ["株式会社あおば", "合同会社さくら"]
    assert "2 options" in page
    searched = client.get(reverse("options:list"), {"q": "あ", "option": "BCT"}).content.decode()
    assert [c for _o, c in _shown(searched)] == ["株式会社あおば"]


def test_htmx_gets_the_results_partial(client_as, rows):
    body = client_as(Role.SUPPORT).get(
        reverse("options:list"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="results"
    )
    text = body.content.decode()
    assert text.lstrip().startswith('<div id="results"') and "<html" not in text


@pytest.mark.parametrize(
    "query",
    [{}, {"q": "row", "option": "SSTG2"}, {"option": "SSTG2"}],
    ids=["as it opens", "searched and filtered", "filtered"],
)
def test_list_query_count_does_not_grow_with_the_rows(client_as, rows, query):
    client = client_as(Role.SUPPORT)
    client.get(reverse("options:list"))
    counts, shown = [], []
    for n in (1, 39):
        for i in range(n):
            make_option(make_customer(company_name=f"Row {len(counts)}-{i:03}"))
        with CaptureQueriesContext(connection) as ctx:
            page = client.get(reverse("options:list"), {**query, "per_page": 100})
        counts.append(len(ctx.captured_queries))
        shown.append(len(_shown(page.content.decode())))
    assert shown[1] - shown[0] == 39
    assert counts[0] == counts[1]


def test_a_search_with_filters_sort_and_page_lists_exactly_the_live_customers_options(client_as):
    """The search is shaped per database (customers.selectors.search.among: the customers found computed first on
    PostgreSQL, a subquery on SQLite); either way a search with a filter, another order and page 2 lists the
    options of the live customers that match every word, counted right, in that order, and leaves out a removed
    customer's."""
    from django.utils import timezone

    for n in range(30):
        customer = make_customer(company_name=f"株式会社ミドリ商事{n:02}", domain=f"midori{n:02}.example.jp")
        make_option(customer, plan_end_date=dt.date(2027, 1, 1) + dt.timedelta(days=n))
        make_option(customer, option_product_id="ACV2", sub_option_id="ACV201", quantity=None)
        make_option(make_customer(company_name=f"ミドリ食品{n:02}"))  # one word of the two only
    gone = make_customer(company_name="株式会社ミドリ商事99", removed_at=timezone.now())
    make_option(gone, plan_end_date=dt.date(2030, 1, 1))
    client = client_as(Role.SUPPORT)
    query = {"q": "みどり 商事", "option": "SSTG2", "trial": "paid", "sort": "-end", "per_page": 25}
    first = client.get(reverse("options:list"), query).content.decode()
    second = client.get(reverse("options:list"), {**query, "page": 2}).content.decode()
    assert "30 options" in first and "30 options" in second
    shown = [c for _o, c in _shown(first) + _shown(second)]
    assert shown == [f"株式会社ミドリ商事{n:02}" for n in reversed(range(30))]


@pytest.mark.parametrize("sort", ["customer", "-customer"])
def test_a_search_in_customer_order_pages_through_every_matching_option_once(client_as, sort):
    """A search listed by customer (the order the list opens in) is laid out from the customers found and their
    number of options (customers.selectors.page_by_customer): paging through it shows each matching option of
    the live customers once, in name order (either way), a customer's options together even where a page ends
    inside them, the filter applied, and the total on every page; a page past the end is the last page."""
    from django.utils import timezone

    expected = []
    for n in range(30):
        customer = make_customer(company_name=f"株式会社アオバ物産{(n * 7) % 30:02}")
        for option_id, sub in [("ACV2", "ACV201"), ("BCT", "BCT01"), ("SSTG2", "SSTG201")][: n % 3 + 1]:
            renewal = "CHANGE" if option_id == "BCT" else "STAY"  # the filter leaves the BCT options out
            make_option(customer, option_product_id=option_id, sub_option_id=sub, renewal_type=renewal)
            if renewal == "STAY":
                expected.append((customer.company_name, option_id))
        make_option(make_customer(company_name=f"アオバ食品{n}"))  # one word of the two only
    make_option(make_customer(company_name="株式会社アオバ物産99", removed_at=timezone.now()))
    expected.sort(reverse=sort.startswith("-"))  # descending: the customers and their options both ways
    client = client_as(Role.SUPPORT)
    query = {"q": "あおば 物産", "renewal_type": "STAY", "sort": sort, "per_page": 25}
    pages = [client.get(reverse("options:list"), {**query, "page": n}).content.decode() for n in (1, 2, 9)]
    assert all(f"{len(expected)} options" in page for page in pages) and len(expected) == 40
    shown = [(c, o) for page in pages[:2] for o, c in _shown(page)]
    assert shown == expected
    assert _shown(pages[2]) == _shown(pages[1])


def test_customer_section_names_each_option_in_words_with_its_order(client_as, rows):
    page = (
        client_as(Role.SUPPORT)
        .get(reverse("customers:detail", args=[rows["alpha"].domain_id]))
        .content.decode()
    )
    assert 'data-testid="customer-options"' in page
    assert "Shared Storage 10 TB" in page and "Archive (Talk)" in page
    assert "Change the quantity" in page and "2026-12-01" in page  # the scheduled order beside its option


def test_catalogue_in_english_and_japanese(client_as):
    client = client_as(Role.FINANCE)
    page = client.get(reverse("options:catalogue")).content.decode()
    assert "Shared Storage 500 TB" in page and "Can be upgraded now to a larger sub option." in page
    client.post(reverse("set_language"), {"language": "ja", "next": "/"})
    ja = client.get(reverse("options:catalogue")).content.decode()
    assert "共有ストレージ 500 TB" in ja and "オプション一覧表" in ja


def test_usage_month_is_an_svg_chart_with_its_table(client_as, rows):
    alpha = rows["alpha"]
    for day in (1, 2, 3):
        make_usage(alpha, dt.date(2026, 10, day), usage_count=day * 2)
    page = client_as(Role.SUPPORT).get(reverse("options:usage", args=[alpha.domain_id]), {"month": "2026-10"})
    text = page.content.decode()
    assert "<svg" in text and "<polyline" in text and "2026-10-03" in text
    # A month that is not one falls back to this month, which has no usage cached.
    bogus = client_as(Role.SUPPORT).get(reverse("options:usage", args=[alpha.domain_id]), {"month": "bogus"})
    assert bogus.status_code == 200 and "No option usage is cached" in bogus.content.decode()


def test_option_orders_are_on_the_agenda_with_a_link_to_their_form(client_as, rows):
    alpha = rows["alpha"]
    page = client_as(Role.ACCOUNT_MANAGER).get(
        reverse("schedule:agenda"), {"date_from": "2026-12-01", "date_to": "2026-12-01", "owner": "all"}
    )
    assert reverse("options:order", args=[alpha.domain_id, "SSTG2"]) in page.content.decode()


def test_subscription_confirmations_name_the_options_they_affect(client_as, rows):
    from portal.core.changes.forms import new_key
    from tests.subscriptions.factories import make_subscription

    alpha = rows["alpha"]
    make_option(alpha, option_product_id="DRV", sub_option_id="DRV01", quantity=None)
    sub = make_subscription(alpha, product_id="STD", plan="ANNUAL_LICENSE")
    manager = client_as(Role.ACCOUNT_MANAGER)
    cancel = manager.post(reverse("subscriptions:cancel", args=[sub.pk]), {"idempotency_key": new_key()})
    text = cancel.content.decode()
    assert (
        "Options cancelled with it: Archive (Talk), Drive (for Standard), Shared Storage 10 TB × 2." in text
    )
    upgrade = manager.post(reverse("subscriptions:upgrade", args=[sub.pk]), {"idempotency_key": new_key()})
    assert "Options cancelled by the upgrade: Drive (for Standard)." in upgrade.content.decode()

    manager.post(reverse("set_language"), {"language": "ja", "next": "/"})
    ja = manager.post(reverse("subscriptions:cancel", args=[sub.pk]), {"idempotency_key": new_key()})
    assert (
        "同時に解約されるオプション：アーカイブ（トーク）、ドライブ（スタンダード用）" in ja.content.decode()
    )


def test_each_row_says_its_option_plan_dates_and_renewal_in_words_in_both_languages(client_as, rows):
    """The rows are formatted in Python (options/lists.py): every cell the row template used to give."""
    from django.utils.html import strip_tags

    client = client_as(Role.SUPPORT)
    page = client.get(reverse("options:list"), {"sort": "customer"}).content.decode()
    cells = [" ".join(strip_tags(row).split()) for row in page.split("<tr data-option=")[1:]]
    alpha_storage = next(c for c in cells if "SSTG2" in c.split(">")[0])
    assert f'href="/customers/{rows["alpha"].domain_id}/#section-options"' in page
    assert (
        "Shared Storage" in alpha_storage and "2026-04-01" in alpha_storage and "2027-03-31" in alpha_storage
    )
    assert "Renew with changes" in alpha_storage
    beta = next(c for c in cells if "Beta Trial" in c)
    assert "Trial" in beta and "None" in beta  # a trial has no renewal settings

    client.cookies["django_language"] = "ja"
    page = client.get(reverse("options:list"), {"sort": "customer"}).content.decode()
    assert '<span class="badge badge-info">変更して更新</span>' in page
    assert (
        '<span class="badge badge-trial">トライアル</span>' in page
        and '<span class="muted">なし</span>' in page
    )


@pytest.mark.parametrize(
    ("days", "latest"),
    [
        ([dt.date(2026, 9, 30), dt.date(2026, 11, 3), dt.date(2026, 10, 1)], dt.date(2026, 11, 3)),
        ([dt.date(2026, 3, 31), dt.date(2026, 8, 2), dt.date(2026, 5, 1)], dt.date(2026, 8, 2)),
        ([dt.date(2026, 10, 1), dt.date(2026, 6, 30)], dt.date(2026, 10, 1)),
    ],
    ids=["this month", "months ago", "the first of last month"],
)
def test_the_latest_usage_is_the_newest_day_whatever_month_it_is_in(frozen, days, latest):
    """The renewal warning's last day of usage: looked for in this month and the last first (their partitions
    alone), then in the earlier ones; the newest day either way, another option's or customer's not counted."""
    from options.selectors import latest_usage

    customer, other = make_customer(), make_customer()
    for day in days:
        make_usage(customer, day)
    make_usage(customer, dt.date(2026, 11, 20), option_product_id="BCT")
    make_usage(other, dt.date(2026, 11, 20))
    found = latest_usage(domain_id=customer.domain_id, option_product_id="SSTG2")
    assert found is not None and found.used_date == latest
    assert latest_usage(domain_id=make_customer().domain_id, option_product_id="SSTG2") is None
