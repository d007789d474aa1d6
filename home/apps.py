from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HomeConfig(AppConfig):
    """The home page (each role's worklist and figures), the morning digest of decisions (and its page, where an
    Account manager turns it off or on), and the customer
    page's sections: what the apps contribute there is declared with this room's `WorkSection`, `Figure` and
    `DetailSection`."""

    name = "home"
    verbose_name = _("Home")

    def ready(self) -> None:
        from celery.schedules import crontab
        from django.conf import settings
        from django.urls import reverse

        from home import api as api_area
        from home import lists, permissions, worklist_sections
        from home.dashboard import Figure
        from portal.core import selectors
        from portal.core.changes.bulk import BulkSource
        from portal.core.contrib import contribute
        from portal.core.notices.kinds import EMAIL, NoticeKind
        from portal.core.periodic import Periodic
        from portal.core.permissions import USE_PORTAL, VIEW_ACTIVITY

        contribute(
            self.label,
            api=[api_area.AREA],
            # The figures and sections of core's own records: the changes sent and the operations.
            figures=[
                Figure(
                    "audit_today",
                    _("Changes sent to LINE WORKS today"),
                    VIEW_ACTIVITY,
                    selectors.audit_entries_today_count,
                    url_name="core:activity",
                    order=900,
                    per_customer=True,
                    capped=True,
                ),
                Figure(
                    "operations_running",
                    _("Operations in progress"),
                    USE_PORTAL,
                    selectors.operations_running_count,
                    order=910,
                    per_customer=True,
                ),
            ],
            worklist=worklist_sections.SECTIONS,
            perms=permissions.PERMS,
            notice_kinds=[
                NoticeKind(
                    "digest",
                    _("Morning digest"),
                    _(
                        "Each morning with something to tell: the decisions due within a week on your customers, "
                        "and who entered or left the groups you follow."
                    ),
                    permissions.GET_DIGEST,
                    default=EMAIL,
                    rooms=False,
                    order=0,
                    admins=False,
                )
            ],
            urls=[("", "home.urls")],
            # A section's full list offers the bulk actions of the list its items are rows of.
            bulk_sources=[
                BulkSource(
                    "work",
                    keys=lists.bulk_keys,
                    back=lambda key: reverse("work_list", args=[key]),
                    count=lists.bulk_count,
                )
            ],
            # Each morning (DIGEST_HOUR, business time zone), the digest of decisions due soon to each Account
            # manager.
            periodic=[
                Periodic(
                    "decisions-digest-daily",
                    "home.digest.send_daily",
                    lambda: crontab(minute=0, hour=settings.DIGEST_HOUR),
                )
            ],
        )
