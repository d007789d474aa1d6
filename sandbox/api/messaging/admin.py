"""``/_sandbox/messages``, ``/_sandbox/messaging`` and ``/_sandbox/webhooks``: what was posted, and the tenant's bots,
users, talk rooms and Webhook URLs (guarded like every admin endpoint: loopback or SANDBOX_ADMIN_SECRET)."""

from __future__ import annotations

import secrets

from django.http import HttpRequest, HttpResponse
from django.urls import path

from sandbox.api.admin import admin_view
from sandbox.api.common import ok
from sandbox.api.errors import ApiError
from sandbox.api.messaging.records import message_json
from sandbox.models import Bot, SentMessage, TalkChannel, WebhookRoom, WorksUser

# Query parameter -> the SentMessage field it filters on.
MESSAGE_FILTERS = {
    "kind": "kind",
    "botId": "bot_id",
    "userId": "user_id",
    "channelId": "channel_id",
    "webhookToken": "webhook_token",
}


@admin_view("GET", "DELETE")
def messages_view(request: HttpRequest, body: dict) -> HttpResponse:
    """GET ?kind=user|channel|webhook&botId=&userId=&channelId=&webhookToken=&since=<id>&limit=100 (oldest
    first); DELETE forgets every message."""
    if request.method == "DELETE":
        SentMessage.objects.all().delete()
        return HttpResponse(status=204)
    qs = SentMessage.objects.order_by("id")
    for name, field in MESSAGE_FILTERS.items():
        if request.GET.get(name):
            qs = qs.filter(**{field: request.GET[name]})
    if request.GET.get("since"):
        qs = qs.filter(id__gt=int(request.GET["since"]))
    limit = min(int(request.GET.get("limit", 100)), 5000)
    return ok({"messages": [message_json(m) for m in qs[:limit]]})


def webhook_json(request: HttpRequest, room: WebhookRoom) -> dict:
    return {
        "token": room.token,
        "url": request.build_absolute_uri(f"/message/{room.token}"),
        "title": room.title,
        "channelId": room.channel_id,
    }


@admin_view("GET")
def directory_view(request: HttpRequest, body: dict) -> HttpResponse:
    """The bots, users, talk rooms (with their member bots) and Webhook URLs the endpoints know."""
    channels = TalkChannel.objects.order_by("channel_id").prefetch_related("bots")
    return ok(
        {
            "bots": [{"botId": b.bot_id, "name": b.name} for b in Bot.objects.order_by("bot_id")],
            "users": [
                {"userId": u.user_id, "email": u.email, "name": u.name}
                for u in WorksUser.objects.order_by("email")
            ],
            "channels": [
                {
                    "channelId": c.channel_id,
                    "title": c.title,
                    "botIds": sorted(b.bot_id for b in c.bots.all()),
                }
                for c in channels
            ],
            "webhooks": [webhook_json(request, r) for r in WebhookRoom.objects.order_by("id")],
        }
    )


@admin_view("GET", "POST")
def webhooks_view(request: HttpRequest, body: dict) -> HttpResponse:
    """POST {"title": "...", "channelId": "..."} issues a new Webhook URL for a talk room, as a person does in the
    room's "Webhook list"; GET lists them."""
    if request.method == "POST":
        title, channel_id = str(body.get("title") or ""), str(body.get("channelId") or "")
        if not title or not channel_id:
            raise ValueError("send title and channelId")
        if not TalkChannel.objects.filter(channel_id=channel_id).exists():
            raise ApiError(404, "NOT_FOUND", f"no talk room {channel_id}")
        room = WebhookRoom.objects.create(token=secrets.token_hex(16), title=title, channel_id=channel_id)
        return ok(webhook_json(request, room), status=201)
    return ok({"webhooks": [webhook_json(request, r) for r in WebhookRoom.objects.order_by("id")]})


urlpatterns = [
    path("_sandbox/messages", messages_view),
    path("_sandbox/messaging", directory_view),
    path("_sandbox/webhooks", webhooks_view),
]
