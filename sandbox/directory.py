"""The fixed ids of the partner's own tenant that the bot message and Incoming Webhook endpoints know (its bots,
some of its staff, its talk rooms, its Webhook URLs). No Django here: tests and a developer's portal settings
import and name them directly; `sandbox.seeding.messaging` creates them."""

from __future__ import annotations

PORTAL_BOT_ID = 2000001
OTHER_BOT_ID = 2000002
BOTS = [(PORTAL_BOT_ID, "Partner Portal"), (OTHER_BOT_ID, "Sandbox helper")]

# (user id, login email, name): the partner's staff, in the login user's domain.
USERS = [
    ("a1f0c2d4-0001-4c6e-9a10-5a4e0b1c0001", "admin@partner-demo.by-works.com", "Sandbox Admin"),
    ("a1f0c2d4-0002-4c6e-9a10-5a4e0b1c0002", "sales@partner-demo.by-works.com", "Sato Hanako"),
    ("a1f0c2d4-0003-4c6e-9a10-5a4e0b1c0003", "billing@partner-demo.by-works.com", "Suzuki Ichiro"),
    # The portal's demo users (`make run`), whose LINE WORKS IDs are not their demo e-mail addresses.
    ("a1f0c2d4-0004-4c6e-9a10-5a4e0b1c0004", "manager@partner-demo.by-works.com", "Sato Aiko"),
    ("a1f0c2d4-0005-4c6e-9a10-5a4e0b1c0005", "support@partner-demo.by-works.com", "Tanaka Ken"),
    ("a1f0c2d4-0006-4c6e-9a10-5a4e0b1c0006", "finance@partner-demo.by-works.com", "Clark Emma"),
]

NOTICES_CHANNEL = "c0ffee00-0001-4d2a-8b1e-7f3a9c5d0001"
BILLING_CHANNEL = "c0ffee00-0002-4d2a-8b1e-7f3a9c5d0002"
QUIET_CHANNEL = "c0ffee00-0003-4d2a-8b1e-7f3a9c5d0003"
# (channel id, title, the bots that are members)
CHANNELS = [
    (NOTICES_CHANNEL, "Partner Portal notices", [PORTAL_BOT_ID]),
    (BILLING_CHANNEL, "Billing team", [PORTAL_BOT_ID, OTHER_BOT_ID]),
    (QUIET_CHANNEL, "Sales (no bot)", []),
]

# (token, title, channel id): the secret last segment of https://webhook.worksmobile.com/message/<token>.
WEBHOOKS = [
    ("5b1de7a0-0001-4f4b-a3c2-6e9d8f7a0001", "Portal notices", NOTICES_CHANNEL),
    ("5b1de7a0-0002-4f4b-a3c2-6e9d8f7a0002", "Billing alerts", BILLING_CHANNEL),
]
