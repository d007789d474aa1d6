from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "portal.core"
    label = "core"
    verbose_name = _("Portal core")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django_structlog import signals as structlog_signals
        from django_structlog.celery import signals as structlog_task_signals

        from portal import logs
        from portal.core import checks, converters, permissions  # noqa: F401 (checks: registers them)
        from portal.core.changes import events as change_events
        from portal.core.changes import finders as changes_finders
        from portal.core.changes import notices as change_notices
        from portal.core.contrib import contribute
        from portal.core.navigation import NavItem
        from portal.core.periodic import CORE_JOBS
        from portal.core.permissions import (
            MANAGE_APPROVALS,
            MANAGE_EVENT_ENDPOINTS,
            MANAGE_NOTICE_ROOMS,
            USE_PORTAL,
            VIEW_ACTIVITY,
            VIEW_SYNC,
        )
        from portal.core.retention_rules import RETENTION
        from portal.core.services import language_remember_at_sign_in

        converters.register()
        # The language a user signs in with is remembered for what reaches them without a request (the feed).
        user_logged_in.connect(language_remember_at_sign_in, dispatch_uid="core.language")
        # Each request and task counts its own Partner API calls for its log line (portal/logs.py).
        structlog_signals.bind_extra_request_metadata.connect(logs.request_started, dispatch_uid="core.logs")
        structlog_signals.bind_extra_request_finished_metadata.connect(
            logs.request_finished, dispatch_uid="core.logs"
        )
        structlog_task_signals.bind_extra_task_metadata.connect(logs.task_started, dispatch_uid="core.logs")
        # Core's own pages, through the same registry as every app's (the home page shows their figures).
        contribute(
            self.label,
            nav=[
                NavItem("activity", _("Activity"), "core:activity", VIEW_ACTIVITY, order=900),
                NavItem("sync", _("Sync"), "core:sync", VIEW_SYNC, order=910),
            ],
            perms=permissions.PERMS,
            retention=RETENTION,
            periodic=CORE_JOBS,
            finders=changes_finders.FINDERS,
            user_menu=[
                NavItem("notices", _("Notices"), "core:notices", USE_PORTAL, order=4),
                NavItem("api-tokens", _("API tokens"), "core:api_tokens", USE_PORTAL, order=8),
                NavItem("approvals", _("Approvals"), "core:approvals", MANAGE_APPROVALS, order=20),
                NavItem("notice_rooms", _("Team rooms"), "core:notice_rooms", MANAGE_NOTICE_ROOMS, order=22),
                NavItem(
                    "event_endpoints",
                    _("Event endpoints"),
                    "core:event_endpoints",
                    MANAGE_EVENT_ENDPOINTS,
                    order=23,
                ),
            ],
            notice_kinds=change_notices.KINDS,
            event_types=change_events.TYPES,
            operation_labels=[
                {
                    "portal.askBulkApproval": _("Ask for approval of a bulk change"),
                    "portal.approveBulkChange": _("Approve a bulk change"),
                    "portal.rejectBulkChange": _("Reject a bulk change"),
                    "portal.setApprovalRules": _("Set which bulk changes need approval"),
                    "portal.approveChange": _("Approve a change"),
                    "portal.rejectChange": _("Reject a change"),
                    "portal.makeApiToken": _("Make an API token"),
                    "portal.revokeApiToken": _("Revoke an API token"),
                    "portal.addNoticeRoom": _("Add a team room for notices"),
                    "portal.changeNoticeRoom": _("Change a team room's notices"),
                    "portal.removeNoticeRoom": _("Remove a team room"),
                    "portal.addEventEndpoint": _("Add an event endpoint"),
                    "portal.changeEventEndpoint": _("Change an event endpoint"),
                    "portal.newEventEndpointSecret": _("Make a new secret for an event endpoint"),
                    "portal.removeEventEndpoint": _("Remove an event endpoint"),
                    "portal.replayEvent": _("Send an event again"),
                }
            ],
        )
