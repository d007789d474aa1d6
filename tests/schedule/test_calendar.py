"""The Scheduled changes month calendar: the grid (Monday first), items on their business date, "+N more",
today, month links that keep the filters, the htmx partial, a constant query count."""

from __future__ import annotations

import datetime as dt
import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.core.access import Role
from tests.customers.factories import make_customer
from tests.subscriptions.factories import make_pre_order, make_reservation, make_subscription

pytestmark = pytest.mark.django_db

D = dt.date
URL = "/scheduled/"


@pytest.fixture
def items(frozen):
    midori = make_customer(company_name="Midori Denki")
    blue = make_customer(company_name="Blue Ocean")
    busy = [make_customer(company_name=f"Busy {n}") for n in "ABCDE"]
    return {
        "pre_nov": make_pre_order(midori, apply_date=D(2026, 11, 24)),
        "res_dec": make_reservation(make_subscription(blue), type="ADD_LICENSE", apply_date=D(2026, 12, 1)),
        "renew_dec": make_subscription(
            make_customer(company_name="Red Sun"), renewal_type="CANCEL", plan_end_date=D(2026, 12, 9)
        ),
        "busy": [make_pre_order(c, apply_date=D(2026, 12, 15)) for c in busy],
        "pre_jan": make_pre_order(blue, apply_date=D(2027, 1, 12)),
    }


def cells(body: str) -> dict[str, str]:
    """The HTML of each calendar cell (<td> included), by its date."""
    cell = re.compile(r'<td class="[^"]*" data-day="([^"]+)".*?</td>', re.S)
    return {m.group(1): m.group(0) for m in cell.finditer(body)}


def shown(cell: str) -> list[tuple[str, str]]:
    """(kind, domainId) of the items listed in a cell."""
    return re.findall(r'class="cal-item[^"]*" data-kind="([^"]+)" data-domain-id="(\d+)"', cell)


def link(body: str, testid: str) -> dict[str, list[str]]:
    """The query parameters of the link with this data-testid."""
    href = re.search(rf'href="([^"]*)"[^>]*data-testid="{testid}"', body).group(1)
    return parse_qs(urlsplit(html.unescape(href)).query)


def test_month_grid_starts_on_monday_and_shows_each_item_on_its_day(client_as, items):
    response = client_as(Role.SUPPORT).get(URL, {"view": "calendar", "month": "2026-12"})
    assert response.status_code == 200
    body = response.content.decode()
    grid = cells(body)
    days = list(grid)
    # December 2026 starts on a Tuesday: whole weeks from Monday 30 November to Sunday 3 January.
    assert days[0] == "2026-11-30" and days[-1] == "2027-01-03" and len(days) == 35
    heads = re.findall(r'<th scope="col">([^<]+)</th>', body)
    assert heads == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    assert 'data-testid="calendar-month">December 2026<' in body

    assert shown(grid["2026-12-01"]) == [("reservation", str(items["res_dec"].customer_id))]
    # A renewal takes effect the day after the term ends.
    assert shown(grid["2026-12-10"]) == [("renewal", str(items["renew_dec"].customer_id))]
    assert shown(grid["2026-12-09"]) == []
    # Days of the neighbouring months are in the grid but list nothing (January's pre-order is next month's).
    assert "cal-outside" in grid["2027-01-03"] and shown(grid["2027-01-03"]) == []
    assert "7 changes from 2026-12-01 to 2026-12-31" in body  # the busy day counts in full
    assert body.count('class="cal-item') == 1 + 1 + 3


def test_a_busy_day_lists_three_and_links_to_its_agenda(client_as, items):
    client = client_as(Role.SUPPORT)
    body = client.get(URL, {"view": "calendar", "month": "2026-12", "kind": "pre_order"}).content.decode()
    busy = cells(body)["2026-12-15"]
    assert [name for name in re.findall(r"</span> ([^<]+)</a>", busy)] == ["Busy A", "Busy B", "Busy C"]
    assert "+2 more" in busy
    params = link(busy, "calendar-more")
    assert params == {"kind": ["pre_order"], "date_from": ["2026-12-15"], "date_to": ["2026-12-15"]}
    agenda = client.get(URL, params).content.decode()
    assert agenda.count('class="agenda-item') == 5


def test_today_is_marked_and_the_calendar_opens_on_this_month(client_as, items):
    body = client_as(Role.SUPPORT).get(URL, {"view": "calendar"}).content.decode()
    grid = cells(body)
    assert 'aria-current="date"' in grid["2026-11-21"] and "cal-today" in grid["2026-11-21"]
    assert sum('aria-current="date"' in cell for cell in grid.values()) == 1
    assert "cal-past" in grid["2026-11-20"]
    assert shown(grid["2026-11-24"]) == [("pre_order", str(items["pre_nov"].customer_id))]
    # Upcoming changes only: no link back before this month.
    assert 'data-testid="calendar-previous"' not in body
    assert link(body, "calendar-next") == {"view": ["calendar"], "month": ["2026-12"]}


