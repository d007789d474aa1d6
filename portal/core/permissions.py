"""The permissions of core's own pages (Activity, Sync, the home page and the operation page), declared
like every app's and contributed from `CoreConfig.ready()`."""

from django.utils.translation import gettext_lazy as _

from portal.core.access import Perm, Role

APP = "core"

USE_PORTAL = Perm(
    APP,
    "use_portal",
    _("Use the portal: the home page and the changes one has sent"),
    roles={Role.ACCOUNT_MANAGER, Role.SUPPORT, Role.FINANCE},
)
VIEW_ACTIVITY = Perm(APP, "view_activity", _("View activity"), roles={Role.ACCOUNT_MANAGER, Role.SUPPORT})
VIEW_SYNC = Perm(APP, "view_sync", _("View sync runs"), roles={Role.ACCOUNT_MANAGER})
RUN_SYNC = Perm(APP, "run_sync", _("Start a sync"), roles={Role.ACCOUNT_MANAGER})
#: Start and follow bulk changes (each action also needs its app's permission: changing a subscription...).
RUN_BATCHES = Perm(APP, "run_batches", _("Make bulk changes"), roles={Role.ACCOUNT_MANAGER})

#: The Data kept page: how long each table's history is kept and why (Admins alone).
VIEW_RETENTION = Perm(APP, "view_retention", _("View how long history is kept"), roles=set())

#: The Approvals page: which bulk changes need a second person's approval (Admins alone).
MANAGE_APPROVALS = Perm(APP, "manage_approvals", _("Set which bulk changes need approval"), roles=set())

#: Everyone's personal API tokens: see and revoke them (Admins alone; each person keeps their own with USE_PORTAL).
MANAGE_API_TOKENS = Perm(APP, "manage_api_tokens", _("See and revoke everyone's API tokens"), roles=set())
#: The Team rooms page: the LINE WORKS rooms notices go to, and which (Admins alone).
MANAGE_NOTICE_ROOMS = Perm(APP, "manage_notice_rooms", _("Choose the team rooms notices go to"), roles=set())

#: The Event endpoints page: where the portal's events go (Admins alone).
MANAGE_EVENT_ENDPOINTS = Perm(
    APP, "manage_event_endpoints", _("Choose where the portal's events go"), roles=set()
)

PERMS = [
    USE_PORTAL,
    VIEW_ACTIVITY,
    VIEW_SYNC,
    RUN_SYNC,
    RUN_BATCHES,
    VIEW_RETENTION,
    MANAGE_APPROVALS,
    MANAGE_API_TOKENS,
    MANAGE_NOTICE_ROOMS,
    MANAGE_EVENT_ENDPOINTS,
]
