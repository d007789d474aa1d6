"""Whose work the home page, the morning digest and the calendar feed hold: an Account manager's own customers';
an Admin's choice of unassigned, their own or everyone's (remembered); Support's of their own (as support
contact) or everyone's; Finance everyone's.
Business date: 2026-11-21 (Tokyo)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from home.digest import digest_message
from home.worklist import decisions_for
from portal.core.access import Role
from portal.core.models import Operation
from schedule.feed import feed_events
from tests.customers.factories import make_customer, make_owner
from tests.fixtures.personas import make_persona
from tests.subscriptions.factories import make_subscription

D = dt.date


@pytest.fixture
def portfolio(db, frozen):
    """Three customers with a renewal to decide, one near its maximum users and an unknown change each: the
    Account manager persona's, another Account manager's, and nobody's."""
    me = make_persona(Role.ACCOUNT_MANAGER)
    other = make_persona(Role.ACCOUNT_MANAGER, "other-manager")
    found = {}
    for key, owner in (("mine", me), ("theirs", other), ("nobody", None)):
        customer = make_customer(
            company_name=f"Renews {key.title()} KK", member_count=48, max_member_count=50
        )
        make_subscription(customer, plan="MONTHLY", plan_end_date=D(2026, 11, 28), renewal_type="STAY")
        Operation.objects.create(
            idempotency_key=f"k-{key}",
            kind="patchUsageStatus",
            domain_id=customer.domain_id,
            status="unknown",
        )
        if owner is not None:
            make_owner(customer, owner)
        found[key] = customer
    found["me"], found["other"] = me, other
    return found


def _section(html: str, key: str) -> str:
    match = re.search(rf'<section[^>]*data-work="{key}".*?</section>', html, re.S)
    return match.group(0) if match else ""


def _count(html: str, key: str) -> int:
    return int(re.search(r"data-work-count>(\d+)<", _section(html, key)).group(1))


def _companies(html: str, key: str) -> set[str]:
    return set(re.findall(r"Renews \w+ KK", _section(html, key)))


def _figure(html: str, key: str) -> int:
    return int(re.search(rf'data-figure="{key}">\s*<div class="figure">(\d+)<', html).group(1))


def test_an_account_manager_s_home_page_holds_only_their_own_customers_work(client_as, portfolio):
    html = client_as(Role.ACCOUNT_MANAGER).get(reverse("home")).content.decode()
    for key in ("renewal-decisions", "max-users", "operations"):
        assert _companies(html, key) == {"Renews Mine KK"}, key
        assert _count(html, key) == 1, key
    assert _figure(html, "customers") == 1
    assert 'data-testid="whose-owner"' not in html  # no choice: an Account manager's worklist is their own


def test_an_account_manager_s_digest_and_feed_hold_only_their_own_customers(portfolio):
    me = portfolio["me"]
    assert {item.customer for _s, item in decisions_for(me)} == {"Renews Mine KK"}
    message = digest_message(me, today=D(2026, 11, 21))
    assert message is not None
    assert "Renews Mine KK" in message.body
    assert "Renews Theirs KK" not in message.body and "Renews Nobody KK" not in message.body
    summaries = [event.summary for event in feed_events(user=me, origin="http://testserver")]
    assert any("Renews Mine KK" in s for s in summaries)
    assert not any("Theirs" in s or "Nobody" in s for s in summaries)
    other = {item.customer for _s, item in decisions_for(portfolio["other"])}
    assert other == {"Renews Theirs KK"}


def test_support_opens_on_everyone_s_work_and_chooses_the_customers_they_are_contact_of(portfolio):
    """Support's "Mine": the customers whose support contact they are (their Account manager is someone else's
    business), chosen on the home page as an Admin chooses, and remembered."""
    support = make_persona(Role.SUPPORT)
    client = Client()
    client.force_login(support)
    make_owner(portfolio["theirs"], portfolio["other"], support)
    make_owner(portfolio["nobody"], None, support)
    every = {"Renews Mine KK", "Renews Theirs KK", "Renews Nobody KK"}
    html = client.get(reverse("home")).content.decode()
    assert _companies(html, "renewal-decisions") == every
    assert re.search(r'data-whose="all" aria-current="page"', html)
    assert (
        'data-whose="none"' not in html
    )  # "Unassigned" is the Admins' (customers without an Account manager)

    html = client.get(reverse("home"), {"owner": "mine"}).content.decode()
    assert _companies(html, "renewal-decisions") == {"Renews Theirs KK", "Renews Nobody KK"}
    assert _figure(html, "customers") == 2
    assert re.search(r'data-whose="mine" aria-current="page"', html)
    html = client.get(reverse("home")).content.decode()  # remembered
    assert _companies(html, "max-users") == {"Renews Theirs KK", "Renews Nobody KK"}
    html = client.get(reverse("home"), {"owner": "all"}).content.decode()
    assert _companies(html, "renewal-decisions") == every


def test_finance_sees_everyone_s_work_without_a_choice(client_as, portfolio):
    html = client_as(Role.FINANCE).get(reverse("home")).content.decode()
    assert 'data-testid="whose-owner"' not in html


def _admin_with_a_customer():
    """The Admin persona, who looks after a customer of their own too (work in every section for "Mine")."""
    admin = make_persona(Role.ADMIN)
    admins_own = make_customer(company_name="Renews Admins KK", member_count=48, max_member_count=50)
    make_subscription(admins_own, plan="MONTHLY", plan_end_date=D(2026, 11, 29), renewal_type="STAY")
    Operation.objects.create(
        idempotency_key="k-admin", kind="patchUsageStatus", domain_id=admins_own.domain_id, status="unknown"
    )
    make_owner(admins_own, admin)
    return admin


