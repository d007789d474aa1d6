from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "portal.core"
    label = "core"
    verbose_name = _("Portal core")

    def ready(self) -> None:
        from portal.core.roles import sync_role_groups

        post_migrate.connect(sync_role_groups, sender=self, dispatch_uid="core.sync_role_groups")
