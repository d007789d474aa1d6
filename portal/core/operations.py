"""Operations named in words a person reads: every app's Partner API operations and the portal's own writes
recorded in the audit trail ("portal.*": the Users page), contributed as `operation_labels` from each app's
`operations.py`.

The Activity page, the customer page's activity and the home page's worklist show these names; the operationId
stays visible on hover (it is what the audit trail and the contract say). An operationId no app names (a newer
contract) is shown as it is.
"""

from __future__ import annotations

from typing import Any

from portal.core.contrib import contributions

#: The merged words and the contributions they were merged from (contrib hands back the same tuple until an
#: app contributes again).
_merged: dict[str, Any] = {"from": None, "labels": {}}


def operation_labels() -> dict[str, Any]:
    """Every contributed operation's words, by operationId (lazy: in the language active when shown)."""
    given = contributions("operation_labels")
    if _merged["from"] is not given:
        _merged["labels"] = {k: v for labels in given for k, v in labels.items()}
        _merged["from"] = given
    return _merged["labels"]


def operation_label(operation_id: str) -> str:
    """The operation's name in words (in the active language), or the operationId if no app names it."""
    label = operation_labels().get(operation_id)
    return str(label) if label is not None else operation_id
