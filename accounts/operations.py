"""The Users page's writes, recorded in the audit trail as "portal.*" operations (nothing is sent to the
Partner API), named in words a person reads; contributed as `operation_labels`."""

from django.utils.translation import gettext_lazy as _

OPERATION_LABELS = {
    "portal.createUser": _("Add a portal user"),
    "portal.changeUserRole": _("Change a portal user's role"),
    "portal.deactivateUser": _("Deactivate a portal user"),
    "portal.reactivateUser": _("Reactivate a portal user"),
    "portal.resetUserPassword": _("Reset a portal user's password"),
    "portal.linkUserIdentity": _("Link a portal user to their company account"),
}
