from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScheduleConfig(AppConfig):
    """The Scheduled changes page: its own room, fed by the sources other apps contribute (no models)."""

    name = "schedule"
    verbose_name = _("Scheduled changes")

    def ready(self) -> None:
        from portal.core.access import Perm
        from portal.core.contrib import contribute
        from portal.core.navigation import NavItem
        from schedule import worklist

        contribute(
            self.label,
            nav=[
                NavItem(
                    "scheduled", _("Scheduled changes"), "schedule:agenda", Perm.VIEW_SUBSCRIPTIONS, order=30
                )
            ],
            worklist=worklist.SECTIONS,
        )
