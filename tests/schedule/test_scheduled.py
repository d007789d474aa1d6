"""The Scheduled changes agenda: grouped by business date, filters, deadlines, extension point, query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from options.permissions import VIEW_OPTIONS
from portal.core.access import Role
from portal.core.contrib import contribute
from schedule import selectors as schedule_selectors
from schedule import sources as schedule
from subscriptions.permissions import CHANGE_SUBSCRIPTIONS, VIEW_SUBSCRIPTIONS
from tests.customers.factories import make_customer
from tests.schedule.test_calendar import cells, shown
from tests.subscriptions.factories import make_pre_order, make_reservation, make_subscription

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def items(frozen):
    midori = make_customer(company_name="Midori Denki")
    blue = make_customer(company_name="Blue Ocean")
    return {
        "pre_soon": make_pre_order(midori, apply_date=D(2026, 11, 24), license_count=None),
        "pre_later": make_pre_order(
            blue, product_id="ADV", plan="ANNUAL_LICENSE", license_count=40, apply_date=D(2026, 12, 20)
        ),
        "pre_past": make_pre_order(blue, apply_date=D(2026, 11, 20)),  # yesterday in Tokyo
        "res": make_reservation(
            make_subscription(midori), type="ADD_LICENSE", apply_date=D(2026, 12, 1), license_count=9
        ),
        "renew_cancel": make_subscription(
            blue, plan="MONTHLY", renewal_type="CANCEL", plan_end_date=D(2026, 11, 30)
        ),
        "renew_change": make_subscription(
            make_customer(company_name="Red Sun"),
            renewal_type="CHANGE",
            renewal_product_id="ADV",
            renewal_plan="ANNUAL_LICENSE",
            renewal_license_count=25,
            plan_end_date=D(2027, 1, 31),
        ),
        "renew_stay": make_subscription(midori, renewal_type="STAY", plan_end_date=D(2026, 12, 31)),
    }


def _agenda(response) -> list[tuple[str, str, str]]:
    """(date, kind, domainId) of every item, in page order."""
    body = response.content.decode()
    out = []
    for day_part in body.split('data-date="')[1:]:
        day = day_part.split('"', 1)[0]
        for item in day_part.split('data-kind="')[1:]:
            kind = item.split('"', 1)[0]
            domain_id = item.split('data-domain-id="', 1)[1].split('"', 1)[0]
            out.append((day, kind, domain_id))
    return out


def test_agenda_lists_upcoming_changes_by_business_date(client_as, items):
    response = client_as(Role.SUPPORT).get(reverse("schedule:agenda"))
    assert response.status_code == 200
    got = _agenda(response)
    assert got == [
        ("2026-11-24", "pre_order", str(items["pre_soon"].customer_id)),
        ("2026-12-01", "renewal", str(items["renew_cancel"].customer_id)),  # the day after the term ends
        ("2026-12-01", "reservation", str(items["res"].customer_id)),
        ("2026-12-20", "pre_order", str(items["pre_later"].customer_id)),
        ("2027-02-01", "renewal", str(items["renew_change"].customer_id)),
    ]  # not the pre-order of yesterday (Tokyo), not a STAY renewal
    body = response.content.decode()
    assert f'href="/customers/{items["pre_soon"].customer_id}/#section-subscriptions"' in body
    assert "Renews as Advanced, Annual (licence), 25 licences" in body
    assert "Add licences, 9 licences on Standard, Annual (licence)" in body


def test_items_close_to_their_deadline_stand_out(client_as, items):
    body = client_as(Role.ACCOUNT_MANAGER).get(reverse("schedule:agenda"), {"owner": "all"}).content.decode()
    # Deadline = the day before: 11-23 (2 days away) and 11-30 (9 days, not soon) / 12-19 (not soon).
    assert body.count('data-testid="deadline-soon"') == 1
    assert "Last day to change: 2026-11-23" in body


@pytest.mark.parametrize(
    ("params", "expected_kinds"),
    [
        ({"kind": "pre_order"}, ["pre_order", "pre_order"]),
        ({"kind": ["reservation", "renewal"]}, ["renewal", "reservation", "renewal"]),
        ({"q": "midori"}, ["pre_order", "reservation"]),
        ({"date_from": "2026-12-01", "date_to": "2026-12-31"}, ["renewal", "reservation", "pre_order"]),
        ({"date_to": "2026-11-30"}, ["pre_order"]),
    ],
)
def test_filters(client_as, items, params, expected_kinds):
    response = client_as(Role.SUPPORT).get(reverse("schedule:agenda"), params)
    assert [kind for _day, kind, _id in _agenda(response)] == expected_kinds


def test_htmx_gets_only_the_agenda_partial(client_as, items):
    response = client_as(Role.SUPPORT).get(
        reverse("schedule:agenda"), {"q": "red"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="agenda"
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="agenda"') and "<html" not in body
    assert [kind for _d, kind, _i in _agenda(response)] == ["renewal"]


def test_query_count_does_not_grow_with_items(client_as, frozen):
    client = client_as(Role.SUPPORT)
    client.get(reverse("schedule:agenda"))

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("schedule:agenda")).status_code == 200
        return len(ctx.captured_queries)

    make_reservation(make_subscription(), apply_date=D(2026, 12, 2))
    make_pre_order(apply_date=D(2026, 12, 3))
    few = count()
    for i in range(30):
        make_reservation(make_subscription(), apply_date=D(2026, 12, 1) + dt.timedelta(days=i % 20))
        make_pre_order(apply_date=D(2026, 11, 25) + dt.timedelta(days=i % 25))
        make_subscription(renewal_type="CANCEL", plan_end_date=D(2026, 12, 31))
    assert count() == few


def test_the_htmx_partial_skips_the_page_frame(client_as, items):
    """Navigation, role badge and user menu are not in a partial; the frame itself reads nothing more than the
    role, which the sign-in backend reads with the user (portal.core.backends) for the permission checks."""
    client = client_as(Role.SUPPORT)
    client.get(reverse("schedule:agenda"))

    def queries(headers: dict) -> tuple[list[str], str]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("schedule:agenda"), headers=headers)
        assert response.status_code == 200
        return [q["sql"] for q in ctx.captured_queries], response.content.decode()

    page, page_html = queries({})
    partial, partial_html = queries({"HX-Request": "true", "HX-Target": "agenda"})
    # The role, read once, with the user; the page also reads the Account managers once, for the Owner filter's
    # select, which the partial does not draw (the filter's people are read only when drawn).
    people = [sql for sql in page if '"auth_group"."name" =' in sql]
    assert len(people) == 1
    for sqls in (page, partial):
        assert sum('"auth_group"' in sql for sql in sqls if sql not in people) == 1
        assert sum('FROM "auth_user"' in sql for sql in sqls if sql not in people) == 1
    assert len(partial) == len(page) - 1
    assert 'class="user-name"' in page_html and 'class="user-name"' not in partial_html
    assert 'class="mainnav"' in page_html and 'class="mainnav"' not in partial_html


def test_other_apps_can_add_a_kind_of_change(client_as, items):
    def option_orders(filters, today):
        yield schedule.make_item(
            url="/customers/elsewhere/",
            source="option_order",
            label="Option order",
            day=D(2026, 11, 28),
            customer=items["res"].customer,
            summary="Drive add-on starts",
            today=today,
        )

    contribute(
        "tests",
        schedule_sources=[
            schedule.ScheduleSource(
                key="option_order",
                label="Option order",
                items=option_orders,
                perm=VIEW_OPTIONS,
                change_perm=CHANGE_SUBSCRIPTIONS,
            )
        ],
    )
    try:
        client = client_as(Role.SUPPORT)
        body = client.get(reverse("schedule:agenda")).content.decode()
        assert "Drive add-on starts" in body and 'value="option_order"' in body
        assert ("2026-11-28", "option_order", str(items["res"].customer.domain_id)) in _agenda(
            client.get(reverse("schedule:agenda"))
        )
        calendar = client.get(reverse("schedule:agenda"), {"view": "calendar", "month": "2026-11"})
        day = cells(calendar.content.decode())["2026-11-28"]
        assert shown(day) == [("option_order", str(items["res"].customer.domain_id))]
        assert "Drive add-on starts" in day
        only_theirs = client.get(reverse("schedule:agenda"), {"kind": "option_order"})
        assert {kind for _day, kind, _id in _agenda(only_theirs)} == {"option_order"}
    finally:
        contribute("tests", schedule_sources=[])


def test_the_agenda_shows_whole_days_up_to_a_page_and_links_to_the_later_ones(client_as, items, monkeypatch):
    monkeypatch.setattr(schedule_selectors, "AGENDA_PAGE_ITEMS", 2)
    client = client_as(Role.SUPPORT)
    response = client.get(reverse("schedule:agenda"), {"kind": ["pre_order", "renewal", "reservation"]})
    # 11-24 has one item; adding 12-01's two would pass the page size: the page ends on 11-24.
    assert [day for day, _kind, _id in _agenda(response)] == ["2026-11-24"]
    body = response.content.decode()
    assert (
        "5 changes from 2026-11-21 to 2027-02-21" in body and "Showing the first 1, until 2026-11-24." in body
    )
    later = body.split('data-testid="agenda-later"')[0].rsplit('href="', 1)[1].split('"', 1)[0]
    assert "4 later changes, from 2026-12-01" in body
    assert later.startswith("?") and "date_from=2026-12-01" in later and "kind=renewal" in later

    response = client.get(reverse("schedule:agenda") + later.replace("&amp;", "&"))
    # 12-01's two fill the page: the next page starts on the following day.
    assert [(day, kind) for day, kind, _id in _agenda(response)] == [
        ("2026-12-01", "renewal"),
        ("2026-12-01", "reservation"),
    ]
    assert "2 later changes, from 2026-12-20" in response.content.decode()


def _later_link(response) -> str:
    body = response.content.decode()
    return (
        body.split('data-testid="agenda-later"')[0]
        .rsplit('href="', 1)[1]
        .split('"', 1)[0]
        .replace("&amp;", "&")
    )


def test_a_day_bigger_than_a_page_is_cut_between_two_customers_and_goes_on_on_the_next(
    client_as, frozen, monkeypatch
):
    """Page after page, every change of a busy day is shown once, a customer's changes of the day together."""
    monkeypatch.setattr(schedule_selectors, "AGENDA_PAGE_ITEMS", 3)
    day = D(2026, 12, 1)
    customers = [make_customer(company_name=f"Busy {n}") for n in range(4)]
    expected = set()
    for customer in customers:
        expected.add(("reservation", make_reservation(make_subscription(customer), apply_date=day).pk))
        expected.add(("pre_order", make_pre_order(customer, apply_date=day).pk))
    make_pre_order(customers[0], apply_date=D(2026, 12, 2))
    client = client_as(Role.SUPPORT)
    response = client.get(reverse("schedule:agenda"), {"kind": ["pre_order", "reservation"]})
    seen, pages = [], 0
    while True:
        pages += 1
        shown = _agenda(response)
        # Never more than a page but for one customer's changes of a day, kept together.
        assert 1 <= len(shown) <= 3
        seen.extend(shown)
        if 'data-testid="agenda-later"' not in response.content.decode():
            break
        response = client.get(reverse("schedule:agenda") + _later_link(response))
        assert pages < 10
    assert [(d, kind) for d, kind, _id in seen].count(("2026-12-02", "pre_order")) == 1
    busy = [(kind, int(domain_id)) for d, kind, domain_id in seen if d == "2026-12-01"]
    assert len(busy) == len(set(busy)) == 8  # each change once
    assert sorted(busy) == sorted(
        (kind, c.domain_id) for c in customers for kind in ("pre_order", "reservation")
    )
    assert len(expected) == 8 and pages == 4  # two customers' changes a page; the last two with the next day