def test_month_links_keep_the_filters(client_as, items):
    client = client_as(Role.SUPPORT)
    params = {"view": "calendar", "month": "2026-12", "q": "blue", "kind": "reservation"}
    body = client.get(URL, params).content.decode()
    assert [kind for cell in cells(body).values() for kind, _id in shown(cell)] == ["reservation"]
    nxt, prev = link(body, "calendar-next"), link(body, "calendar-previous")
    assert nxt == {**{k: [v] for k, v in params.items()}, "month": ["2027-01"]}
    assert prev == {**{k: [v] for k, v in params.items()}, "month": ["2026-11"]}
    # The filter form posts the view and the month too (hidden inputs bound to it by form=...).
    assert '<input type="hidden" name="month" value="2026-12" form="schedule-filters">' in body
    # ... and the switch back to the agenda keeps the filters but not the month.
    assert link(body, "view-agenda") == {"q": ["blue"], "kind": ["reservation"]}

    january = client.get(URL, {**params, "month": "2027-01", "kind": "pre_order"}).content.decode()
    assert [kind for cell in cells(january).values() for kind, _id in shown(cell)] == ["pre_order"]


def test_the_date_range_applies_to_the_calendar(client_as, items):
    client = client_as(Role.SUPPORT)
    body = client.get(URL, {"view": "calendar", "month": "2026-12", "date_to": "2026-12-05"}).content.decode()
    assert [d for d, cell in cells(body).items() if shown(cell)] == ["2026-12-01"]
    # Without a month the calendar opens on the month of the range's start.
    body = client.get(URL, {"view": "calendar", "date_from": "2027-01-10"}).content.decode()
    assert 'data-month="2027-01"' in body
    assert [d for d, cell in cells(body).items() if shown(cell)] == ["2027-01-12"]


@pytest.mark.parametrize("month", ["2026-13", "soon", "1999-12"])
def test_a_bad_month_shows_this_month(client_as, items, month):
    response = client_as(Role.SUPPORT).get(URL, {"view": "calendar", "month": month})
    assert response.status_code == 200
    assert 'data-month="2026-11"' in response.content.decode()


def test_a_month_without_a_day_in_the_range_gives_way_to_the_ranges_first(client_as, items):
    client = client_as(Role.SUPPORT)
    # A past month: upcoming changes only, so this month.
    body = client.get(URL, {"view": "calendar", "month": "2026-10"}).content.decode()
    assert 'data-month="2026-11"' in body
    # The dates changed while the calendar showed December (the month is still in the query): January.
    body = client.get(
        URL, {"view": "calendar", "month": "2026-12", "date_from": "2027-01-10"}
    ).content.decode()
    assert 'data-month="2027-01"' in body
    assert [d for d, cell in cells(body).items() if shown(cell)] == ["2027-01-12"]
    # ... and no link leads out of the range.
    assert 'data-testid="calendar-previous"' not in body and 'data-testid="calendar-next"' in body
    body = client.get(URL, {"view": "calendar", "month": "2026-12", "date_to": "2026-12-20"}).content.decode()
    assert 'data-testid="calendar-next"' not in body and 'data-testid="calendar-previous"' in body


def test_the_agenda_links_to_the_calendar_with_its_filters(client_as, items):
    body = client_as(Role.SUPPORT).get(URL, {"q": "midori", "date_from": "2026-12-01"}).content.decode()
    assert link(body, "view-calendar") == {"q": ["midori"], "date_from": ["2026-12-01"], "view": ["calendar"]}
    assert re.search(r'data-testid="view-agenda" aria-current="page"', body)


