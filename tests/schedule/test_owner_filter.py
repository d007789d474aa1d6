"""The Scheduled changes page's Owner filter (issue 31, item 1): the customers app's contributed `CustomerFilter`,
as on every list of customers' rows. An Account manager's page opens on "Mine" (remembered, not a wall); the
agenda, the calendar and the downloads hold exactly the customers it chooses, and it adds no query per item."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers import services
from customers.selectors import Owner
from portal.core.access import Role
from portal.core.lists import FEW_FOUND, shapes
from schedule.sources import FOUND, schedule_sources
from tests.customers.factories import make_customer
from tests.fixtures.personas import make_persona
from tests.options.factories import make_order
from tests.schedule.test_exports import events, read_csv
from tests.subscriptions.factories import make_pre_order, make_reservation, make_subscription

pytestmark = pytest.mark.django_db

D = dt.date
URL = reverse("schedule:agenda")


@pytest.fixture
def people(admin_user):
    return {
        "admin": admin_user,
        "aiko": make_persona(Role.ACCOUNT_MANAGER, username="aiko"),
        "ben": make_persona(Role.ACCOUNT_MANAGER, username="ben"),
    }


def _assign(people, customer, manager) -> None:
    services.customer_owner_set(
        actor=people["admin"],
        domain_id=customer.domain_id,
        account_manager_id=manager.pk,
        support_contact_id=None,
    )


@pytest.fixture
def owned(frozen, people):
    aikos = make_customer(company_name="Aiko Shoji")
    bens = make_customer(company_name="Ben Kogyo")
    nobodys = make_customer(company_name="Nobody Sangyo")
    _assign(people, aikos, people["aiko"])
    _assign(people, bens, people["ben"])
    make_pre_order(aikos, apply_date=D(2026, 12, 3))
    make_reservation(make_subscription(bens), apply_date=D(2026, 12, 4))
    make_subscription(nobodys, renewal_type="CANCEL", plan_end_date=D(2026, 12, 4))
    make_order(aikos, apply_date=D(2026, 12, 5))
    return {"aiko": aikos, "ben": bens, "nobody": nobodys}


def _companies(body: str) -> set[str]:
    return {name for name in ("Aiko Shoji", "Ben Kogyo", "Nobody Sangyo") if name in body}


def test_an_account_managers_page_opens_on_mine_and_remembers_everyone(people, owned, client):
    client.force_login(people["aiko"])
    opened = client.get(URL).content.decode()
    assert _companies(opened) == {"Aiko Shoji"}
    assert '<option value="mine" selected>' in opened
    everyone = client.get(URL, {"owner": Owner.EVERYONE}).content.decode()
    assert _companies(everyone) == {"Aiko Shoji", "Ben Kogyo", "Nobody Sangyo"}
    again = client.get(URL).content.decode()  # remembered: a choice, not a wall
    assert _companies(again) == {"Aiko Shoji", "Ben Kogyo", "Nobody Sangyo"}
    assert '<option value="all" selected>' in again


@pytest.mark.parametrize(
    ("owner", "expected"),
    [
        ("", {"Aiko Shoji", "Ben Kogyo", "Nobody Sangyo"}),
        (Owner.UNASSIGNED, {"Nobody Sangyo"}),
        ("ben", {"Ben Kogyo"}),
        (Owner.MINE, set()),  # an Admin owns nobody
    ],
)
def test_an_admin_chooses_unassigned_or_a_person(people, owned, client, owner, expected):
    client.force_login(people["admin"])
    value = str(people[owner].pk) if owner in people else owner
    assert _companies(client.get(URL, {"owner": value}).content.decode()) == expected


def test_an_unknown_value_is_ignored_not_an_error(people, owned, client):
    client.force_login(people["admin"])
    response = client.get(URL, {"owner": "99999999"})
    assert response.status_code == 200
    assert _companies(response.content.decode()) == {"Aiko Shoji", "Ben Kogyo", "Nobody Sangyo"}


def test_the_calendar_and_every_download_hold_the_filtered_customers(people, owned, client):
    client.force_login(people["aiko"])
    calendar = client.get(URL, {"view": "calendar", "month": "2026-12"}).content.decode()
    assert _companies(calendar) == {"Aiko Shoji"}
    csv_rows = read_csv(client.get(reverse("schedule:export")))[1:]
    assert {row[3] for row in csv_rows} == {"Aiko Shoji"} and len(csv_rows) == 2  # pre-order and option order
    ical = events(client.get(reverse("schedule:ical"), {"owner": Owner.UNASSIGNED}))
    assert [e["SUMMARY"] for e in ical] == ["Renewal: Nobody Sangyo"]


def test_the_htmx_partial_reads_no_one_for_the_filter(people, owned, client):
    """The filter's people (its select's choices) are read only when the select is drawn: a swap of the agenda
    with "Mine" reads no more queries than with no filter at all, whatever the number of items."""
    client.force_login(people["aiko"])
    headers = {"HX-Request": "true", "HX-Target": "agenda"}

    def queries(owner: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL, {"owner": owner}, headers=headers).status_code == 200
        sqls = [q["sql"] for q in ctx.captured_queries]
        assert not [sql for sql in sqls if "'Account manager'" in sql], owner  # the select's people
        return len(sqls)

    client.get(URL)
    few_mine, few_all = queries(Owner.MINE), queries(Owner.EVERYONE)
    for i in range(20):
        _assign(people, make_customer(company_name=f"Aiko {i}"), people["aiko"])
    for customer in [*owned.values()] * 5:
        make_pre_order(customer, apply_date=D(2026, 12, 10))
    # A kind of change with nothing on the page is not read at all (the agenda reads a page by the keys its
    # kinds found), so "Mine" reads no more than everyone's, and neither more as the items grow.
    assert queries(Owner.MINE) == few_mine <= few_all == queries(Owner.EVERYONE)


def test_a_page_of_the_agenda_applies_the_search_and_the_owner_in_one_query(people, owned, client):
    """Searched as an Account manager, every kind of change finds its first items (and their count) with the
    search and "Mine" (the Account manager its rows carry) in one query; the page's items are then read by their keys. Before, each kind read its
    items with the search and the owner again, which had the database probe the rows of every customer the
    search found or the manager owns (more as the customers grow), and each kind read the search apart."""
    for i in range(30):
        customer = make_customer(company_name=f"Aiko Trading {i:02}")
        _assign(people, customer, people["aiko"])
        make_pre_order(customer, apply_date=D(2026, 12, 1) + dt.timedelta(days=i % 7))
        make_pre_order(make_customer(company_name=f"Ben Trading {i:02}"), apply_date=D(2026, 12, 2))
    client.force_login(people["aiko"])
    client.get(URL)
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(URL, {"q": "Trading", "owner": Owner.MINE}).content.decode()
    shown = set(re.findall(r"Aiko Trading \d\d", body))
    # Whole days up to a page of the agenda (25 items), the earliest first: the 1st to the 5th of December.
    assert shown == {f"Aiko Trading {i:02}" for i in range(30) if i % 7 <= 4} and "Ben Trading" not in body
    searched = [q["sql"] for q in ctx.captured_queries if "customers_customersearch" in q["sql"]]
    owners = [q["sql"] for q in ctx.captured_queries if "customers_customerowner" in q["sql"]]
    # The customers found are counted up to FEW_FOUND + 1 (more than few: read again with the walks), then every
    # kind is walked in one query. The owner is the column the rows carry (customers/carried.py): no read of the
    # owners table at all.
    few, walked = searched
    assert f"LIMIT {FEW_FOUND + 1}" in few and "UNION ALL" not in few
    assert not owners and "customer_manager" in walked, (searched, owners)
    assert walked.count("UNION ALL") == len(schedule_sources(user=people["aiko"])) - 1


def test_a_search_that_finds_nobody_says_so_on_the_agenda_and_the_calendar(people, owned, client):
    """No customer matches: the agenda and the calendar say there is nothing to show, without reading a walk
    (not a 500; the API's list: tests/api/test_lists.py)."""
    make_pre_order(make_customer(company_name="Aoba Trading"), apply_date=D(2026, 12, 1))
    client.force_login(people["aiko"])
    for query in ({"q": "Nobody Such"}, {"q": "Nobody Such", "view": "calendar", "month": "2026-12"}):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(URL, {**query, "owner": Owner.EVERYONE})
        assert response.status_code == 200 and "Aoba Trading" not in response.content.decode()
        assert not [
            q for q in ctx.captured_queries if "SELECT walked.*" in q["sql"] or "COUNT(*) AS" in q["sql"]
        ]
    assert "0 changes from" in client.get(URL, {"q": "Nobody Such", "owner": Owner.EVERYONE}).content.decode()


def test_a_search_that_finds_a_few_customers_names_them_in_the_walk(people, owned, client):
    """A search that finds at most FEW_FOUND customers (a name, a domain) names them in the walks' query, so the
    database reads those customers' rows by their index; the search is not read again beside the walks."""
    for i in range(3):
        customer = make_customer(company_name=f"Kaede Trading {i:02}")
        _assign(people, customer, people["aiko"])
        make_pre_order(customer, apply_date=D(2026, 12, 1) + dt.timedelta(days=i))
    make_pre_order(make_customer(company_name="Momiji Trading"), apply_date=D(2026, 12, 1))
    client.force_login(people["aiko"])
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(URL, {"q": "Kaede", "owner": Owner.EVERYONE}).content.decode()
    assert set(re.findall(r"Kaede Trading \d\d", body)) == {f"Kaede Trading {i:02}" for i in range(3)}
    assert "Momiji Trading" not in body
    walks = [q["sql"] for q in ctx.captured_queries if "SELECT walked.*" in q["sql"]]
    assert len(walks) == 1 and FOUND not in walks[0] and "customers_customersearch" not in walks[0], walks


def _sakura_orders(people) -> None:
    """Twelve of Aiko's customers sharing a word (サクラ), each with an order on one of three days of December,
    and another's order beside them."""
    for i in range(12):
        customer = make_customer(company_name=f"サクラ商事 {i:02}")
        _assign(people, customer, people["aiko"])
        make_pre_order(customer, apply_date=D(2026, 12, 1) + dt.timedelta(days=i % 3))
    make_pre_order(make_customer(company_name="モミジ商事"), apply_date=D(2026, 12, 1))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the shape is PostgreSQL's")
@pytest.mark.parametrize("word", ["サクラ", "サクラ商事"])
def test_the_agenda_walks_its_first_items_with_the_customers_found_and_owned_read_once(
    people, owned, client, word, monkeypatch
):
    """Each kind's first items are walked by date with the customers the word finds (from the gram table for a
    short word, the search table for a longer one) read into a hash (planned apart), not an array of every
    customer found (PostgreSQL probed each one's rows) nor a join checked per row, and the manager's by the
    column the rows carry (a range of the kind's index led by the manager); the same items are found. Every kind is walked in one query, which reads the word's customers once
    (a materialized CTE) for all of them: read by each kind, a word most customers have (a legal form) read
    the search table's matches once per kind."""
    monkeypatch.setattr(shapes, "FEW_FOUND", 5)  # the word finds more than a few customers
    _sakura_orders(people)
    client.force_login(people["aiko"])
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(URL, {"q": word, "owner": Owner.MINE}).content.decode()
    assert len(set(re.findall(r"サクラ商事 \d\d", body))) == 12 and "モミジ商事" not in body
    walks = [q["sql"] for q in ctx.captured_queries if "SELECT walked.*" in q["sql"]]
    kinds = len(schedule_sources(user=people["aiko"]))
    table = "customers_customersearchgram" if len(word) == 3 else "customers_customersearch"
    assert len(walks) == 1 and walks[0].startswith(f'WITH "{FOUND}" ("customer_id") AS MATERIALIZED ('), walks
    assert walks[0].count(f'FROM "{table}"') == 1 and walks[0].count("SELECT walked.*") == kinds
    # Each kind's rows tested against a hash of the word's customers as its index is walked (not a join, which
    # keeps no order: `lists.kept_while_walked`); the manager's, the column the rows carry (no hash).
    assert "ANY(ARRAY" not in walks[0] and walks[0].count(f'FROM "{FOUND}"))) IS TRUE') == kinds
    assert walks[0].count('"customer_manager" =') == kinds and "customers_customerowner" not in walks[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the shape is PostgreSQL's")
def test_the_calendar_counts_a_months_days_with_the_customers_found_and_owned_read_once(
    people, owned, client, monkeypatch
):
    """The calendar's counts by day read the month's rows by date, with the customers a word finds and the
    manager's customers each read into a hash (planned apart), not an array of every customer found
    (PostgreSQL probed each one's rows: a common word's thousands); the counts are the same. Every kind's
    counts and first items of each day are one query, which reads the word's customers once for all, and
    each kind's rows are walked and tested against them once, numbered and counted in the same pass."""
    monkeypatch.setattr(shapes, "FEW_FOUND", 5)  # the word finds more than a few customers
    _sakura_orders(people)
    client.force_login(people["aiko"])
    query = {"q": "サクラ商事", "owner": Owner.MINE, "view": "calendar", "month": "2026-12"}
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(URL, query).content.decode()
    assert len(set(re.findall(r"サクラ商事 \d\d", body))) >= 3 and "モミジ商事" not in body
    assert "+1 more" in body  # 4 a day, 3 shown
    walked = [q["sql"] for q in ctx.captured_queries if "UNION ALL" in q["sql"] and "ROW_NUMBER" in q["sql"]]
    kinds = len(schedule_sources(user=people["aiko"]))
    assert len(walked) == 1 and walked[0].startswith(f'WITH "{FOUND}" ("customer_id") AS MATERIALIZED ('), (
        walked
    )
    searched = walked[0].count('FROM "customers_customersearch"')
    assert searched == 1 and walked[0].count("COUNT(*) OVER (PARTITION BY") == kinds
    assert "ANY(ARRAY" not in walked[0] and walked[0].count(f'FROM "{FOUND}"))) IS TRUE') == kinds


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the common words' lists are PostgreSQL's")
def test_a_word_many_customers_share_shows_the_same_agenda_and_calendar_read_from_its_lists(
    people, owned, client
):
    """Once a word is common (customers migration 0020: its customers kept as short lists), the agenda and the
    calendar searched by it read its customers from the lists, once for every kind, and show what they showed
    when they read the gram table: the same changes, the same counts by day, whoever joined or left since the
    lists were made."""
    from customers.services.search_kept import search_common_words_join, search_kept_rebuild

    _sakura_orders(people)
    client.force_login(people["aiko"])
    pages = [
        {"q": "サクラ", "owner": Owner.EVERYONE},
        {"q": "サクラ", "owner": Owner.MINE, "view": "calendar", "month": "2026-12"},
    ]
    before = [client.get(URL, query).content.decode() for query in pages]
    assert search_common_words_join(least=5) >= 1
    late = make_customer(company_name="サクラ物産")  # after the lists were made: one of the changes
    make_pre_order(late, apply_date=D(2026, 12, 2))
    # With the change noted, the view of the lists and the changes; once the lists are made again, the lists.
    for read, remade in (
        ('"customers_customersearchfound"', False),
        ('"customers_customersearchkept"', True),
    ):
        if remade:
            assert search_kept_rebuild() >= 1
        for query, shown in zip(pages, before, strict=True):
            with CaptureQueriesContext(connection) as ctx:
                body = client.get(URL, query).content.decode()
            names = set(re.findall(r"サクラ商事 \d\d", body))
            assert names == set(re.findall(r"サクラ商事 \d\d", shown)) and names and "モミジ商事" not in body
            assert re.findall(r"\+\d+ more", body) == re.findall(r"\+\d+ more", shown)
            assert ("サクラ物産" in body) == (query["owner"] == Owner.EVERYONE)  # not Aiko's customer
            walks = [q["sql"] for q in ctx.captured_queries if "UNION ALL" in q["sql"] and FOUND in q["sql"]]
            assert len(walks) == 1 and walks[0].count(f"FROM {read}") == 1, walks
