from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScheduleConfig(AppConfig):
    """The Scheduled changes page: its own room, fed by the sources other apps contribute (no models)."""

    name = "schedule"
    verbose_name = _("Scheduled changes")

    def ready(self) -> None:
        from portal.core.contrib import contribute
        from portal.core.navigation import NavItem
        from schedule import api as api_area
        from schedule import permissions, worklist
        from schedule.permissions import VIEW_SCHEDULE

        contribute(
            self.label,
            api=[api_area.AREA],
            nav=[NavItem("scheduled", _("Scheduled changes"), "schedule:agenda", VIEW_SCHEDULE, order=30)],
            worklist=worklist.SECTIONS,
            perms=permissions.PERMS,
            urls=[("scheduled/", "schedule.urls")],
            # Its private calendar feed is for those who see the page (schedule/feed.py).
            home_links=[
                NavItem("feed", _("Subscribe in your calendar"), "schedule:feed", VIEW_SCHEDULE, order=10)
            ],
        )
