from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self) -> None:
        from portal.core.access import Perm
        from portal.core.contrib import contribute
        from portal.core.navigation import NavItem

        contribute(
            self.label,
            nav=[NavItem("billing", _("Billing"), "billing:invoices", Perm.VIEW_BILLING, order=50)],
        )