def test_past_the_lists_cap_the_agenda_says_more_than(client_as, frozen, settings, monkeypatch):
    settings.LIST_COUNT_CAP = 4
    monkeypatch.setattr(schedule_selectors, "AGENDA_PAGE_ITEMS", 2)
    for n in range(6):
        make_pre_order(apply_date=D(2026, 12, 1) + dt.timedelta(days=n))
    body = client_as(Role.SUPPORT).get(reverse("schedule:agenda"), {"kind": "pre_order"}).content.decode()
    assert "More than 4 changes from 2026-11-21 to 2027-02-21" in body
    assert "Later changes, from 2026-12-03" in body
    japanese = client_as(Role.SUPPORT).get(
        reverse("schedule:agenda"), {"kind": "pre_order"}, headers={"Accept-Language": "ja"}
    )
    assert "までの変更は 4 件を超えています" in japanese.content.decode()


def test_a_searched_agenda_counts_to_the_search_cap(client_as, frozen, settings, monkeypatch):
    """Searched, the agenda counts to the smaller search cap (LIST_SEARCH_COUNT_CAP), as every searched list does;
    unsearched, to the lists' cap."""
    settings.LIST_COUNT_CAP, settings.LIST_SEARCH_COUNT_CAP = 20, 4
    monkeypatch.setattr(schedule_selectors, "AGENDA_PAGE_ITEMS", 2)
    for n in range(6):
        customer = make_customer(company_name=f"Kaede Shoji {n}")
        make_pre_order(customer, apply_date=D(2026, 12, 1) + dt.timedelta(days=n))
    client = client_as(Role.SUPPORT)
    searched = client.get(reverse("schedule:agenda"), {"kind": "pre_order", "q": "kaede"}).content.decode()
    assert "More than 4 changes from 2026-11-21 to 2027-02-21" in searched
    unsearched = client.get(reverse("schedule:agenda"), {"kind": "pre_order"}).content.decode()
    assert "6 changes from 2026-11-21 to 2027-02-21" in unsearched and "More than" not in unsearched


