"""POST /v1.0/bots/{botId}/users/{userId}/messages and .../channels/{channelId}/messages (contract/messaging.yaml).

The decorator checks the token (scope `bot` or `bot.message`), the rate limit, faults and the body against the
content type's schema (unknown type, missing or too long fields, more than 10 buttons, postback in a button or
list template: 400). The handlers find the bot and the addressee and record what was posted.
"""

from __future__ import annotations

from django.db.models import Q
from django.http import HttpRequest, HttpResponse

from sandbox.api.common import no_content, operation
from sandbox.api.errors import ApiError
from sandbox.api.messaging.records import record_message
from sandbox.contract import load_messaging_contract
from sandbox.models import Bot, SentMessage, TalkChannel, WorksUser

MESSAGING = load_messaging_contract()


def known_bot(bot_id: int) -> Bot:
    bot = Bot.objects.filter(bot_id=bot_id).first()
    if bot is None:
        raise ApiError(404, "NOT_FOUND", f"botId {bot_id} is not a bot of this tenant")
    return bot


@operation("sendBotUserMessage", contract=MESSAGING)
def send_user_message(request: HttpRequest, botId: int, userId: str) -> HttpResponse:
    """The vendor takes the user's id or their login id (email)."""
    bot = known_bot(botId)
    user = WorksUser.objects.filter(Q(user_id=userId) | Q(email__iexact=userId)).first()
    if user is None:
        # x-unverified (messaging.yaml NotFound): the code for an unknown user is not on the pages.
        raise ApiError(404, "NOT_FOUND", f"userId {userId} is not a member of this tenant")
    record_message(
        SentMessage.USER,
        request.api.body["content"],
        bot_id=bot.bot_id,
        user_id=user.user_id,
        addressed_as=userId,
    )
    return no_content(201)


@operation("sendBotChannelMessage", contract=MESSAGING)
def send_channel_message(request: HttpRequest, botId: int, channelId: str) -> HttpResponse:
    bot = known_bot(botId)
    channel = TalkChannel.objects.filter(channel_id=channelId).first()
    if channel is None or not channel.bots.filter(pk=bot.pk).exists():
        # x-unverified (messaging.yaml NotFound): a room the bot is not in is answered as an unknown room.
        raise ApiError(404, "NOT_FOUND", f"channelId {channelId} is not a talk room of bot {botId}")
    record_message(
        SentMessage.CHANNEL, request.api.body["content"], bot_id=bot.bot_id, channel_id=channel.channel_id
    )
    return no_content(201)
