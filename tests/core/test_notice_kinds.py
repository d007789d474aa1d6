"""Who is told what, and how (portal/core/notices/choices.py): each person their way (their choice, else the kind's
default), in their language, never someone whose role may not see it, nobody inactive, and each step once; team
rooms that ticked the kind get it by their Incoming Webhook, whose URL is kept sealed. Against the sandbox over real
HTTP for what LINE WORKS shows."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from portal.core.access import Role
from portal.core.changes.sealing import seal
from portal.core.models import Notice, NoticeChoice, NoticeRoom, UserLanguage
from portal.core.notices.choices import line_works_id_set, tell, ways_of
from portal.core.notices.content import Message
from portal.core.notices.delivery import deliver
from sandbox.directory import PORTAL_BOT_ID, USERS, WEBHOOKS
from tests.fixtures.personas import make_persona

pytestmark = pytest.mark.django_db


def _person(role: Role, username: str, email: str = ""):
    person = make_persona(role, username=username)
    person.email = email or f"{username}@example.com"
    person.save(update_fields=["email"])
    return person


def _message():
    from django.utils.translation import gettext as _

    return Message(title=_("Activity"), text="42", url=reverse("core:notices"))


def test_each_person_is_told_their_way_and_no_one_whose_role_may_not_see_it():
    finance = _person(Role.FINANCE, "fin")  # never chose: the kind's default, none
    chose_email = _person(Role.FINANCE, "fin-mail")
    chose_none = _person(Role.FINANCE, "fin-quiet")
    chose_line_works = _person(Role.ADMIN, "adm")
    inactive = _person(Role.FINANCE, "fin-gone")
    inactive.is_active = False
    inactive.save()
    support = _person(Role.SUPPORT, "sup")  # may not see customer invoices
    NoticeChoice.objects.create(user=chose_email, kind="invoice.overdue", way="email")
    NoticeChoice.objects.create(user=chose_none, kind="invoice.overdue", way="none")
    NoticeChoice.objects.create(user=chose_line_works, kind="invoice.overdue", way="line_works")
    assert ways_of(support).get("invoice.overdue") is None and "change.failed" in ways_of(support)

    notices = tell(
        "invoice.overdue",
        users=[finance, chose_email, chose_none, chose_line_works, inactive, support],
        message=_message,
        key="1001",
    )
    assert {(n.user.username, n.way) for n in notices} == {("fin-mail", "email"), ("adm", "line_works")}
    assert tell("invoice.overdue", users=[chose_email], message=_message, key="1001") == []  # told once


def test_each_reads_it_in_their_own_language():
    english = _person(Role.FINANCE, "fin-en")
    japanese = _person(Role.FINANCE, "fin-ja")
    UserLanguage.objects.create(user=japanese, language="ja")
    for person in (english, japanese):
        NoticeChoice.objects.create(user=person, kind="invoice.overdue", way="email")
    tell("invoice.overdue", users=[english, japanese], message=_message, key="7")
    titles = dict(Notice.objects.values_list("user__username", "title"))
    assert titles == {"fin-en": "Activity", "fin-ja": "アクティビティ"}


def test_a_person_gets_an_e_mail_with_the_page_s_address(settings):
    settings.PORTAL_BASE_URL = "https://portal.example"
    person = _person(Role.ACCOUNT_MANAGER, "am")
    (notice,) = tell("change.failed", users=[person], message=_message, key="op-1")  # e-mail by default
    assert deliver(notice.pk) == Notice.State.SENT
    (sent,) = mail.outbox
    assert sent.subject == "Activity" and "Open in the portal: https://portal.example/notices/" in sent.body


@pytest.fixture
def line_works(portal_api, sandbox_server):
    server = portal_api(sandbox_server)
    server.clear_messages()
    yield server
    server.clear_faults()


def test_the_bot_finds_a_person_by_the_line_works_id_they_gave(line_works):
    person = _person(Role.ACCOUNT_MANAGER, "am", email="am-elsewhere@example.com")
    NoticeChoice.objects.create(user=person, kind="change.failed", way="line_works")
    (unknown,) = tell("change.failed", users=[person], message=_message, key="a")
    assert deliver(unknown.pk) == Notice.State.FAILED  # LINE WORKS knows no such login e-mail
    unknown.refresh_from_db()
    assert "LINE WORKS ID" in unknown.error and "404" not in unknown.error
    line_works_id_set(user=person, line_works_id=USERS[1][1])
    (found,) = tell("change.failed", users=[person], message=_message, key="b")
    assert deliver(found.pk) == Notice.State.SENT
    (posted,) = line_works.messages(kind="user")
    assert posted["botId"] == PORTAL_BOT_ID and posted["addressedAs"] == USERS[1][1]
    assert posted["content"]["type"] == "flex" and posted["content"]["altText"] == "Activity\n42"


def test_a_team_room_that_ticked_the_kind_gets_it_with_its_links_written_out(line_works, settings):
    settings.PORTAL_BASE_URL = "https://portal.example"
    token, title, _channel = WEBHOOKS[1]
    url = f"{settings.LINE_WORKS_WEBHOOK_URL_PREFIX}{token}"
    billing = NoticeRoom.objects.create(
        name="Billing", sealed_url=seal(url), url_end=url[-4:], kinds=["invoice.overdue"], language="ja"
    )
    NoticeRoom.objects.create(
        name="Paused", sealed_url=seal(url), url_end="x", kinds=["invoice.overdue"], enabled=False
    )
    NoticeRoom.objects.create(name="Sales", sealed_url=seal(url), url_end="x", kinds=["change.failed"])
    (notice,) = tell("invoice.overdue", users=[], message=_message, key="9")
    assert notice.room == billing and notice.way == Notice.Way.ROOM
    assert deliver(notice.pk) == Notice.State.SENT
    (posted,) = line_works.messages(kind="webhook")
    assert posted["webhookTitle"] == title
    assert posted["content"] == {
        "title": "アクティビティ",
        "body": {"text": "42\n\nポータルで開く: https://portal.example/notices/"},
    }
    assert tell("invoice.overdue", users=[], message=_message, key="9") == []  # once per room too


def test_a_webhook_url_removed_in_line_works_is_not_delivered_and_says_so(line_works, settings):
    url = f"{settings.LINE_WORKS_WEBHOOK_URL_PREFIX}no-such-token"
    NoticeRoom.objects.create(name="Gone", sealed_url=seal(url), url_end="oken", kinds=["invoice.overdue"])
    (notice,) = tell("invoice.overdue", users=[], message=_message, key="10")
    assert deliver(notice.pk) == Notice.State.FAILED
    notice.refresh_from_db()
    assert "removed from the room" in notice.error and "no-such-token" not in notice.error