def test_paging_also_counts_sources_without_day_counts(client_as, items, monkeypatch):
    """A source of another app may give items only: the agenda then reads them all and counts them itself."""
    monkeypatch.setattr(schedule_selectors, "AGENDA_PAGE_ITEMS", 2)

    def option_orders(filters, today):
        start, end = schedule.date_range(filters, today)
        for day in (D(2026, 11, 22), D(2026, 11, 23), D(2026, 12, 5)):
            if start <= day <= end:
                yield schedule.make_item(
                    url="/customers/elsewhere/",
                    source="option_order",
                    label="Option order",
                    day=day,
                    customer=items["res"].customer,
                    summary="Drive add-on starts",
                    today=today,
                    ref=day.day,
                )

    contribute(
        "tests",
        schedule_sources=[
            schedule.ScheduleSource(
                key="option_order",
                label="Option order",
                items=option_orders,
                perm=VIEW_SUBSCRIPTIONS,
                change_perm=CHANGE_SUBSCRIPTIONS,
            )
        ],
    )
    try:
        response = client_as(Role.SUPPORT).get(reverse("schedule:agenda"))
        assert [(day, kind) for day, kind, _id in _agenda(response)] == [
            ("2026-11-22", "option_order"),
            ("2026-11-23", "option_order"),
        ]
        assert "8 changes from" in response.content.decode()
        assert "6 later changes, from 2026-11-24" in response.content.decode()
    finally:
        contribute("tests", schedule_sources=[])


