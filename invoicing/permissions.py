"""Who may see and issue the partner's invoices to its customers: Finance (and Admins, who hold every
permission). Contributed from `InvoicingConfig.ready()`."""

from django.utils.translation import gettext_lazy as _

from portal.core.access import Perm, Role

VIEW_INVOICING = Perm("invoicing", "view_invoicing", _("View invoices to customers"), roles={Role.FINANCE})
CHANGE_INVOICING = Perm(
    "invoicing",
    "change_invoicing",
    _("Keep billing details and issue invoices to customers"),
    roles={Role.FINANCE},
)

PERMS = [VIEW_INVOICING, CHANGE_INVOICING]
