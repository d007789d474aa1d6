"""Who may read billing and do finance's work (contributed from `BillingConfig.ready()`)."""

from django.utils.translation import gettext_lazy as _

from portal.core.access import Perm, Role

VIEW_BILLING = Perm("billing", "view_billing", _("View billing"), roles={Role.ACCOUNT_MANAGER, Role.FINANCE})
CHANGE_BILLING = Perm(
    "billing",
    "change_billing",
    _("Fetch invoices, keep the price book and explain billing findings"),
    roles={Role.FINANCE},
)

#: Reopening a month Finance closed: Admins only (no role besides Admin holds it).
REOPEN_MONTHS = Perm("billing", "reopen_months", _("Reopen a closed billing month"))

PERMS = [VIEW_BILLING, CHANGE_BILLING, REOPEN_MONTHS]
