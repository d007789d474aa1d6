"""POST /message/{webhookToken}: the Incoming Webhook app's URL, served at the sandbox's root as the vendor serves
it at https://webhook.worksmobile.com/message/<token>. No access token: the URL is the secret. Rate limited per
URL with the same limiter; faults apply as to any operation (`postIncomingWebhook`)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from sandbox.api.common import no_content, operation
from sandbox.api.errors import ApiError
from sandbox.api.messaging.records import record_message
from sandbox.contract import load_messaging_contract
from sandbox.models import SentMessage, WebhookRoom


@operation("postIncomingWebhook", contract=load_messaging_contract(), anonymous=True)
def post_webhook(request: HttpRequest, webhookToken: str) -> HttpResponse:
    room = WebhookRoom.objects.filter(token=webhookToken).first()
    if room is None:
        # x-unverified (messaging.yaml postIncomingWebhook 404): the vendor's answer to a wrong URL.
        raise ApiError(404, "NOT_FOUND", "no Webhook URL with this token")
    record_message(
        SentMessage.WEBHOOK,
        request.api.body,
        webhook_token=room.token,
        webhook_title=room.title,
        channel_id=room.channel_id,
    )
    # x-unverified (messaging.yaml postIncomingWebhook 200): the success answer is not on the stored page.
    return no_content(200)
