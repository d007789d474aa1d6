"""The bot message operations and the Incoming Webhook (contract/messaging.yaml): what they accept, what they
refuse with which answer, and what the sandbox records for a test to read back."""

from __future__ import annotations

import datetime as dt

import pytest
import requests

from sandbox.directory import (
    BILLING_CHANNEL,
    NOTICES_CHANNEL,
    OTHER_BOT_ID,
    PORTAL_BOT_ID,
    QUIET_CHANNEL,
    USERS,
    WEBHOOKS,
)
from sandbox.testing import messaging_contract, start_sandbox

SALES_ID, SALES_EMAIL = USERS[1][0], USERS[1][1]
WEBHOOK_TOKEN = WEBHOOKS[0][0]
USER_PATH = f"/bots/{PORTAL_BOT_ID}/users/{SALES_ID}/messages"
CHANNEL_PATH = f"/bots/{PORTAL_BOT_ID}/channels/{NOTICES_CHANNEL}/messages"
TEXT = {"content": {"type": "text", "text": "Three reservations start tomorrow."}}


@pytest.fixture(scope="module")
def sandbox():
    server = start_sandbox()
    yield server
    server.stop()


@pytest.fixture
def bot(sandbox):
    """A client with a `bot` token; the test starts with no message recorded and fresh rate limits."""
    sandbox.clear_messages()
    sandbox.configure(resetRateLimits=True)
    return sandbox.client("bot")


def button_template(count: int, action: dict | None = None) -> dict:
    action = action or {"type": "uri", "label": "Open", "uri": "https://portal.example/reservations"}
    return {
        "content": {"type": "button_template", "contentText": "Reservations", "actions": [action] * count}
    }


def test_the_contract_holds_the_three_operations():
    assert set(messaging_contract().operations) == {
        "sendBotUserMessage",
        "sendBotChannelMessage",
        "postIncomingWebhook",
    }


def test_a_text_to_a_user_is_201_without_a_body_and_recorded_as_posted(sandbox, bot):
    response = bot.post(USER_PATH, json=TEXT)
    assert response.status_code == 201 and response.content == b""
    assert response.headers["rateLimit-limit"] == "240" and response.headers["rateLimit-used"] == "1"
    [message] = bot.messages()
    assert message["kind"] == "user" and message["botId"] == PORTAL_BOT_ID
    assert message["userId"] == SALES_ID and message["addressedAs"] == SALES_ID
    assert message["content"] == TEXT["content"]
    assert message["shownText"] == "Three reservations start tomorrow."
    assert message["businessDate"] == sandbox.today().isoformat()


def test_a_user_is_found_by_login_email_too(sandbox, bot):
    assert bot.post(f"/bots/{PORTAL_BOT_ID}/users/{SALES_EMAIL}/messages", json=TEXT).status_code == 201
    [message] = sandbox.messages(kind="user")
    assert message["userId"] == SALES_ID and message["addressedAs"] == SALES_EMAIL


def test_a_button_template_to_a_talk_room_with_a_bot_message_token(sandbox):
    sandbox.clear_messages()
    sender = sandbox.client("bot.message")
    body = button_template(10, {"type": "message", "label": "Seen", "postback": "seen"})
    assert sender.post(CHANNEL_PATH, json=body).status_code == 201
    [message] = sandbox.messages(channelId=NOTICES_CHANNEL)
    assert message["kind"] == "channel" and message["userId"] is None
    assert message["content"] == body["content"] and message["shownText"] == "Reservations"


def test_a_flexible_template_to_a_talk_room(sandbox, bot):
    flex = {
        "type": "flex",
        "altText": "Invoice for November is ready",
        "contents": {"type": "bubble", "body": {"type": "box", "layout": "vertical", "contents": []}},
    }
    path = f"/bots/{OTHER_BOT_ID}/channels/{BILLING_CHANNEL}/messages"
    assert bot.post(path, json={"content": flex}).status_code == 201
    [message] = sandbox.messages(botId=OTHER_BOT_ID)
    assert message["content"] == flex and message["shownText"] == "Invoice for November is ready"


def test_the_received_time_is_the_sandbox_clocks(sandbox, bot):
    sandbox.advance_clock("3d")
    assert bot.post(USER_PATH, json=TEXT).status_code == 201
    [message] = bot.messages()
    today = sandbox.today()
    assert message["businessDate"] == today.isoformat()
    received = dt.datetime.fromisoformat(message["receivedAt"].replace("Z", "+00:00"))
    assert received - dt.datetime.now(dt.UTC) > dt.timedelta(days=2)


