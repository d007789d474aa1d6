"""The endpoints the portal sends notices through (issue 56; contract/messaging.yaml, not the Partner API's):
the Bot API's two message operations under /v1.0 and the Incoming Webhook URL at the root. Kept apart from the
Partner API's domain modules (``registry.DOMAIN_MODULES``): it imports none of them, nor they it."""

from sandbox.api.common import api_path
from sandbox.api.messaging import admin, bots, webhook

# Below /v1.0/, as the vendor serves them at https://www.worksapis.com/v1.0/...
bot_patterns = [
    api_path("/bots/{botId}/users/{userId}/messages", post=bots.send_user_message),
    api_path("/bots/{botId}/channels/{channelId}/messages", post=bots.send_channel_message),
]

# At the server's root, as https://webhook.worksmobile.com/message/<token>.
webhook_patterns = [api_path("/message/{webhookToken}", post=webhook.post_webhook)]

admin_patterns = admin.urlpatterns