def test_htmx_gets_the_calendar_as_the_whole_partial(client_as, items):
    response = client_as(Role.SUPPORT).get(
        URL, {"view": "calendar", "month": "2026-12"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="agenda"
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="agenda"') and "<html" not in body
    assert body.rstrip().endswith("</div>") and body.count('id="agenda"') == 1
    assert '<table class="calendar" data-month="2026-12">' in body


def test_query_count_does_not_grow_with_items(client_as, frozen):
    client = client_as(Role.ACCOUNT_MANAGER)
    params = {"view": "calendar", "month": "2026-12"}
    client.get(URL, params)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL, params).status_code == 200
        return len(ctx.captured_queries)

    make_pre_order(apply_date=D(2026, 12, 3))
    few = count()
    for i in range(30):
        make_reservation(make_subscription(), apply_date=D(2026, 12, 1) + dt.timedelta(days=i % 20))
        make_pre_order(apply_date=D(2026, 12, 3))
        make_subscription(renewal_type="CHANGE", renewal_license_count=40, plan_end_date=D(2026, 12, 20))
    assert count() == few


def test_a_day_busy_with_every_kind_shows_its_first_three_by_customer_and_counts_the_rest(client_as, frozen):
    """Each source reads only the first items of each day (by the customer's domainId), not the whole month:
    the day shows the first three across the kinds, in the page's order (company), and "+N more" counts every
    item of the day, the sources' per-day counts."""
    from tests.options.factories import make_order

    day = D(2026, 12, 8)
    # Domain ids in the reverse of the names' order: which three are shown is the domainIds' choice.
    zulu = make_customer(domain_id=70_000_001, company_name="Zulu")
    yankee = make_customer(domain_id=70_000_002, company_name="Yankee")
    xray = make_customer(domain_id=70_000_003, company_name="X-ray")
    others = [make_customer(domain_id=70_000_010 + n, company_name=f"Alpha {n}") for n in range(6)]
    make_subscription(yankee, renewal_type="CANCEL", plan_end_date=day - dt.timedelta(days=1))
    make_order(zulu, apply_date=day)
    make_pre_order(xray, apply_date=day)
    for n, customer in enumerate(others):
        make_pre_order(customer, apply_date=day)
        make_reservation(make_subscription(customer), type="ADD_LICENSE", apply_date=day)
        make_order(customer, apply_date=day, option_product_id=f"OPT{n}")
    body = client_as(Role.ADMIN).get(URL, {"view": "calendar", "month": "2026-12"}).content.decode()
    cell = cells(body)[day.isoformat()]
    assert shown(cell) == [
        ("pre_order", str(xray.domain_id)),
        ("renewal", str(yankee.domain_id)),
        ("option_order", str(zulu.domain_id)),
    ]
    assert "+18 more" in cell
    assert "21 changes from 2026-12-01 to 2026-12-31" in body


def test_a_busy_day_reads_whole_only_the_three_items_it_shows(client_as, frozen):
    """Each kind gives the dates, domainIds and keys of its first three of each day; only the first three
    across the kinds are read whole (with their customers' names), by their keys: each kind's first three read
    whole were twelve rows for a day that shows three."""
    from tests.options.factories import make_order

    day = D(2026, 12, 8)
    for n in range(5):
        customer = make_customer(domain_id=71_000_000 + n, company_name=f"Busy {n}")
        make_pre_order(customer, apply_date=day)
        make_reservation(make_subscription(customer), type="ADD_LICENSE", apply_date=day)
        make_order(customer, apply_date=day, option_product_id=f"OPT{n}")
    client = client_as(Role.ADMIN)
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(URL, {"view": "calendar", "month": "2026-12"}).content.decode()
    cell = cells(body)[day.isoformat()]
    # The first customer's three (its changes of every kind before the next customer's).
    assert sorted(shown(cell)) == [
        ("option_order", "71000000"),
        ("pre_order", "71000000"),
        ("reservation", "71000000"),
    ]
    assert "+12 more" in cell
    whole = [
        q["sql"] for q in ctx.captured_queries if "company_name" in q["sql"] and "ROW_NUMBER" not in q["sql"]
    ]
    keyed = [re.search(r" IN \(([^()]*)\)", sql) for sql in whole]
    assert whole and all(keyed), whole
    assert sum(len(found.group(1).split(",")) for found in keyed) == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plans of PostgreSQL")
def test_the_calendars_day_counts_come_from_the_walk_that_picks_its_first_items(client_as, frozen):
    """The calendar as Support counts each day's pre-orders, reservations and option orders in the same walk
    that picks each day's first three, one query for every source: no second read of the month to count it;
    the counts are those of the items."""
    from tests.options.factories import make_order

    customers = [make_customer(company_name=f"Busy {n:03d}") for n in range(150)]
    for n, customer in enumerate(customers):
        day = D(2026, 12, 1) + dt.timedelta(days=n % 10)
        make_pre_order(customer, apply_date=day)
        make_reservation(make_subscription(customer), type="ADD_LICENSE", apply_date=day)
        make_order(customer, apply_date=day)
    client = client_as(Role.SUPPORT)
    with CaptureQueriesContext(connection) as ctx:
        body = client.get(URL, {"view": "calendar", "month": "2026-12"}).content.decode()
    assert "+42 more" in cells(body)["2026-12-01"]  # 15 customers' three changes, three shown
    assert "+42 more" in cells(body)["2026-12-10"]
    assert not [q for q in ctx.captured_queries if 'COUNT(*) AS "n"' in q["sql"]]
    [walked] = [
        q["sql"] for q in ctx.captured_queries if "UNION ALL" in q["sql"] and "ROW_NUMBER" in q["sql"]
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {walked}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # Each source's month read once (renewals the fourth), numbered and counted in the same pass: which index
    # serves the read is the planner's choice for tables this small.
    tables = (
        "subscriptions_preorder",
        "subscriptions_reservation",
        "options_optionorder",
        "subscriptions_subscription",
    )
    assert [len(re.findall(rf" on {table} ", plan)) for table in tables] == [1, 1, 1, 1], plan
    assert plan.count("WindowAgg") == 4, plan
