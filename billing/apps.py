from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from billing import api as api_area
        from billing import estimate, finders, operations, permissions, resync, retention, selectors, worklist
        from billing.permissions import VIEW_BILLING
        from home.sections import DetailSection
        from portal.core.contrib import contribute
        from portal.core.navigation import NavItem

        contribute(
            self.label,
            api=[api_area.AREA],
            nav=[NavItem("billing", _("Billing"), "billing:invoices", VIEW_BILLING, order=50)],
            sections=[
                DetailSection(
                    key="billing",
                    title=_("Billing"),
                    template="billing/_customer_section.html",
                    context=selectors.customer_billing_section,
                    perm=VIEW_BILLING,
                    order=60,
                )
            ],
            resyncs=resync.RESYNC,
            retention=retention.RETENTION,
            worklist=worklist.SECTIONS,
            perms=permissions.PERMS,
            operation_labels=[operations.OPERATION_LABELS],
            urls=[("billing/", "billing.urls")],
            keepers=[estimate.KEEPER],
            finders=finders.FINDERS,
        )