BAD_CONTENT = [
    ({}, "MISSING_PARAMETER", "content"),
    ({"content": {"type": "audio"}}, "INVALID_PARAMETER", "content.type"),
    ({"content": {"type": "text"}}, "MISSING_PARAMETER", "content.text"),
    (
        {"content": {"type": "text", "text": "x" * 2001}},
        "INVALID_PARAMETER",
        "content.text: longer than 2000",
    ),
    (
        {"content": {"type": "flex", "altText": "x" * 401, "contents": {"type": "bubble"}}},
        "INVALID_PARAMETER",
        "content.altText: longer than 400",
    ),
    (button_template(11), "INVALID_PARAMETER", "content.actions: more than 10 items"),
    (
        button_template(1, {"type": "postback", "label": "Buy", "data": "buy"}),
        "INVALID_PARAMETER",
        "content.actions.0.type: 'postback'",
    ),
    (
        {
            "content": {
                "type": "list_template",
                "elements": [{"title": "a"}],
                "actions": [[{"type": "postback", "label": "Buy", "data": "buy"}]],
            }
        },
        "INVALID_PARAMETER",
        "content.actions.0.0.type: 'postback'",
    ),
    (
        {"content": {"type": "list_template", "elements": [{"title": "a"}] * 5}},
        "INVALID_PARAMETER",
        "content.elements: more than 4 items",
    ),
]


@pytest.mark.parametrize(("body", "code", "where"), BAD_CONTENT, ids=[w for _, _, w in BAD_CONTENT])
def test_bad_content_is_400_with_the_error_body_and_not_recorded(sandbox, bot, body, code, where):
    response = bot.post(CHANNEL_PATH, json=body)
    assert response.status_code == 400, response.text
    assert response.json()["code"] == code and response.json()["description"].startswith(where)
    assert sandbox.messages() == []


def test_a_postback_is_allowed_in_a_carousel(bot):
    action = {"type": "postback", "label": "Buy", "data": "buy"}
    carousel = {"type": "carousel", "columns": [{"text": "Plan", "actions": [action]}]}
    assert bot.post(CHANNEL_PATH, json={"content": carousel}).status_code == 201


def test_no_or_an_unknown_token_is_401(sandbox):
    for headers in ({}, {"Authorization": "Bearer nope"}):
        response = requests.post(sandbox.base_url + USER_PATH, json=TEXT, headers=headers, timeout=30)
        assert response.status_code == 401 and response.json()["code"] == "UNAUTHORIZED"


@pytest.mark.parametrize("scope", ["partner", "bot.read"])
def test_a_token_without_bot_or_bot_message_is_403(sandbox, scope):
    sandbox.clear_messages()
    response = sandbox.client(scope).post(USER_PATH, json=TEXT)
    assert response.status_code == 403
    assert response.json() == {
        "code": "FORBIDDEN",
        "description": "sendBotUserMessage needs one of the scopes bot, bot.message",
    }
    assert sandbox.messages() == []


def test_a_bot_token_reads_no_partner_data(sandbox):
    response = sandbox.client("bot").get("/partners/customers")
    assert response.status_code == 403 and response.json()["code"] == "FORBIDDEN"


@pytest.mark.parametrize(
    "path",
    [
        f"/bots/1999999/users/{SALES_ID}/messages",
        f"/bots/{PORTAL_BOT_ID}/users/nobody@partner-demo.by-works.com/messages",
        f"/bots/1999999/channels/{NOTICES_CHANNEL}/messages",
        f"/bots/{PORTAL_BOT_ID}/channels/unknown-room/messages",
        f"/bots/{PORTAL_BOT_ID}/channels/{QUIET_CHANNEL}/messages",  # a room the bot is not in
    ],
    ids=["unknown bot (user)", "unknown user", "unknown bot (room)", "unknown room", "room without the bot"],
)
def test_unknown_bot_user_or_room_is_404(sandbox, bot, path):
    response = bot.post(path, json=TEXT)
    assert response.status_code == 404 and response.json()["code"] == "NOT_FOUND"
    assert sandbox.messages() == []


def test_a_bot_id_that_is_no_number_is_400(bot):
    response = bot.post(f"/bots/abc/users/{SALES_ID}/messages", json=TEXT)
    assert response.status_code == 400 and response.json()["code"] == "INVALID_PARAMETER"


def test_the_rate_limit_is_per_operation_with_429_and_headers(sandbox, bot):
    sandbox.configure(rateLimit=2)
    try:
        assert [bot.post(USER_PATH, json=TEXT).status_code for _ in range(2)] == [201, 201]
        limited = bot.post(USER_PATH, json=TEXT)
        assert limited.status_code == 429
        assert limited.json() == {"code": "TOO_MANY_REQUESTS", "description": "API rate limit exceeded"}
        assert limited.headers["rateLimit-limit"] == "2" and limited.headers["rateLimit-remaining"] == "0"
        assert bot.post(CHANNEL_PATH, json=TEXT).status_code == 201  # another operation
        assert len(sandbox.messages(kind="user")) == 2
    finally:
        sandbox.configure(rateLimit=None)


