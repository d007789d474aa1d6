from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SavedConfig(AppConfig):
    """Saved views: a list's filters and sort kept under a name, one's own or the team's (its own room: it
    keeps list pages' addresses and names no app)."""

    name = "saved"
    verbose_name = _("Saved views")

    def ready(self) -> None:
        from portal.core.contrib import contribute
        from portal.core.navigation import NavItem
        from portal.core.permissions import USE_PORTAL
        from saved import notices
        from saved.permissions import PERMS
        from saved.retention import RETENTION

        contribute(
            self.label,
            urls=[("views/", "saved.urls")],
            perms=PERMS,
            retention=RETENTION,
            user_menu=[NavItem("saved", _("Saved views"), "saved:list", USE_PORTAL, order=3)],
            home_panels=[NavItem("saved", _("Saved views"), "saved:list", USE_PORTAL, order=10)],
            notice_kinds=notices.KINDS,
        )
