"""Operations named in words a person reads: every app's Partner API operations (contributed as
`operation_labels` from the app's own `operations.py`) and the portal's own writes recorded in the audit trail
("portal.*": the Users page), which are core's.

The Activity page, the customer page's activity and the home page's worklist show these names; the operationId
stays visible on hover (it is what the audit trail and the contract say). An operationId no app names (a newer
contract) is shown as it is.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from portal.core.contrib import contributions

#: Core's own: the Users page's writes (nothing is sent to the Partner API).
OPERATION_LABELS = {
    "portal.createUser": _("Add a portal user"),
    "portal.changeUserRole": _("Change a portal user's role"),
    "portal.deactivateUser": _("Deactivate a portal user"),
    "portal.reactivateUser": _("Reactivate a portal user"),
    "portal.resetUserPassword": _("Reset a portal user's password"),
}


def operation_labels() -> dict:
    """Every contributed operation's words, by operationId (lazy: in the language active when shown)."""
    return dict(contributions("operation_labels"))


def operation_label(operation_id: str) -> str:
    """The operation's name in words (in the active language), or the operationId if no app names it."""
    label = operation_labels().get(operation_id)
    return str(label) if label is not None else operation_id
