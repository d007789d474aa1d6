from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicingConfig(AppConfig):
    name = "invoicing"
    verbose_name = _("Customer invoices")

    def ready(self) -> None:
        from celery.schedules import crontab

        from invoicing import api as api_area
        from invoicing import events, finders, notices, operations, permissions, retention, services, worklist
        from invoicing.permissions import VIEW_INVOICING
        from portal.core.contrib import contribute
        from portal.core.navigation import NavItem
        from portal.core.periodic import Periodic

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
            notice_kinds=notices.KINDS,
            event_types=events.TYPES,
            # Each morning at 9:00 (business time), the invoices that fell overdue are told of (once each).
            periodic=[
                Periodic(
                    "invoices-overdue-notices",
                    "invoicing.notices.overdue_tell",
                    lambda: crontab(minute=0, hour=9),
                ),
                # Each morning at 10:00 (business time), the payment reminders due by Finance's schedule are sent.
                Periodic(
                    "invoices-payment-reminders",
                    "invoicing.send_reminders",
                    lambda: crontab(minute=0, hour=10),
                ),
            ],
        )
