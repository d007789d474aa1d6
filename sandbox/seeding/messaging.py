"""The partner's own tenant as the bot message endpoints see it: its bots, some of its staff, its talk rooms and
Incoming Webhook URLs, with the fixed ids of `sandbox.directory` (no randomness).

`ensure_directory()` runs when the server starts and after a reset, so they exist with or without seeded
customers; the seed part below runs it with the other parts too.
"""

from __future__ import annotations

from sandbox.directory import BOTS, CHANNELS, USERS, WEBHOOKS
from sandbox.models import Bot, TalkChannel, WebhookRoom, WorksUser
from sandbox.seed import SeedContext, seed_part


def ensure_directory() -> None:
    """Create the fixed bots, users, talk rooms and Webhook URLs that are missing (idempotent)."""
    for bot_id, name in BOTS:
        Bot.objects.get_or_create(bot_id=bot_id, defaults={"name": name})
    for user_id, email, name in USERS:
        WorksUser.objects.get_or_create(user_id=user_id, defaults={"email": email, "name": name})
    for channel_id, title, bot_ids in CHANNELS:
        channel, _ = TalkChannel.objects.get_or_create(channel_id=channel_id, defaults={"title": title})
        channel.bots.add(*bot_ids)
    for token, title, channel_id in WEBHOOKS:
        WebhookRoom.objects.get_or_create(
            token=token, defaults={"title": title, "channel_id": channel_id, "seeded": True}
        )


@seed_part("messaging", order=1)
def seed_messaging(ctx: SeedContext) -> None:
    ensure_directory()
    ctx.counts["bots"] = len(BOTS)
