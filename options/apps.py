from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OptionsConfig(AppConfig):
    name = "options"
    verbose_name = _("Options")

    def ready(self) -> None:
        from home.sections import DetailSection
        from options import api as api_area
        from options import (
            bulk,
            changes,
            operations,
            permissions,
            resync,
            retention,
            schedule,
            selectors,
            worklist,
        )
        from options.permissions import VIEW_OPTIONS
        from portal.core.contrib import contribute
        from portal.core.navigation import NavItem

        contribute(
            self.label,
            api=[api_area.AREA],
            nav=[NavItem("options", _("Options"), "options:list", VIEW_OPTIONS, order=25)],
            sections=[
                DetailSection(
                    key="options",
                    title=_("Options"),
                    template="options/_customer_section.html",
                    context=selectors.customer_options_section,
                    perm=VIEW_OPTIONS,
                    order=30,
                )
            ],
            schedule_sources=schedule.SOURCES,
            resyncs=resync.RESYNC,
            changes=changes.CHANGES,
            worklist=worklist.SECTIONS,
            perms=permissions.PERMS,
            operation_labels=[operations.OPERATION_LABELS],
            effects=changes.EFFECTS,
            urls=[("options/", "options.urls")],
            bulk_actions=bulk.BULK_ACTIONS,
            retention=retention.RETENTION,
        )
