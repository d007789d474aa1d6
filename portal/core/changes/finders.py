"""What the search box finds of the change pipeline (core's `finders`, contributed from `CoreConfig.ready()`): a
change (`Operation`) and a bulk change (`Batch`) by its id, one row by its key, each only for those who may open
its page (a change of a customer outside an Account manager's portfolio is not found, as on its page)."""

from __future__ import annotations

import uuid

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.core.access import can, reads_changes
from portal.core.changes.bulk import bulk_action
from portal.core.finders import Finder, Found, Result
from portal.core.models import Batch
from portal.core.operations import operation_label
from portal.core.permissions import RUN_BATCHES, USE_PORTAL
from portal.core.selectors import operation_get


def _typed_id(q: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(q)
    except ValueError:
        return None


def operations_find(q: str, *, user, limit: int) -> Found:
    """The change whose id is `q`, if `user` may read it."""
    typed = _typed_id(q)
    if typed is None:
        return Found()
    found = operation_get(operation_id=typed, user=user)
    if found is None:
        return Found()
    result = Result(
        label=operation_label(found.kind),
        detail=str(found.get_status_display()),
        url=reverse("core:operation", args=[found.pk]),
        exact=True,
    )
    return Found(results=(result,))


def batches_find(q: str, *, user, limit: int) -> Found:
    """The bulk change whose id is `q`."""
    typed = _typed_id(q)
    if typed is None:
        return Found()
    found = Batch.objects.filter(pk=typed).only("pk", "action", "state").first()
    if found is None:
        return Found()
    action = bulk_action(found.action)
    if action is not None and not can(
        user, action.perm
    ):  # its page is for those who may start it (`may_start`)
        return Found()
    result = Result(
        label=str(action.label if action is not None else _("Bulk change")),
        detail=str(found.get_state_display()),
        url=reverse("core:batch", args=[found.pk]),
        exact=True,
    )
    return Found(results=(result,))


FINDERS = [
    Finder(
        key="changes", label=_("Changes"), perm=USE_PORTAL, may=reads_changes, find=operations_find, order=60
    ),
    Finder(key="batches", label=_("Bulk changes"), perm=RUN_BATCHES, find=batches_find, order=61),
]
