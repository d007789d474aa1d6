"""The portal's LINE WORKS messaging client (`partner_api.messaging`, built by `portal.core.partner.
get_messaging_client`) against the sandbox over real HTTP: a bot's message reaches a person and a talk room as the
sandbox records it (what they would read), an Incoming Webhook post reaches its room, and each refusal is the
client's error class with the vendor's words; a post never sent is a transport error, one sent and unanswered an
unknown outcome, never sent again."""

from __future__ import annotations

import socket

import pytest

from partner_api.errors import (
    ForbiddenError,
    NotFoundError,
    OutcomeUnknownError,
    RejectedError,
    ServerError,
    TransportError,
)
from partner_api.messaging import post_incoming_webhook
from portal.core.partner import get_messaging_client
from sandbox.directory import NOTICES_CHANNEL, PORTAL_BOT_ID, QUIET_CHANNEL, USERS, WEBHOOKS

pytestmark = pytest.mark.django_db

PERSON, PERSON_EMAIL = USERS[1][0], USERS[1][1]


@pytest.fixture
def sandbox(portal_api, sandbox_server):
    server = portal_api(sandbox_server)
    server.clear_messages()
    return server


def _text(words: str) -> dict:
    return {"type": "text", "text": words}


def test_a_bot_message_reaches_a_person_and_a_room_as_posted(sandbox):
    client = get_messaging_client()
    assert client is get_messaging_client()  # one per process, as the Partner API's
    client.send_to_user(
        bot_id=PORTAL_BOT_ID, user_id=PERSON, content=_text("Batch 12 finished: 30 of 30 applied.")
    )
    client.send_to_user(bot_id=PORTAL_BOT_ID, user_id=PERSON_EMAIL, content=_text("By the login e-mail too."))
    buttons = {
        "type": "button_template",
        "contentText": "An approval is waiting: cancel 300 subscriptions.",
        "actions": [{"type": "uri", "label": "Open", "uri": "https://portal.example/work/approvals/"}],
    }
    client.send_to_channel(bot_id=PORTAL_BOT_ID, channel_id=NOTICES_CHANNEL, content=buttons)
    to_person = sandbox.messages(kind="user")
    assert [m["content"]["text"] for m in to_person] == [
        "Batch 12 finished: 30 of 30 applied.",
        "By the login e-mail too.",
    ]
    assert {m["userId"] for m in to_person} == {PERSON}
    (in_room,) = sandbox.messages(kind="channel")
    assert in_room["channelId"] == NOTICES_CHANNEL and in_room["content"] == buttons
    assert "An approval is waiting" in in_room["shownText"]


def test_a_refused_message_is_the_clients_error_with_the_vendors_words(sandbox):
    client = get_messaging_client()
    with pytest.raises(NotFoundError):
        client.send_to_user(
            bot_id=PORTAL_BOT_ID, user_id="nobody@partner-demo.by-works.com", content=_text("x")
        )
    with pytest.raises(NotFoundError):  # a room the bot is not a member of
        client.send_to_channel(bot_id=PORTAL_BOT_ID, channel_id=QUIET_CHANNEL, content=_text("x"))
    flex = {"type": "flex", "altText": "x" * 401, "contents": {"type": "bubble", "body": {"type": "box"}}}
    with pytest.raises(RejectedError) as refused:
        client.send_to_user(bot_id=PORTAL_BOT_ID, user_id=PERSON, content=flex)
    assert refused.value.status == 400 and "altText" in refused.value.description
    assert sandbox.messages() == []


def test_a_token_without_the_bot_scope_is_refused(sandbox, sandbox_server):
    """The Partner API's own token does not send messages: the messaging client asks for `bot.message`."""
    import requests

    answer = requests.post(
        f"{sandbox_server.base_url}/bots/{PORTAL_BOT_ID}/users/{PERSON}/messages",
        json={"content": _text("x")},
        headers={"Authorization": f"Bearer {sandbox_server.token('partner')}"},
        timeout=10,
    )
    assert answer.status_code == 403
    from partner_api.errors import error_class_for

    assert error_class_for(answer.status_code) is ForbiddenError


def test_an_incoming_webhook_post_reaches_its_room_and_a_bad_one_is_refused(sandbox):
    token = WEBHOOKS[0][0]
    url = f"{sandbox.root}/message/{token}"
    post_incoming_webhook(url, title="Invoices overdue", text="3 invoices are overdue since 2026-11-20.")
    (posted,) = sandbox.messages(kind="webhook")
    assert posted["webhookToken"] == token and posted["content"]["title"] == "Invoices overdue"
    assert "3 invoices are overdue" in posted["shownText"]
    with pytest.raises(NotFoundError):
        post_incoming_webhook(f"{sandbox.root}/message/not-a-room", title="x", text="y")
    with pytest.raises(RejectedError) as refused:
        post_incoming_webhook(url, title="x", text="y" * 2001)
    assert refused.value.status == 400
    assert len(sandbox.messages(kind="webhook")) == 1


def test_a_webhook_never_reached_is_a_transport_error_and_one_unanswered_an_unknown_outcome():
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(TransportError) as never:
        post_incoming_webhook(f"http://127.0.0.1:{port}/message/x", title="x", text="y")
    assert not never.value.outcome_unknown
    with socket.socket() as silent:  # accepts the post, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/message/x"
        with pytest.raises(OutcomeUnknownError):
            post_incoming_webhook(url, title="x", text="y", timeout=(2.0, 0.5))


def test_a_webhook_answered_503_is_tried_again_and_one_answered_500_may_have_arrived(sandbox):
    """The webhook's errors are judged as any write's by the transport: 503 was not processed (try again later),
    500 after the post may have been (never posted again blindly)."""
    url = f"{sandbox.root}/message/{WEBHOOKS[0][0]}"
    sandbox.set_fault("postIncomingWebhook", errorRate=1, errorStatus=503, remaining=1)
    try:
        with pytest.raises(ServerError) as busy:
            post_incoming_webhook(url, title="x", text="y")
        assert busy.value.retryable and not busy.value.outcome_unknown
        sandbox.set_fault("postIncomingWebhook", errorRate=1, errorStatus=500, remaining=1)
        with pytest.raises(ServerError) as failed:
            post_incoming_webhook(url, title="x", text="y")
        assert failed.value.outcome_unknown and not failed.value.retryable
    finally:
        sandbox.clear_faults()
