"""The daily digest: each Account manager gets one e-mail (Japanese, then English) of the decisions whose
deadline is within 7 days, with links to the forms; nothing once the window has passed, nothing to those with
nothing to decide or who do not decide, or who turned it off on its page. Run through the Celery task the beat
schedule names.

As mail clients read it: the sent message is parsed by Python's `email` package with its modern policy (as
current mail software folds and unfolds headers): a multipart message with a text and an HTML part of the same
content and absolute links, a Subject read back exactly, Auto-Submitted and List-Unsubscribe."""

from __future__ import annotations

import datetime as dt
import email
import re
from email import policy

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from home import tasks
from portal.celery import app
from portal.core.access import Role
from tests.customers.factories import make_customer, make_owner
from tests.fixtures.personas import make_persona
from tests.subscriptions.factories import make_subscription

D = dt.date
#: 2026-11-21 09:00 in Tokyo.
MORNING = dt.datetime(2026, 11, 21, 0, 0, tzinfo=dt.UTC)


@pytest.fixture
def people(db, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PORTAL_BASE_URL = "https://portal.example"
    manager = make_persona(Role.ACCOUNT_MANAGER, "am-with-mail")
    manager.email = "am@example.com"
    manager.save()
    support = make_persona(Role.SUPPORT, "support-with-mail")
    support.email = "support@example.com"
    support.save()
    customer = make_customer(company_name="さくら商事株式会社")
    sub = make_subscription(customer, plan="MONTHLY", plan_end_date=D(2026, 11, 25), renewal_type="STAY")
    later = make_customer(company_name="Far Away KK")
    make_subscription(later, plan="MONTHLY", plan_end_date=D(2026, 12, 20), renewal_type="STAY")
    make_owner(customer, manager)
    make_owner(later, manager)
    return {"manager": manager, "sub": sub}


def _send() -> int:
    return tasks.digest_send_daily.apply().get()


def test_an_account_manager_gets_the_decisions_due_soon_with_links_to_their_forms(people):
    with time_machine.travel(MORNING, tick=False):
        assert _send() == 1
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["am@example.com"]
    assert "1件" in message.subject and "1 decision due soon (2026-11-21)" in message.subject
    japanese, english = message.body.split("----------------------------------------")
    sub_id = people["sub"].subscription_id
    form = f"https://portal.example/subscriptions/{sub_id}/renewal/"
    assert "さくら商事株式会社" in japanese and "判断期限 2026-11-25" in japanese and form in japanese
    assert "Decide by 2026-11-25 (4 days left)" in english and form in english
    assert "Far Away KK" not in message.body  # its deadline is weeks away


def test_nothing_is_sent_once_the_window_has_passed(people):
    with time_machine.travel(dt.datetime(2026, 11, 25, 0, 0, tzinfo=dt.UTC), tick=False):
        assert _send() == 1  # the term's last day: still decidable
    assert "(0 days left)" in mail.outbox[0].body
    mail.outbox.clear()
    with time_machine.travel(dt.datetime(2026, 11, 26, 0, 0, tzinfo=dt.UTC), tick=False):
        assert _send() == 0
    assert mail.outbox == []


def test_nobody_without_a_decision_due_gets_mail(people):
    people["sub"].delete()
    with time_machine.travel(MORNING, tick=False):
        assert _send() == 0
    assert mail.outbox == []


def test_the_digest_is_in_the_one_beat_schedule_each_morning_japan_time(settings):
    app.loader.import_default_modules()
    app.finalize()
    entry = next(e for e in app.conf.beat_schedule.values() if e["task"] == "home.digest.send_daily")
    assert entry["schedule"].hour == {settings.DIGEST_HOUR} and entry["schedule"].minute == {0}
    # Japan time: beat reads the hours in Celery's time zone (driven by the clock in tests/core/test_beat_schedule.py).
    assert str(entry["schedule"].tz) == "Asia/Tokyo"


def _parsed(message) -> email.message.EmailMessage:
    """The message as sent (its bytes), read back with the modern policy."""
    return email.message_from_bytes(message.message().as_bytes(), policy=policy.default)


def _sent(people) -> email.message.EmailMessage:
    with time_machine.travel(MORNING, tick=False):
        assert _send() == 1
    return _parsed(mail.outbox[0])


def test_the_digest_is_a_text_and_an_html_part_with_the_same_content_and_absolute_links(people):
    parsed = _sent(people)
    assert parsed.get_content_type() == "multipart/alternative"
    text = parsed.get_body(preferencelist=("plain",)).get_content()
    html = parsed.get_body(preferencelist=("html",)).get_content()
    form = f"https://portal.example/subscriptions/{people['sub'].subscription_id}/renewal/"
    for part in (text, html):
        assert "さくら商事株式会社" in part and "判断期限 2026-11-25" in part and "残り4日" in part
        assert "Decide by 2026-11-25" in part and "4 days left" in part
        assert "Far Away KK" not in part
    assert f'href="{form}"' in html and form in text
    hrefs = re.findall(r'href="([^"]+)"', html)
    assert hrefs and all(href.startswith("https://portal.example/") for href in hrefs)
    assert '<html lang="ja">' in html and '<div lang="en">' in html


def test_the_subject_reads_back_exactly_with_no_empty_first_line(people):
    with time_machine.travel(MORNING, tick=False):
        assert _send() == 1
    message = mail.outbox[0]
    raw = message.message().as_bytes().decode("utf-8")
    (subject_line,) = [line for line in raw.splitlines() if line.startswith("Subject:")]
    assert subject_line.removeprefix("Subject:").strip().startswith("=?utf-8?")  # not a fold before the text
    subject = _parsed(message)["Subject"]
    assert subject == message.subject and not subject.startswith(" ")
    assert subject.startswith("【パートナーポータル】期限が近い判断 1件") and subject.endswith(
        "Partner Portal: 1 decision due soon (2026-11-21)"
    )


def test_the_digest_says_it_is_automatic_and_where_to_turn_it_off(people):
    parsed = _sent(people)
    assert parsed["Auto-Submitted"] == "auto-generated"
    settings_page = "https://portal.example" + reverse("digest")
    assert parsed["List-Unsubscribe"] == f"<{settings_page}>"
    text = parsed.get_body(preferencelist=("plain",)).get_content()
    html = parsed.get_body(preferencelist=("html",)).get_content()
    assert f"配信を停止するには：{settings_page}" in text and f"turn the digest off: {settings_page}" in text
    assert f'<a href="{settings_page}">' in html


def test_an_account_manager_turns_the_digest_off_and_on_from_its_page(people, client_as):
    client = client_as(Role.ACCOUNT_MANAGER)
    manager = people["manager"]
    client.force_login(manager)
    page = client.get(reverse("digest")).content.decode()
    assert "The digest is on" in page and "am@example.com" in page
    response = client.post(reverse("digest"), {"on": "0"}, follow=True)
    assert "The morning digest is off" in response.content.decode()
    assert "The digest is off" in response.content.decode()
    with time_machine.travel(MORNING, tick=False):
        assert _send() == 0
    assert mail.outbox == []
    client.post(reverse("digest"), {"on": "1"})
    with time_machine.travel(MORNING, tick=False):
        assert _send() == 1
    assert client.post(reverse("digest"), {"on": "maybe"}).status_code == 400


def test_the_digest_page_in_japanese_and_for_a_role_that_does_not_get_it(people, client_as):
    client = client_as(Role.ACCOUNT_MANAGER)
    client.force_login(people["manager"])
    ja = client.get(reverse("digest"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "毎朝のまとめメール" in ja and "まとめメールを停止する" in ja and "毎朝8時（日本時間）" in ja
    admin = client_as(Role.ADMIN).get(reverse("digest")).content.decode()
    assert "Your role does not get the digest" in admin and 'data-testid="digest-off"' not in admin
    assert client_as(Role.SUPPORT).get(reverse("digest")).status_code == 403


def test_the_digest_greets_the_person_as_each_language_writes_a_name(people):
    """「新人 太郎 様」: family name first and 様 in the Japanese part; the English part keeps a name written in kanji
    family name first too, and writes a Latin-script name given name first."""
    manager = people["manager"]
    manager.first_name, manager.last_name = "太郎", "新人"
    manager.save()
    with time_machine.travel(MORNING, tick=False):
        _send()
    text = mail.outbox[0].body
    assert text.startswith("新人 太郎 様\n") and "\nHello 新人 太郎,\n" in text
    html_part = mail.outbox[0].alternatives[0][0]
    assert "<p>新人 太郎 様</p>" in html_part and "<p>Hello 新人 太郎,</p>" in html_part

    manager.first_name, manager.last_name = "Taro", "Shinjin"
    manager.save()
    mail.outbox.clear()
    with time_machine.travel(MORNING, tick=False):
        _send()
    assert (
        mail.outbox[0].body.startswith("Shinjin Taro 様\n")
        and "\nHello Taro Shinjin,\n" in mail.outbox[0].body
    )


def test_who_chose_line_works_gets_the_digest_from_the_bot_once_a_morning_in_their_language(people):
    from portal.core.models import Notice, NoticeChoice, UserLanguage

    manager = people["manager"]
    NoticeChoice.objects.create(user=manager, kind="digest", way="line_works")
    UserLanguage.objects.create(user=manager, language="ja")
    with time_machine.travel(MORNING, tick=False):
        assert _send() == 1
        assert _send() == 0  # beat sent it twice: told once
    assert mail.outbox == []  # not by e-mail as well
    (notice,) = Notice.objects.filter(user=manager)
    assert notice.way == "line_works" and notice.kind == "digest"
    assert "1件" in notice.title and "さくら商事株式会社" in notice.text and "Far Away KK" not in notice.text
    assert notice.url == "https://portal.example/"
