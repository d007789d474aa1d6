"""Scheduled changes: each item's links (read-only page for all, form only for those who may change), the CSV
and iCalendar exports of exactly the page's items, and who may open the page and its exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from django.urls import reverse

from accounts.permissions import MANAGE_USERS
from portal.core.access import Role
from portal.core.contrib import contribute
from schedule import sources as schedule
from subscriptions.permissions import VIEW_SUBSCRIPTIONS
from tests.core.test_ical import unescape, unfold
from tests.customers.factories import make_customer
from tests.subscriptions.factories import make_pre_order, make_reservation, make_subscription

pytestmark = pytest.mark.django_db

D = dt.date
URL = "/scheduled/"
CSV_URL = "/scheduled/export.csv"
ICS_URL = "/scheduled/export.ics"


@pytest.fixture
def items(frozen):
    midori = make_customer(company_name="Midori Denki, Inc.; Tokyo")
    blue = make_customer(company_name="ブルーオーシャン株式会社")
    return {
        "pre": make_pre_order(midori, apply_date=D(2026, 11, 24), license_count=None),
        "res": make_reservation(
            make_subscription(blue), type="ADD_LICENSE", apply_date=D(2026, 12, 1), license_count=9
        ),
        "renew": make_subscription(
            blue, plan="MONTHLY", renewal_type="CANCEL", plan_end_date=D(2026, 11, 27)
        ),
        "pre_later": make_pre_order(blue, apply_date=D(2027, 1, 5)),
    }


def expected_links(items) -> dict[str, tuple[str, str]]:
    """kind -> (read-only page, form) of each item."""
    pre, res, renew = items["pre"], items["res"], items["renew"]
    return {
        "pre_order": (
            reverse("customers:detail", args=[pre.customer_id]) + "#section-subscriptions",
            reverse("subscriptions:pre_order", args=[pre.customer_id, pre.pre_order_id]),
        ),
        "reservation": (
            reverse("subscriptions:detail", args=[res.subscription_id]),
            reverse("subscriptions:reservation", args=[res.subscription_id]),
        ),
        "renewal": (
            reverse("subscriptions:detail", args=[renew.subscription_id]),
            reverse("subscriptions:renewal", args=[renew.subscription_id]),
        ),
    }


def agenda_items(body: str) -> list[str]:
    return re.findall(r'<tr class="agenda-item.*?</tr>', body, re.S)


def test_account_manager_gets_each_items_form_and_its_page(client_as, items):
    body = (
        client_as(Role.ACCOUNT_MANAGER).get(URL, {"date_to": "2026-12-31", "owner": "all"}).content.decode()
    )
    rows = agenda_items(body)
    assert len(rows) == 3
    for kind, (page, form) in expected_links(items).items():
        (row,) = [r for r in rows if f'data-kind="{kind}"' in r]
        assert f'href="{page}"' in row
        assert f'href="{form}" data-testid="change-link"' in row


def test_support_sees_the_same_items_read_only(client_as, items):
    body = client_as(Role.SUPPORT).get(URL, {"date_to": "2026-12-31"}).content.decode()
    rows = agenda_items(body)
    assert len(rows) == 3 and 'data-testid="change-link"' not in body
    for kind, (page, form) in expected_links(items).items():
        (row,) = [r for r in rows if f'data-kind="{kind}"' in r]
        assert f'href="{page}"' in row and form not in row


def test_a_source_whose_change_permission_the_user_lacks_is_read_only(client_as, items):
    def other_items(filters, today):
        yield schedule.make_item(
            url="/customers/elsewhere/",
            source="other",
            label="Other",
            day=D(2026, 11, 28),
            customer=items["pre"].customer,
            summary="Something else",
            today=today,
            ref=7,
            change_url="/elsewhere/7/",
        )

    contribute(
        "tests",
        schedule_sources=[
            schedule.ScheduleSource(
                key="other",
                label="Other",
                items=other_items,
                perm=VIEW_SUBSCRIPTIONS,
                change_perm=MANAGE_USERS,
            )
        ],
    )
    try:
        client = client_as(Role.ACCOUNT_MANAGER)
        body = client.get(URL, {"owner": "all"}).content.decode()
        (row,) = [r for r in agenda_items(body) if 'data-kind="other"' in r]
        assert "/elsewhere/7/" not in row and "Something else" in row
        assert body.count('data-testid="change-link"') == 4  # the built-in kinds keep theirs
        assert "/elsewhere/7/" not in b"".join(client.get(CSV_URL).streaming_content).decode()
    finally:
        contribute("tests", schedule_sources=[])


def test_deadlines_per_kind_stand_out(client_as, items):
    """Pre-order and reservation: the day before they apply. Renewal: the last day of the term (the contract
    sets no earlier cut-off), which is also the day before the renewal applies."""
    body = client_as(Role.SUPPORT).get(URL, {"date_to": "2026-12-31"}).content.decode()
    rows = {re.search(r'data-kind="(\w+)"', r).group(1): r for r in agenda_items(body)}
    assert "Last day to change: 2026-11-23" in rows["pre_order"]  # 2 days away
    assert "Last day to change: 2026-11-27" in rows["renewal"]  # the term ends 11-27, renews 11-28
    assert 'data-testid="deadline-soon"' not in rows["reservation"]  # 11-30: 9 days away


def test_an_item_past_its_deadline_says_so(client_as, frozen):
    make_pre_order(apply_date=D(2026, 11, 21))  # applies today: yesterday was the last day
    make_subscription(
        renewal_type="CANCEL", plan_end_date=D(2026, 11, 21)
    )  # renews tomorrow: today is the last
    body = client_as(Role.SUPPORT).get(URL).content.decode()
    rows = {re.search(r'data-kind="(\w+)"', r).group(1): r for r in agenda_items(body)}
    assert 'data-testid="deadline-passed"' in rows["pre_order"]
    assert "Last day to change: 2026-11-21" in rows["renewal"]


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="scheduled-changes-' in response["Content-Disposition"]
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


@pytest.mark.parametrize(
    "params",
    [{}, {"kind": "pre_order"}, {"q": "ブルー"}, {"date_from": "2026-12-01", "date_to": "2027-01-31"}],
)
def test_csv_holds_exactly_the_filtered_items(client_as, items, params):
    client = client_as(Role.ACCOUNT_MANAGER)
    params = {**params, "owner": "all"}  # an Account manager's lists open on their own customers
    page = agenda_items(client.get(URL, params).content.decode())
    on_page = [
        (
            re.search(r'data-kind="(\w+)"', r).group(1),
            re.search(r'data-domain-id="(\d+)"', r).group(1),
        )
        for r in page
    ]
    header, *rows = read_csv(client.get(CSV_URL, params))
    assert header == ["Date", "Type", "Domain ID", "Company", "Change", "Last day to change", "Page", "Form"]
    labels = {"Pre-order": "pre_order", "Reservation": "reservation", "Renewal": "renewal"}
    assert [(labels[r[1]], r[2]) for r in rows] == on_page
    assert len(rows) >= 1


def test_csv_columns(client_as, items):
    links = expected_links(items)
    rows = read_csv(client_as(Role.ACCOUNT_MANAGER).get(CSV_URL, {"date_to": "2026-12-31", "owner": "all"}))[
        1:
    ]
    assert rows[0] == [
        "2026-11-24",
        "Pre-order",
        str(items["pre"].customer_id),
        "Midori Denki, Inc.; Tokyo",
        "New subscription: Standard, Monthly",
        "2026-11-23",
        "http://testserver" + links["pre_order"][0],
        "http://testserver" + links["pre_order"][1],
    ]
    assert [r[0] for r in rows] == ["2026-11-24", "2026-11-28", "2026-12-01"]
    support_rows = read_csv(client_as(Role.SUPPORT).get(CSV_URL, {"date_to": "2026-12-31"}))[1:]
    assert [r[7] for r in support_rows] == ["", "", ""]  # no form for a read-only role
    assert [r[6] for r in support_rows] == [r[6] for r in rows]


def test_exports_of_the_calendar_hold_the_month_shown(client_as, items):
    client = client_as(Role.SUPPORT)
    rows = read_csv(client.get(CSV_URL, {"view": "calendar", "month": "2027-01"}))[1:]
    assert [(r[0], r[1]) for r in rows] == [("2027-01-05", "Pre-order")]
    # The page's export link carries the month, also when the calendar opened on its default month.
    body = client.get(URL, {"view": "calendar"}).content.decode()
    assert re.search(r'href="/scheduled/export\.csv\?view=calendar&amp;month=2026-11"', body)
    assert re.search(r'href="/scheduled/export\.ics\?view=calendar&amp;month=2026-11"', body)


def events(response) -> list[dict[str, str]]:
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert 'filename="scheduled-changes-' in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    lines = unfold(data)
    assert lines[:2] == ["BEGIN:VCALENDAR", "VERSION:2.0"] and lines[-1] == "END:VCALENDAR"
    out, current = [], None
    for line in lines:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            out.append(current)
            current = None
        elif current is not None:
            name, value = line.split(":", 1)
            current[name] = value
    return out


def test_icalendar_has_an_all_day_event_per_item(client_as, items):
    client = client_as(Role.ACCOUNT_MANAGER)
    got = events(client.get(ICS_URL, {"date_to": "2026-12-31", "owner": "all"}))
    links = expected_links(items)
    pre, res, renew = items["pre"], items["res"], items["renew"]
    assert [e["UID"] for e in got] == [
        f"pre_order-{pre.pre_order_id}@partner-portal",
        f"renewal-{renew.subscription_id}-20261128@partner-portal",
        f"reservation-{res.subscription_id}@partner-portal",
    ]
    first = got[0]
    assert first["DTSTART;VALUE=DATE"] == "20261124" and first["DTEND;VALUE=DATE"] == "20261125"
    assert first["DTSTAMP"] == "20261120T160000Z"
    assert first["SUMMARY"] == "Pre-order: Midori Denki\\, Inc.\\; Tokyo"  # TEXT escaped
    assert unescape(first["DESCRIPTION"]).split("\n") == [
        "New subscription: Standard, Monthly",
        "Last day to change: 2026-11-23",
        f"Domain ID: {pre.customer_id}",
        f"Form: http://testserver{links['pre_order'][1]}",
    ]
    assert first["URL"] == "http://testserver" + links["pre_order"][0]
    assert got[2]["URL"] == "http://testserver" + links["reservation"][0]
    assert "ブルーオーシャン株式会社" in unescape(got[2]["SUMMARY"])
    support = events(client_as(Role.SUPPORT).get(ICS_URL, {"date_to": "2026-12-31"}))
    assert all("Form:" not in e["DESCRIPTION"] for e in support)


def test_icalendar_uids_stay_when_a_change_moves(client_as, items):
    client = client_as(Role.SUPPORT)
    before = {e["UID"]: e["DTSTART;VALUE=DATE"] for e in events(client.get(ICS_URL, {"kind": "reservation"}))}
    items["res"].apply_date = D(2026, 12, 3)
    items["res"].save()
    after = {e["UID"]: e["DTSTART;VALUE=DATE"] for e in events(client.get(ICS_URL, {"kind": "reservation"}))}
    assert list(before) == list(after) and list(after.values()) == ["20261203"]


def test_icalendar_follows_the_filters(client_as, items):
    got = events(client_as(Role.SUPPORT).get(ICS_URL, {"q": "midori"}))
    assert [e["UID"].split("-")[0] for e in got] == ["pre_order"]


@pytest.mark.parametrize(
    ("role", "status"),
    [(Role.ACCOUNT_MANAGER, 200), (Role.ADMIN, 200), (Role.SUPPORT, 200), (Role.FINANCE, 403)],
)
@pytest.mark.parametrize("url", [URL, CSV_URL, ICS_URL])
def test_who_may_open_the_page_and_its_exports(client_as, frozen, role, status, url):
    assert client_as(role).get(url).status_code == status


@pytest.mark.parametrize("url", [URL, CSV_URL, ICS_URL])
def test_anonymous_users_are_sent_to_log_in(client, url):
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("url", [CSV_URL, ICS_URL])
def test_exports_answer_get_only(client_as, url):
    assert client_as(Role.SUPPORT).post(url).status_code == 405


def test_the_downloads_read_a_window_at_a_time_are_the_same_files_in_the_reader_s_language(
    client_as, items, monkeypatch
):
    """The agenda's three months at a large partner's are tens of thousands of items: the downloads read a
    week at a time as they are written. A day at a time gives the same files, in date order, still in the
    requester's language (read after the view has answered)."""
    from schedule import selectors

    client = client_as(Role.ACCOUNT_MANAGER)
    params = {"owner": "all"}
    week_csv, week_ics = read_csv(client.get(CSV_URL, params)), client.get(ICS_URL, params)
    week_events = b"".join(week_ics.streaming_content).decode().count("BEGIN:VEVENT")
    monkeypatch.setattr(selectors, "DOWNLOAD_DAYS", 1)
    rows = read_csv(client.get(CSV_URL, params))
    assert rows == week_csv and [r[0] for r in rows[1:]] == sorted(r[0] for r in rows[1:]) and len(rows) > 3
    daily = b"".join(client.get(ICS_URL, params).streaming_content).decode()
    assert daily.count("BEGIN:VEVENT") == week_events == len(rows) - 1
    japanese = client.get(CSV_URL, params, HTTP_ACCEPT_LANGUAGE="ja")
    text = b"".join(japanese.streaming_content).decode("utf-8")
    assert "事前注文" in text and "Pre-order" not in text


def test_a_download_of_years_is_read_in_at_most_sixty_windows(
    client_as, items, django_assert_max_num_queries
):
    """A range of ten years is not read a week at a time (hundreds of reads of each kind): in longer windows."""
    from schedule import selectors

    client = client_as(Role.ACCOUNT_MANAGER)
    params = {"owner": "all", "date_to": "2036-11-30"}
    kinds = len(selectors._visible_sources(client.get(URL).wsgi_request.user, selectors.ScheduleFilters()))
    with django_assert_max_num_queries(20 + selectors.DOWNLOAD_READS * kinds):
        rows = read_csv(client.get(CSV_URL, params))
    assert len(rows) > 3
