from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = _("Subscriptions")

    def ready(self) -> None:
        from home.sections import DetailSection
        from portal.core.contrib import contribute
        from portal.core.navigation import NavItem
        from subscriptions import (
            api,
            bulk,
            changes,
            finders,
            operations,
            permissions,
            resync,
            schedule,
            selectors,
            worklist,
        )
        from subscriptions.permissions import VIEW_SUBSCRIPTIONS

        contribute(
            self.label,
            nav=[
                NavItem(
                    "subscriptions",
                    _("Subscriptions"),
                    "subscriptions:list",
                    VIEW_SUBSCRIPTIONS,
                    order=20,
                )
            ],
            sections=[
                DetailSection(
                    key="subscriptions",
                    title=_("Subscriptions"),
                    template="subscriptions/_customer_section.html",
                    context=selectors.customer_subscriptions_section,
                    perm=VIEW_SUBSCRIPTIONS,
                    order=20,
                )
            ],
            schedule_sources=schedule.SOURCES,
            worklist=worklist.SECTIONS,
            resyncs=resync.RESYNC,
            changes=changes.CHANGES,
            perms=permissions.PERMS,
            operation_labels=[operations.OPERATION_LABELS],
            urls=[("subscriptions/", "subscriptions.urls")],
            bulk_actions=bulk.BULK_ACTIONS,
            finders=finders.FINDERS,
            api=[api.AREA],
        )
