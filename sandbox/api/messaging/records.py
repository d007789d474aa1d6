"""What the messaging endpoints keep: every accepted message as posted, stamped with the sandbox clock."""

from __future__ import annotations

from typing import Any

from sandbox import clock
from sandbox.api.common import iso_datetime
from sandbox.models import SentMessage

# Where each content type keeps the words a person sees first (the talk room list, the push notification).
_SHOWN = {
    "text": "text",
    "link": "contentText",
    "button_template": "contentText",
    "flex": "altText",
}


def record_message(kind: str, content: Any, **target: Any) -> SentMessage:
    """Store one accepted message; `target` names its bot and user, talk room or Webhook URL."""
    state = clock.state()
    return SentMessage.objects.create(
        kind=kind,
        content=content,
        received_at=clock.now(state.clock_offset_days),
        business_date=clock.today(state.clock_offset_days),
        **target,
    )


def shown_text(message: SentMessage) -> str:
    """The text a person reads first: a text message's text, a template's content text, a flexible template's
    alternative text, a webhook post's title and text; empty for the others (stickers, images, ...)."""
    content = message.content if isinstance(message.content, dict) else {}
    if message.kind == SentMessage.WEBHOOK:
        body = content.get("body") or {}
        return "\n".join(part for part in (content.get("title"), body.get("text")) if part)
    field = _SHOWN.get(str(content.get("type")))
    return str(content.get(field, "")) if field else ""


def message_json(message: SentMessage) -> dict[str, Any]:
    return {
        "id": message.pk,
        "kind": message.kind,
        "botId": message.bot_id,
        "userId": message.user_id or None,
        "addressedAs": message.addressed_as or None,
        "channelId": message.channel_id or None,
        "webhookToken": message.webhook_token or None,
        "webhookTitle": message.webhook_title or None,
        "content": message.content,
        "shownText": shown_text(message),
        "receivedAt": iso_datetime(message.received_at),
        "businessDate": message.business_date.isoformat(),
    }
