"""The private calendar feed: a user makes a secret URL (shown once) on their page, a calendar app reads it
without a session and gets the scheduled changes and the deadlines of the decisions still open; a new URL or a
revocation stops the old one (404), as does a wrong token. Business date: 2026-11-21 (Tokyo).

As a subscribed calendar polls it: the same data reads the same bytes (DTSTAMP is when the content changed, not
the time of the request), a poll that has the current version gets 304 Not Modified (ETag or Last-Modified),
the answer may be kept privately for a while (Cache-Control), and HEAD is answered."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from customers.models import Customer
from portal.core.access import Role
from tests.core.test_ical import unescape, unfold
from tests.customers.factories import make_customer, make_owner
from tests.fixtures.downloads import body
from tests.fixtures.personas import make_persona
from tests.subscriptions.factories import make_pre_order, make_subscription

D = dt.date


def parse(response) -> list[dict[str, str]]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    lines = unfold(body(response))
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
    manager = make_persona(Role.ACCOUNT_MANAGER)  # the persona client_as signs in: these are its customers
    for customer_id in (pre.customer_id, renew.customer_id, passed.customer_id):
        make_owner(Customer.objects.get(pk=customer_id), manager)
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


#: The frozen fixture's time, and later reads of the same feed.
FIRST_READ = dt.datetime(2026, 11, 20, 16, 0, tzinfo=dt.UTC)
HOUR_LATER = FIRST_READ + dt.timedelta(hours=1)
LATER = FIRST_READ + dt.timedelta(hours=3)


def _stamps(response) -> set[str]:
    return {line.split(":", 1)[1] for line in unfold(body(response)) if line.startswith("DTSTAMP:")}


def test_unchanged_data_reads_the_same_bytes_stamped_when_it_changed_not_when_asked(client_as, items):
    url = _make_feed(client_as(Role.ACCOUNT_MANAGER))
    first = Client().get(url)
    with time_machine.travel(HOUR_LATER, tick=False):
        again = Client().get(url)
    assert body(again) == body(first)
    assert _stamps(again) == {"20261120T160000Z"}  # the first read's time, not the second's


def test_a_second_poll_with_nothing_changed_gets_304_without_the_body(client_as, items):
    url = _make_feed(client_as(Role.ACCOUNT_MANAGER))
    first = Client().get(url)
    etag, last_modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('"') and last_modified == "Fri, 20 Nov 2026 16:00:00 GMT"
    with time_machine.travel(HOUR_LATER, tick=False):
        by_etag = Client().get(url, HTTP_IF_NONE_MATCH=etag)
        by_date = Client().get(url, HTTP_IF_MODIFIED_SINCE=last_modified)
    for poll in (by_etag, by_date):
        assert poll.status_code == 304 and poll.content == b""
        assert poll["ETag"] == etag and poll["Last-Modified"] == last_modified


def test_a_change_of_the_data_is_a_new_version_stamped_with_its_time(client_as, items):
    url = _make_feed(client_as(Role.ACCOUNT_MANAGER))
    first = Client().get(url)
    with time_machine.travel(LATER, tick=False):
        aoi = make_customer(company_name="Aoi Shoji")
        make_owner(aoi, make_persona(Role.ACCOUNT_MANAGER))  # a new customer of the feed's owner
        make_pre_order(aoi, apply_date=D(2026, 11, 26))
        changed = Client().get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]
    assert changed["Last-Modified"] == "Fri, 20 Nov 2026 19:00:00 GMT"
    assert _stamps(changed) == {"20261120T190000Z"}
    assert any(e["SUMMARY"] == "Pre-order: Aoi Shoji" for e in parse(changed))


def test_only_the_subscriber_s_own_client_may_keep_the_feed_a_while(client_as, items):
    response = Client().get(_make_feed(client_as(Role.ACCOUNT_MANAGER)))
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert "private" in directives and "public" not in directives
    max_age = next(int(d.split("=")[1]) for d in directives if d.startswith("max-age="))
    assert 60 <= max_age <= 3600


def test_head_is_answered_with_the_headers_of_get(client_as, items):
    url = _make_feed(client_as(Role.ACCOUNT_MANAGER))
    get = Client().get(url)
    head = Client().head(url)
    assert head.status_code == 200 and head.content == b""
    assert head["ETag"] == get["ETag"] and head["Content-Type"] == "text/calendar; charset=utf-8"
    assert Client().head(url, HTTP_IF_NONE_MATCH=get["ETag"]).status_code == 304


def test_a_revoked_or_wrong_token_gets_the_plain_404_even_when_polled_conditionally(client_as, items):
    owner = client_as(Role.ACCOUNT_MANAGER)
    url = _make_feed(owner)
    etag = Client().get(url)["ETag"]
    owner.post(reverse("schedule:feed"), {"action": "revoke"})
    for method in (Client().get, Client().head):
        assert method(url, HTTP_IF_NONE_MATCH=etag).status_code == 404
    wrong = reverse("schedule:feed_ics", args=["x" * 43])
    assert Client().head(wrong).status_code == 404
    assert "ETag" not in Client().get(wrong)


# --- In the subscriber's language ------------------------------------------------------------------------------


def _summaries(url: str, **headers) -> set[str]:
    return {e["SUMMARY"] for e in parse(Client().get(url, **headers))}


def test_the_feed_is_written_in_the_language_its_owner_reads_not_the_calendar_app_s(client_as, items):
    """A calendar app polls without a session and with its own Accept-Language: the feed follows its owner, who
    reads the portal in Japanese (the language they made it in, and every switch after)."""
    owner = client_as(Role.ACCOUNT_MANAGER)
    owner.cookies["django_language"] = "ja"
    url = _make_feed(owner)
    assert _summaries(url, HTTP_ACCEPT_LANGUAGE="en") >= {"事前注文：Midori Denki"}
    assert "日本語" in owner.get(reverse("schedule:feed")).content.decode()  # the page says which language

    owner.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert _summaries(url, HTTP_ACCEPT_LANGUAGE="ja") >= {"Pre-order: Midori Denki"}


def test_the_language_a_user_signs_in_with_is_theirs_until_they_switch(client, items):
    from schedule.feed import feed_make
    from tests.fixtures.personas import PASSWORD, make_persona

    support = make_persona(Role.SUPPORT)  # signs in with one step: a password
    url = reverse("schedule:feed_ics", args=[feed_make(user=support)])  # made before, in no language
    assert _summaries(url) >= {"Pre-order: Midori Denki"}  # the portal's default until the user is known
    client.cookies["django_language"] = "ja"
    assert (
        client.post(reverse("login"), {"username": support.username, "password": PASSWORD}).status_code == 302
    )
    assert _summaries(url) >= {"事前注文：Midori Denki"}
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert _summaries(url) >= {"Pre-order: Midori Denki"}
