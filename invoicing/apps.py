from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicingConfig(AppConfig):
    name = "invoicing"
    verbose_name = _("Customer invoices")

    def ready(self) -> None:
        from invoicing import api as api_area
        from invoicing import finders, operations, permissions, retention, services, worklist
        from invoicing.permissions import VIEW_INVOICING
        from portal.core.contrib import contribute
        from portal.core.navigation import NavItem

        contribute(
            self.label,
            api=[api_area.AREA],
            nav=[NavItem("invoicing", _("Customer invoices"), "invoicing:start", VIEW_INVOICING, order=55)],
            worklist=worklist.SECTIONS,
            perms=permissions.PERMS,
            operation_labels=[operations.OPERATION_LABELS],
            urls=[("invoicing/", "invoicing.urls")],
            retention=retention.RETENTION,
            keepers=[services.DRAFTS_KEEPER],
            runs=services.RUN_KINDS,
            finders=finders.FINDERS,
        )