def test_an_admin_chooses_unassigned_mine_or_everyone_s_and_the_choice_is_remembered(client_as, portfolio):
    admin = _admin_with_a_customer()
    client = Client()
    client.force_login(admin)
    every = {"Renews Mine KK", "Renews Theirs KK", "Renews Nobody KK", "Renews Admins KK"}

    html = client.get(reverse("home")).content.decode()  # an Admin opens on everyone's
    assert _companies(html, "renewal-decisions") == every
    assert re.search(r'data-whose="all" aria-current="page"', html)
    assert _figure(html, "customers") == 4

    html = client.get(reverse("home"), {"owner": "none"}).content.decode()
    assert _companies(html, "renewal-decisions") == {"Renews Nobody KK"}
    assert _companies(html, "max-users") == {"Renews Nobody KK"}
    assert _figure(html, "customers") == 1
    # The unassigned customers' own section is the same whichever work is shown.
    assert _count(html, "unassigned") == 1

    html = client.get(reverse("home")).content.decode()  # remembered
    assert _companies(html, "renewal-decisions") == {"Renews Nobody KK"}
    assert re.search(r'data-whose="none" aria-current="page"', html)

    html = client.get(reverse("home"), {"owner": "mine"}).content.decode()
    assert _companies(html, "renewal-decisions") == {"Renews Admins KK"}
    assert _figure(html, "customers") == 1

    html = client.get(reverse("home"), {"owner": "all"}).content.decode()
    assert _companies(html, "renewal-decisions") == every


@pytest.mark.parametrize("value", [str(10**6), "<script>", "x" * 500, ""])
def test_an_admin_s_unknown_choice_shows_everyone_s_work_and_no_error(client_as, portfolio, value):
    client = client_as(Role.ADMIN)
    client.get(reverse("home"), {"owner": "none"})
    response = client.get(reverse("home"), {"owner": value})
    assert response.status_code == 200
    html = response.content.decode()
    assert _companies(html, "renewal-decisions") == {"Renews Mine KK", "Renews Theirs KK", "Renews Nobody KK"}


def test_each_choice_reads_the_home_page_in_as_many_queries(client_as, portfolio):
    _admin_with_a_customer()
    client = client_as(Role.ADMIN)
    client.get(reverse("home"))  # the session's first request loads what every later request reuses
    counts = {}
    for value in ("all", "mine", "none", "all"):
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("home"), {"owner": value})
        counts.setdefault(value, len(queries.captured_queries))
    # "Everyone's" adds no condition; the others add a subquery to each section's query, never a query.
    assert counts["mine"] == counts["none"] == counts["all"]


def test_the_choice_in_japanese(client_as, portfolio):
    html = client_as(Role.ADMIN).get(reverse("home"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    choice = re.search(r'<nav class="view-switch".*?</nav>', html, re.S).group(0)
    assert "未割り当て" in choice and "自分の担当" in choice and "全員の担当" in choice


def test_the_scheduled_changes_section_holds_only_the_account_manager_s_own_customers(client_as, portfolio):
    from tests.subscriptions.factories import make_reservation

    for key in ("mine", "theirs", "nobody"):
        subscription = portfolio[key].subscriptions.first()
        make_reservation(subscription, apply_date=D(2026, 11, 25))
    html = client_as(Role.ACCOUNT_MANAGER).get(reverse("home")).content.decode()
    assert _companies(html, "scheduled") == {"Renews Mine KK"}
    assert _count(html, "scheduled") == 1


def test_the_calendar_feed_s_scheduled_changes_are_the_account_manager_s_own_customers(portfolio):
    from tests.subscriptions.factories import make_reservation

    for key in ("mine", "theirs", "nobody"):
        make_reservation(portfolio[key].subscriptions.first(), apply_date=D(2026, 11, 25))
    events = feed_events(user=portfolio["me"], origin="http://testserver")
    scheduled = [e.summary for e in events if e.day == D(2026, 11, 25)]
    assert scheduled and all("Renews Mine KK" in s for s in scheduled), scheduled


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the shape of PostgreSQL's plan (SQLite hashes IN)"
)
def test_a_section_reads_the_account_manager_s_customers_once_not_for_each_row(portfolio):
    """An Account manager's section narrows rows that carry their customer's manager (customers/carried.py) by
    that column, a range of the section's index led by the manager, with no read of the owners table; rows that
    do not carry it, by their customers planned apart: PostgreSQL reads their keys once into a hash, where it
    probed the owners' index for each of the section's rows read. The lists' Owner filter keeps its join."""
    from home.worklist import context_for
    from portal.core.models import AuditEntry, Operation
    from subscriptions.models import Subscription

    ctx = context_for(portfolio["me"])
    narrowed = ctx.narrow(Subscription.objects.all())
    assert '"customer_manager" =' in str(narrowed.query) and "customerowner" not in str(narrowed.query)
    assert {s.customer.company_name for s in narrowed} == {"Renews Mine KK"}
    operations = ctx.narrow(
        Operation.objects.all(), key="domain_id"
    )  # core's rows carry it too, by domain_id
    assert '"customer_manager" =' in str(operations.query) and "customerowner" not in str(operations.query)
    assert ") IS TRUE" in str(ctx.narrow(AuditEntry.objects.all(), key="domain_id").query)
    from portal.core.lists import by_customer_filters

    listed = by_customer_filters(
        AuditEntry.objects.all(), {"owner": "mine"}, user=portfolio["me"], key="domain_id"
    )
    assert ") IS TRUE" not in str(listed.query)
