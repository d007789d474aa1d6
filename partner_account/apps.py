from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnerAccountConfig(AppConfig):
    """The Admins' "Connect partner account" page: a partner user account's tokens for the client."""

    name = "partner_account"
    verbose_name = _("Partner account")

    def ready(self) -> None:
        from celery.schedules import crontab

        from partner_account import notices, permissions
        from portal.core.contrib import contribute
        from portal.core.navigation import NavItem
        from portal.core.periodic import Periodic

        contribute(
            self.label,
            user_menu=[
                NavItem(
                    "partner-account",
                    _("Connect partner account"),
                    "partner_account:account",
                    permissions.CONNECT_PARTNER_ACCOUNT,
                    order=20,
                )
            ],
            perms=permissions.PERMS,
            urls=[("partner-account/", "partner_account.urls")],
            notice_kinds=notices.KINDS,
            # Each morning at 9:00 (business time): a connected account whose refresh token ends soon.
            periodic=[
                Periodic(
                    "partner-account-expiring",
                    "partner_account.notices.expiring_tell",
                    lambda: crontab(minute=0, hour=9),
                )
            ],
        )
