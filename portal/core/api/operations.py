"""Core's own endpoint: a change's operation, polled until it is settled (a queued change, or one whose outcome
is being read back). Any token that may write somewhere may follow changes, as the operation page is open to
whoever may send changes; with PORTFOLIO_ONLY an Account manager reads only their customers' operations."""

from __future__ import annotations

import uuid

from django.http import HttpRequest
from ninja import Router

from portal.core import selectors
from portal.core.api import errors
from portal.core.api.areas import Level
from portal.core.api.auth import TokenAuth
from portal.core.api.schemas import ErrorOut, OperationOut, operation_out

router = Router()


@router.get(
    "/{operation_id}",
    auth=TokenAuth(area=None, level=Level.WRITE),
    response={200: OperationOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 429: ErrorOut},
    url_name="operation",
    summary="A change and what became of it",
)
def operation_read(request: HttpRequest, operation_id: uuid.UUID):
    """Poll it until `finished` is true: `unknown` means the portal is reading back whether LINE WORKS applied
    the change, and never sends it again meanwhile."""
    operation = selectors.operation_get(operation_id=operation_id, user=request.user)
    if operation is None:
        raise errors.not_found()
    return operation_out(operation)
