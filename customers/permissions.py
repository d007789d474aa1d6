"""Who may read and change customers (contributed from `CustomersConfig.ready()`)."""

from django.utils.translation import gettext_lazy as _

from portal.core.access import Perm, Role

VIEW_CUSTOMERS = Perm(
    "customers",
    "view_customers",
    _("View customers"),
    roles={Role.ACCOUNT_MANAGER, Role.SUPPORT, Role.FINANCE},
)
#: Whoever can change and delete customers at the partner signs in with a second factor.
CHANGE_CUSTOMERS = Perm(
    "customers",
    "change_customers",
    _("Change customers"),
    roles={Role.ACCOUNT_MANAGER},
    two_factor=True,
    sends_changes=True,
)

#: Who looks after each customer (its Account manager and support contact): the partner's own data, set by Admins.
ASSIGN_OWNERS = Perm("customers", "assign_owners", _("Assign customers' owners"))

PERMS = [VIEW_CUSTOMERS, CHANGE_CUSTOMERS, ASSIGN_OWNERS]
