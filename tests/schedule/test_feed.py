"""The private calendar feed: a user makes a secret URL (shown once) on their page, a calendar app reads it
without a session and gets the scheduled changes and the deadlines of the decisions still open; a new URL or a
revocation stops the old one (404), as does a wrong token. Business date: 2026-11-21 (Tokyo)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from portal.core.access import Role
from tests.core.test_ical import unescape, unfold
from tests.customers.factories import make_customer
from tests.subscriptions.factories import make_pre_order, make_subscription

D = dt.date


def parse(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    lines = unfold(b"".join(response.streaming_content))
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    out, current = [], None
    for line in lines:
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            out.append(current)
            current = None
        elif current is not None:
            name, value = line.split(":", 1)
            current[name.split(";", 1)[0]] = unescape(value)
    return out


@pytest.fixture
def items(db, frozen):
    pre = make_pre_order(make_customer(company_name="Midori Denki"), apply_date=D(2026, 11, 24))
    renew = make_subscription(
        make_customer(company_name="さくら商事株式会社"),
        plan="MONTHLY",
        plan_end_date=D(2026, 11, 30),
        renewal_type="STAY",
    )
    passed = make_subscription(
        make_customer(company_name="Passed KK"),
        plan="MONTHLY",
        plan_end_date=D(2026, 11, 20),
        renewal_type="STAY",
    )
    return {"pre": pre, "renew": renew, "passed": passed}


def _make_feed(client) -> str:
    response = client.post(reverse("schedule:feed"), {"action": "make"})
    assert response.status_code == 200
    url = re.search(r'id="feed-url"[^>]*value="([^"]+)"', response.content.decode()).group(1)
    assert url.startswith("http://testserver/scheduled/feed/") and url.endswith(".ics")
    return url.removeprefix("http://testserver")


def test_a_calendar_reads_the_feed_without_a_session(client_as, items):
    url = _make_feed(client_as(Role.ACCOUNT_MANAGER))
    events = {e["UID"]: e for e in parse(Client().get(url))}
    pre, renew = items["pre"], items["renew"]
    scheduled = events[f"pre_order-{pre.pre_order_id}@partner-portal"]
    assert scheduled["DTSTART"] == "20261124" and scheduled["SUMMARY"] == "Pre-order: Midori Denki"
    decision = events[f"decision-renewal-decision-{renew.subscription_id}-20261130@partner-portal"]
    assert decision["DTSTART"] == "20261130" and decision["DTEND"] == "20261201"
    assert decision["SUMMARY"] == "Decide by: さくら商事株式会社 (Renewal decisions)"
    assert f"http://testserver/subscriptions/{renew.subscription_id}/renewal/" in decision["DESCRIPTION"]
    assert not any("Passed KK" in e["SUMMARY"] for e in events.values())


def test_support_s_feed_has_no_forms(client_as, items):
    events = parse(Client().get(_make_feed(client_as(Role.SUPPORT))))
    assert events and all("Form:" not in e.get("DESCRIPTION", "") for e in events)
    assert any(e["SUMMARY"].startswith("Decide by: さくら商事株式会社") for e in events)


def test_revoking_or_making_a_new_url_stops_the_old_one(client_as, items):
    owner = client_as(Role.ACCOUNT_MANAGER)
    first = _make_feed(owner)
    assert Client().get(first).status_code == 200
    second = _make_feed(owner)
    assert Client().get(first).status_code == 404
    assert Client().get(second).status_code == 200
    page = owner.get(reverse("schedule:feed")).content.decode()
    assert "Your feed is on" in page and second not in page  # the secret is shown only once
    response = owner.post(reverse("schedule:feed"), {"action": "revoke"}, follow=True)
    assert "Your calendar feed is revoked" in response.content.decode()
    assert Client().get(second).status_code == 404
    assert "You have no feed" in owner.get(reverse("schedule:feed")).content.decode()


def test_wrong_tokens_and_bad_actions_get_clear_answers(client_as, db):
    assert Client().get(reverse("schedule:feed_ics", args=["x" * 43])).status_code == 404
    assert Client().get(reverse("schedule:feed_ics", args=["x" * 500])).status_code == 404
    response = client_as(Role.ACCOUNT_MANAGER).post(reverse("schedule:feed"), {"action": "explode"})
    assert response.status_code == 400


def test_a_deactivated_user_s_feed_stops(client_as, items):
    from django.contrib.auth import get_user_model

    url = _make_feed(client_as(Role.ACCOUNT_MANAGER))
    get_user_model().objects.filter(username="account_manager-persona").update(is_active=False)
    assert Client().get(url).status_code == 404


def test_the_feed_page_in_japanese(client_as, db):
    html = client_as(Role.SUPPORT).get(reverse("schedule:feed"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "マイカレンダーフィード" in html and "フィードの URL を作成" in html
