"""The daily digest: each Account manager gets one e-mail (Japanese, then English) of the decisions whose
deadline is within 7 days, with links to the forms; nothing once the window has passed, nothing to those with
nothing to decide or who do not decide. Run through the Celery task the beat schedule names."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail

from home import tasks
from portal.celery import app
from portal.core.access import Role
from tests.customers.factories import make_customer
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
    assert entry["schedule"].nowfun().utcoffset() == dt.timedelta(hours=9)
