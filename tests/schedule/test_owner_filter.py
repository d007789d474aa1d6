"""The Scheduled changes page's Owner filter (issue 31, item 1): the customers app's contributed `CustomerFilter`,
as on every list of customers' rows. An Account manager's page opens on "Mine" (remembered, not a wall); the
agenda, the calendar and the downloads hold exactly the customers it chooses, and it adds no query per item."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from customers import services
from customers.selectors import Owner
from portal.core.access import Role
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
    with "Mine" reads the same queries as with no filter at all, whatever the number of items."""
    client.force_login(people["aiko"])
    headers = {"HX-Request": "true", "HX-Target": "agenda"}

    def queries(owner: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL, {"owner": owner}, headers=headers).status_code == 200
        return len(ctx.captured_queries)

    client.get(URL)
    few_mine, few_all = queries(Owner.MINE), queries(Owner.EVERYONE)
    for i in range(20):
        _assign(people, make_customer(company_name=f"Aiko {i}"), people["aiko"])
    for customer in [*owned.values()] * 5:
        make_pre_order(customer, apply_date=D(2026, 12, 10))
    assert queries(Owner.MINE) == few_mine == few_all == queries(Owner.EVERYONE)
