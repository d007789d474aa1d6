"""Operations named in words a person reads: every app's Partner API operations and the portal's own writes
recorded in the audit trail ("portal.*": the Users page), contributed as `operation_labels` from each app's
`operations.py`.

The Activity page, the customer page's activity and the home page's worklist show these names; the operationId
stays visible on hover (it is what the audit trail and the contract say). An operationId no app names (a newer
contract) is shown as it is.
"""

from __future__ import annotations

from portal.core.contrib import contributions


def operation_labels() -> dict:
    """Every contributed operation's words, by operationId (lazy: in the language active when shown)."""
    return dict(contributions("operation_labels"))


def operation_label(operation_id: str) -> str:
    """The operation's name in words (in the active language), or the operationId if no app names it."""
    label = operation_labels().get(operation_id)
    return str(label) if label is not None else operation_id
