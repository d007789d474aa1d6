"""Partner-wide walks (billing): every page of a declared PartnerWide call, stored at once
(`resync_partner_wide`), and the walks that keep today's data fresh (`resync_partner_wide_fresh`)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from functools import partial
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from partner_api.errors import PartnerApiError
from portal.core.models import SyncRun
from portal.core.sync.declarations import (
    PartnerWide,
    fresh_walks,
    partner_wide,
    scope_of,
)
from portal.core.sync.running import (
    PARTNER,
    Recorder,
    finish_run,
    with_retries,
)

logger = logging.getLogger(__name__)

#: An unfinished partner-wide walk younger than this stands for the same walk asked again to keep fresh.
PARTNER_PENDING_SECONDS = 900


def resync_partner_wide(
    *, name: str, params: Mapping[str, Any], run_id: int | None = None, user=None
) -> SyncRun:
    """Walk every page of the declared PartnerWide call `name` for `params` (e.g. {"year": 2026, "month": 10}),
    then hand every item to its store at once, in one transaction; a walk that did not complete stores
    nothing, so what was stored before stays whole. Recorded as a SyncRun of kind "partner"."""
    from portal.core.partner import get_client

    declaration: PartnerWide = partner_wide(name)
    scope = scope_of(name, params)
    run = SyncRun.objects.filter(pk=run_id).first() if run_id else None
    if run is None:
        run = SyncRun.objects.create(kind=PARTNER, scope=scope, requested_by=user)
    rec = Recorder(run)
    client = get_client()
    items: list[Any] = []
    cursor: str | None = None
    cursors_seen: set[str] = set()
    while True:
        attempts = [0]
        try:
            page = with_retries(partial(declaration.fetch_page, client, params, cursor), attempts)
        except PartnerApiError as exc:
            rec.calls[declaration.operation_id] += attempts[0]
            rec.error(operation_id=declaration.operation_id, exc=exc)
            return finish_run(rec, SyncRun.Status.FAILED)
        rec.calls[declaration.operation_id] += attempts[0]
        run.done += 1
        items.extend(declaration.items_of(page))
        rec.save()
        cursor = declaration.cursor_of(page)
        if not cursor:
            break
        if cursor in cursors_seen:
            rec.error(
                operation_id=declaration.operation_id,
                exc=RuntimeError(gettext_noop("The listing returned the same cursor twice; stopped.")),
            )
            return finish_run(rec, SyncRun.Status.FAILED)
        cursors_seen.add(cursor)
    run.total = run.done
    try:
        with transaction.atomic():
            declaration.store(params, items, timezone.now())
    except Exception as exc:
        logger.exception("resync store %s failed", declaration.name)
        rec.error(operation_id=f"{declaration.operation_id}:{declaration.name}", exc=exc)
        return finish_run(rec, SyncRun.Status.FAILED)
    rec.counts[declaration.operation_id] = len(items)
    return finish_run(rec, SyncRun.Status.SUCCEEDED)


def resync_partner_wide_fresh(*, user=None) -> list[SyncRun]:
    """Make now, one after the other, every walk the PartnerWide declarations ask for to stay fresh today
    (`fresh_walks`: billing's last closed month and running month), each recorded as its own run and paced by
    the client's limiter; a walk of the same scope already under way is not made twice (`manage.py resync
    --partner-wide`, and the beat's task)."""
    from portal.core import clock

    runs = []
    for name, params in fresh_walks(clock.today()):
        if _walk_pending(name, params):
            continue
        runs.append(resync_partner_wide(name=name, params=params, user=user))
    return runs


def _walk_pending(name: str, params: Mapping[str, Any]) -> bool:
    """Whether a walk of this scope is queued or running, started within PARTNER_PENDING_SECONDS (an older
    unfinished one lost its worker)."""
    since = timezone.now() - dt.timedelta(seconds=PARTNER_PENDING_SECONDS)
    return SyncRun.objects.filter(
        kind=PARTNER, scope=scope_of(name, params), finished_at=None, requested_at__gte=since
    ).exists()
