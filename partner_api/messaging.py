"""LINE WORKS messaging, as the portal's notices will send them (`contract/messaging.yaml`, issue 56).

- `MessagingClient`: a bot's message to a person (`sendBotUserMessage`) or to a talk room the bot is in
  (`sendBotChannelMessage`), scope `bot.message` (or `bot`), answered 201 without a body. It goes through the same
  `Transport` as the Partner API: the same token provider (a service account's token asked for that scope), the
  same rate limiter (each operation its own budget), retries, and errors. A message is a write: one whose answer
  is lost is an `OutcomeUnknownError`, never sent again by the client (the person may have it already).
- `post_incoming_webhook`: a post to a talk room's Incoming Webhook URL, made in the LINE WORKS client by someone
  in the room: its own host, the URL its own secret (no token), a title and a text. Its errors are the
  transport's, judged as for any write (`operation_id` "postIncomingWebhook").

`content` is a message as the vendor's message types describe it (`{"type": "text", "text": ...}`, a button
template, a flexible template with its `altText`...); the caller builds it, the sandbox checks it against the
contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from partner_api import constants
from partner_api.auth import TokenProvider
from partner_api.operations import Operation
from partner_api.ratelimit import RateLimiter
from partner_api.transport import Observer, Transport, http_error, not_sent, transport_error

#: The scope a bot's messages are sent with (the vendor's pages accept `bot` too, which grants more).
SCOPE_BOT_MESSAGE = "bot.message"

SEND_TO_USER = Operation("sendBotUserMessage", "POST", "/bots/{botId}/users/{userId}/messages")
SEND_TO_CHANNEL = Operation("sendBotChannelMessage", "POST", "/bots/{botId}/channels/{channelId}/messages")
#: The Webhook URL is the whole address (its own host and secret): the path is not the transport's to build.
POST_WEBHOOK = Operation("postIncomingWebhook", "POST", "")


class MessagingClient:
    """A bot's messages. Build one per process and share it between threads, as `PartnerClient`."""

    def __init__(
        self,
        *,
        base_url: str,
        auth: TokenProvider,
        limiter: RateLimiter | None = None,
        connect_timeout: float = constants.DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = constants.DEFAULT_READ_TIMEOUT,
        max_retries: int = constants.DEFAULT_MAX_RETRIES,
        transport: Transport | None = None,
        observer: Observer | None = None,
    ) -> None:
        self.transport = transport or Transport(
            base_url=base_url,
            auth=auth,
            limiter=limiter,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_retries=max_retries,
            observer=observer,
        )

    def close(self) -> None:
        self.transport.close()

    def send_to_user(self, *, bot_id: int, user_id: str, content: Mapping[str, Any]) -> None:
        """sendBotUserMessage: `user_id` is the person's LINE WORKS user id or login e-mail."""
        self.transport.call(
            SEND_TO_USER, path_params={"botId": bot_id, "userId": user_id}, body={"content": dict(content)}
        )

    def send_to_channel(self, *, bot_id: int, channel_id: str, content: Mapping[str, Any]) -> None:
        """sendBotChannelMessage: a talk room the bot is a member of."""
        self.transport.call(
            SEND_TO_CHANNEL,
            path_params={"botId": bot_id, "channelId": channel_id},
            body={"content": dict(content)},
        )


def post_incoming_webhook(
    url: str,
    *,
    title: str,
    text: str,
    session: requests.Session | None = None,
    timeout: tuple[float, float] = (constants.DEFAULT_CONNECT_TIMEOUT, constants.DEFAULT_READ_TIMEOUT),
    limiter: RateLimiter | None = None,
) -> None:
    """Post `title` and `text` to a talk room's Incoming Webhook URL (postIncomingWebhook). Any 2xx is delivered.
    Otherwise the error a write of the Partner API gets, judged by the transport's own rules
    (`transport.http_error`, `transport.transport_error`): refused (404: the URL was removed or never existed;
    400: the post does not fit); 503, or not reached before sending: to be tried again; sent and unanswered, or
    answered 500, 502 or 504: `OutcomeUnknownError` (the room may show it already: never posted again blindly)."""
    body: dict[str, Any] = {"title": title, "body": {"text": text}}
    # The one limiter, this operation's own budget: it blocks until a call is allowed.
    if limiter is not None:
        limiter.acquire(POST_WEBHOOK.operation_id)
    try:
        response = (session or requests).post(url, json=body, timeout=timeout)
    except requests.RequestException as exc:
        raise transport_error(POST_WEBHOOK, exc, not_sent(exc)) from exc
    if not response.ok:
        raise http_error(POST_WEBHOOK, response)
