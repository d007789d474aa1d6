from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """The portal's people: the Users page, signing in (lockouts, two-factor, idle sessions), the Sign-ins page
    and the role groups."""

    name = "accounts"
    verbose_name = _("People")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from accounts import checks, finders, operations, permissions, signin  # noqa: F401 (checks: registers them)
        from accounts.retention import RETENTION
        from accounts.roles import sync_role_groups
        from portal.core.contrib import contribute
        from portal.core.navigation import NavItem

        post_migrate.connect(sync_role_groups, sender=self, dispatch_uid="accounts.sync_role_groups")
        user_logged_in.connect(signin.session_seen_at_login, dispatch_uid="accounts.session_seen_at_login")
        manage = permissions.MANAGE_USERS
        contribute(
            self.label,
            nav=[NavItem("users", _("Users"), "accounts:users", manage, order=920)],
            user_menu=[NavItem("signins", _("Sign-ins"), "accounts:signins", manage, order=10)],
            perms=permissions.PERMS,
            operation_labels=[operations.OPERATION_LABELS],
            urls=[("", "accounts.urls")],
            finders=finders.FINDERS,
            retention=RETENTION,
        )