def test_summaries_read_naturally_in_each_language(client_as, items):
    """Product, plan and licences are listed with a comma in English and with 、 in Japanese."""
    manager = client_as(Role.SUPPORT)
    english = manager.get(reverse("schedule:agenda")).content.decode()
    assert "Advanced, Annual (licence), 40 licences" in english  # the pre-order of 2026-12-20
    japanese = manager.get(reverse("schedule:agenda"), headers={"Accept-Language": "ja"})
    assert "アドバンスト、年額（ライセンス）、40 ライセンス" in japanese.content.decode()


@pytest.mark.parametrize(
    ("language", "total", "first", "later"),
    [
        (
            "en",
            "1,205 changes from 2026-11-21",
            "Showing the first 600, until 2026-11-22.",
            "605 later changes",
        ),
        ("ja", "までの変更 1,205 件", "最初の 600 件（2026-11-22 まで）", "以降の変更 605 件"),
    ],
    ids=["en", "ja"],
)
def test_the_agenda_counts_are_written_with_a_thousands_separator(
    client_as, frozen, monkeypatch, language, total, first, later
):
    """The agenda's counts read as the lists' do: "1,205 changes", not "1205 changes", in both languages."""
    monkeypatch.setattr(schedule_selectors, "AGENDA_PAGE_ITEMS", 700)
    customer = make_customer(company_name="Busy KK")

    def many(filters, today):
        start, end = schedule.date_range(filters, today)
        for n in range(1205):
            day = D(2026, 11, 21) + dt.timedelta(days=n // 300)
            if start <= day <= end:
                yield schedule.make_item(
                    url="/customers/elsewhere/",
                    source="busy",
                    label="Busy",
                    day=day,
                    customer=customer,
                    summary="Drive",
                    today=today,
                    ref=n,
                )

    busy = schedule.ScheduleSource(
        key="busy", label="Busy", items=many, perm=VIEW_SUBSCRIPTIONS, change_perm=CHANGE_SUBSCRIPTIONS
    )
    contribute("tests", schedule_sources=[busy])
    try:
        client = client_as(Role.SUPPORT)
        client.cookies["django_language"] = language
        body = client.get(reverse("schedule:agenda")).content.decode()
    finally:
        contribute("tests", schedule_sources=[])
    assert total in body and first in body and later in body


def test_a_removed_customers_changes_are_neither_shown_nor_counted(client_as, frozen):
    """On the agenda's page (its items test the customer they read) and in its count (from the index) alike."""
    from django.utils import timezone

    kept, gone = make_customer(company_name="Still Here"), make_customer(company_name="Gone Away")
    for customer in (kept, gone):
        make_pre_order(customer, apply_date=D(2026, 12, 1))
        make_reservation(make_subscription(customer), apply_date=D(2026, 12, 2))
        make_subscription(customer, renewal_type="CANCEL", plan_end_date=D(2026, 12, 3))
    type(gone).objects.filter(pk=gone.pk).update(removed_at=timezone.now())
    body = client_as(Role.SUPPORT).get(reverse("schedule:agenda")).content.decode()
    assert "Still Here" in body and "Gone Away" not in body
    assert "3 changes from 2026-11-21" in body
