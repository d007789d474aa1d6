"""Notices (portal/core/notices/delivery.py): what the portal tells a person by e-mail or in LINE WORKS, written with the
work it reports and delivered by the worker once that commits, at most once. Against the sandbox over real HTTP:
a person reads the message the bot posted; LINE WORKS failing for now is tried again later, refusing for good is
not delivered, an answer lost is unknown and never sent again; a worker that died half way leaves it unknown."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from partner_api.errors import OutcomeUnknownError, ServerError
from portal.core.models import Notice
from portal.core.notices import delivery as notices
from portal.core.notices.delivery import RETRY_AFTER, deliver, deliver_due, notify
from sandbox.directory import PORTAL_BOT_ID, USERS

pytestmark = pytest.mark.django_db

PERSON_EMAIL = USERS[1][1]
URL = "https://portal.example/operations/batch/12/"


@pytest.fixture
def person(django_user_model):
    return django_user_model.objects.create(username="sato", email=PERSON_EMAIL)


@pytest.fixture
def line_works(portal_api, sandbox_server, settings):
    server = portal_api(sandbox_server)
    settings.LINE_WORKS_BOT_ID = PORTAL_BOT_ID
    server.clear_messages()
    yield server
    server.clear_faults()


def _notify(person, way: str, **fields) -> Notice:
    return notify(
        "batch.finished",
        user=person,
        way=way,
        title=fields.get("title", "Batch 12 finished"),
        text=fields.get("text", "30 of 30 renewals applied."),
        url=fields.get("url", URL),
    )


def test_a_notice_is_delivered_once_the_work_it_reports_commits_and_never_if_it_rolls_back(
    person, django_capture_on_commit_callbacks
):
    with mock.patch.object(notices.deliver_task, "delay") as queued:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            notice = _notify(person, Notice.Way.EMAIL)
            assert not queued.called  # not before the work commits
        queued.assert_called_once_with(notice.pk)
        with (
            pytest.raises(RuntimeError),
            django_capture_on_commit_callbacks(execute=True),
            transaction.atomic(),
        ):
            _notify(person, Notice.Way.EMAIL, title="Rolled back")
            raise RuntimeError("the work failed")
        assert queued.call_count == 1 and not Notice.objects.filter(title="Rolled back").exists()
    assert deliver(notice.pk) == Notice.State.SENT
    (sent,) = mail.outbox
    assert sent.subject == "Batch 12 finished" and sent.to == [PERSON_EMAIL]
    assert "30 of 30 renewals applied." in sent.body and URL in sent.body
    assert deliver(notice.pk) is None and len(mail.outbox) == 1  # delivered once


def test_a_person_reads_the_notice_the_bot_posted_in_line_works(person, line_works):
    notice = _notify(person, Notice.Way.LINE_WORKS)
    assert deliver(notice.pk) == Notice.State.SENT
    (posted,) = line_works.messages(kind="user")
    assert posted["botId"] == PORTAL_BOT_ID and posted["addressedAs"] == PERSON_EMAIL
    assert posted["content"]["type"] == "flex"  # a Flexible Template: the title, the text, a button
    assert "Batch 12 finished" in posted["shownText"] and "30 of 30 renewals applied." in posted["shownText"]
    (button,) = posted["content"]["contents"]["footer"]["contents"]
    assert button["action"] == {"type": "uri", "label": "Open in the portal", "uri": URL}
    notice.refresh_from_db()
    assert notice.sent_at is not None and notice.attempts == 1


def test_line_works_failing_for_now_is_tried_again_later_then_not_delivered(person, line_works):
    notice = _notify(person, Notice.Way.LINE_WORKS)
    line_works.set_fault("sendBotUserMessage", errorRate=1, errorStatus=503, remaining=len(RETRY_AFTER) + 1)
    now = timezone.now()
    for attempt, minutes in enumerate(RETRY_AFTER, start=1):
        assert deliver(notice.pk) == Notice.State.WAITING
        notice.refresh_from_db()
        assert notice.attempts == attempt and notice.due_at >= now + dt.timedelta(minutes=minutes)
        assert deliver(notice.pk) is None  # not due yet
        Notice.objects.filter(pk=notice.pk).update(due_at=timezone.now())
    assert deliver(notice.pk) == Notice.State.FAILED
    notice.refresh_from_db()
    assert "could not be reached" in notice.error and line_works.messages() == []


def test_a_notice_refused_for_good_or_with_no_bot_is_not_delivered(person, line_works, settings):
    stranger = type(person).objects.create(username="nobody", email="nobody@partner-demo.by-works.com")
    notice = _notify(stranger, Notice.Way.LINE_WORKS)
    assert deliver(notice.pk) == Notice.State.FAILED  # no such person in LINE WORKS: not tried again
    settings.LINE_WORKS_BOT_ID = 0
    unset = _notify(person, Notice.Way.LINE_WORKS)
    assert deliver(unset.pk) == Notice.State.FAILED
    unset.refresh_from_db()
    assert "LINE_WORKS_BOT_ID" in unset.error and line_works.messages() == []


def test_an_answer_lost_is_unknown_and_never_sent_again(person, line_works):
    notice = _notify(person, Notice.Way.LINE_WORKS)
    client = mock.Mock()
    client.send_to_user.side_effect = OutcomeUnknownError(operation_id="sendBotUserMessage")
    with mock.patch("portal.core.partner.get_messaging_client", return_value=client):
        assert deliver(notice.pk) == Notice.State.UNKNOWN
    assert deliver_due()["due"] == 0 and deliver(notice.pk) is None
    # As the transport judges a write's 503: not processed, to be tried again later.
    client.send_to_user.side_effect = ServerError(
        operation_id="sendBotUserMessage", status=503, retryable=True
    )
    retried = _notify(person, Notice.Way.LINE_WORKS)
    with mock.patch("portal.core.partner.get_messaging_client", return_value=client):
        assert deliver(retried.pk) == Notice.State.WAITING


def test_the_worker_s_minute_delivers_what_is_due_and_takes_a_dead_attempt_for_unknown(person, line_works):
    due = _notify(person, Notice.Way.LINE_WORKS)
    later = _notify(person, Notice.Way.LINE_WORKS, title="Later")
    Notice.objects.filter(pk=later.pk).update(due_at=timezone.now() + dt.timedelta(minutes=5))
    stuck = _notify(person, Notice.Way.LINE_WORKS, title="Stuck")
    Notice.objects.filter(pk=stuck.pk).update(
        state=Notice.State.SENDING, due_at=timezone.now() - notices.SENDING_LEASE - dt.timedelta(seconds=1)
    )
    assert deliver_due() == {"due": 1, "stuck": 1}
    states = dict(Notice.objects.values_list("pk", "state"))
    assert states == {
        due.pk: Notice.State.SENT,
        later.pk: Notice.State.WAITING,
        stuck.pk: Notice.State.UNKNOWN,
    }
    assert [m["content"]["altText"].split("\n")[0] for m in line_works.messages()] == ["Batch 12 finished"]


def test_the_notices_are_in_the_beat_schedule_and_the_workers_tasks():
    from portal.celery import app
    from portal.core.periodic import beat_schedule

    entry = beat_schedule()["notices-due"]
    assert entry["schedule"] == 60.0 and entry["task"] in app.tasks
    assert "portal.core.notices.deliver" in app.tasks