def test_an_injected_fault_before_and_after_the_handler(sandbox, bot):
    sandbox.set_fault("sendBotChannelMessage", errorRate=1, errorStatus=503, remaining=1)
    try:
        failed = bot.post(CHANNEL_PATH, json=TEXT)
        assert failed.status_code == 503 and failed.json()["code"] == "SERVICE_UNAVAILABLE"
        assert sandbox.messages() == []
        sandbox.set_fault(
            "sendBotChannelMessage", errorRate=1, errorStatus=500, afterHandler=True, remaining=1
        )
        lost = bot.post(CHANNEL_PATH, json=TEXT)
        assert lost.status_code == 500
        assert len(sandbox.messages()) == 1  # posted, though the answer said otherwise
        assert bot.post(CHANNEL_PATH, json=TEXT).status_code == 201
    finally:
        sandbox.clear_faults()


def test_the_incoming_webhook_records_a_good_post(sandbox, bot):
    body = {"title": "Partner Portal", "body": {"text": "Three reservations start tomorrow."}}
    response = sandbox.post_webhook(WEBHOOK_TOKEN, body)
    assert response.status_code == 200 and response.content == b""
    [message] = sandbox.messages(kind="webhook")
    assert message["webhookToken"] == WEBHOOK_TOKEN and message["webhookTitle"] == WEBHOOKS[0][1]
    assert message["channelId"] == NOTICES_CHANNEL and message["botId"] is None
    assert message["content"] == body
    assert message["shownText"] == "Partner Portal\nThree reservations start tomorrow."
    assert sandbox.requests(operation_id="postIncomingWebhook")[-1]["status"] == 200


@pytest.mark.parametrize(
    ("token", "body", "status"),
    [
        ("not-a-webhook", {"title": "t", "body": {"text": "x"}}, 404),
        (WEBHOOK_TOKEN, {"title": "t" * 201, "body": {"text": "x"}}, 400),
        (WEBHOOK_TOKEN, {"title": "t", "body": {"text": "x" * 2001}}, 400),
        (WEBHOOK_TOKEN, {"title": "t"}, 400),
        (WEBHOOK_TOKEN, {"title": "t", "body": {"text": ""}}, 400),
    ],
    ids=["unknown token", "title too long", "text too long", "no body", "empty text"],
)
def test_the_incoming_webhook_refuses(sandbox, bot, token, body, status):
    response = sandbox.post_webhook(token, body)
    assert response.status_code == status, response.text
    assert response.json()["code"] == ("NOT_FOUND" if status == 404 else response.json()["code"])
    assert sandbox.messages() == []


def test_a_webhook_url_issued_for_a_room_takes_posts(sandbox, bot):
    issued = sandbox.create_webhook("Sales alerts", QUIET_CHANNEL)
    assert issued["url"] == f"{sandbox.root}/message/{issued['token']}"
    assert requests.post(issued["url"], json={"body": {"text": "hi"}}, timeout=30).status_code == 200
    [message] = sandbox.messages(webhookToken=issued["token"])
    assert message["channelId"] == QUIET_CHANNEL and message["webhookTitle"] == "Sales alerts"


def test_messages_are_read_back_over_http_with_filters(sandbox, bot):
    bot.post(USER_PATH, json=TEXT)
    bot.post(CHANNEL_PATH, json=TEXT)
    root = f"{sandbox.root}/_sandbox/messages"
    answer = requests.get(root, params={"kind": "channel", "channelId": NOTICES_CHANNEL}, timeout=30)
    assert answer.status_code == 200
    [message] = answer.json()["messages"]
    assert message["channelId"] == NOTICES_CHANNEL and message["content"] == TEXT["content"]
    first = requests.get(root, timeout=30).json()["messages"][0]["id"]
    assert len(requests.get(root, params={"since": first}, timeout=30).json()["messages"]) == 1
    directory = requests.get(f"{sandbox.root}/_sandbox/messaging", timeout=30).json()
    assert {"botId": PORTAL_BOT_ID, "name": "Partner Portal"} in directory["bots"]


def test_reset_forgets_the_messages_and_issued_urls_and_keeps_the_seed(sandbox, bot):
    bot.post(USER_PATH, json=TEXT)
    issued = sandbox.create_webhook("Temporary", NOTICES_CHANNEL)
    sandbox.reset()
    assert sandbox.messages() == []
    tokens = {w["token"] for w in sandbox.messaging()["webhooks"]}
    assert tokens == {token for token, _, _ in WEBHOOKS} and issued["token"] not in tokens
    assert sandbox.client("bot").post(USER_PATH, json=TEXT).status_code == 201
