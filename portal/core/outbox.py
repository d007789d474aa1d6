"""The one way the portal delivers what it wrote to send later: a notice (`portal.core.notices`), an event
(`portal.core.events`). Each is a row written in the transaction of the work it reports, with a `state`
(WAITING, SENDING, then the outcome), a `due_at` and the `attempts` made; the worker delivers it by id once that
transaction commits, and beat's minute (`due`) finds what is due again and what the queue lost.

`Outbox` holds what the two share, so that they keep the same rules:

* `claim(pk)`: one attempt at a time. The row, if WAITING and due, is locked (skipped by any other worker that
  has it) and marked SENDING with one attempt more, in its own transaction, before anything is sent;
* `retry_at(attempts, now)`: when the next attempt is due after a failure for now, None after the last;
* `settle(row, fields)`: the outcome written only over SENDING (a sweep that took the row for dead wins);
* `due(now)`: the ids due (oldest first, a minute's worth), after the rows whose worker died while sending
  (SENDING past `lease`) are given `stuck`: at most once (a notice: its outcome unknown, never sent again) or at
  least once (an event: WAITING again; its receiver drops a duplicate by its id)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import models, transaction
from django.utils import timezone

#: How many rows one minute's sweep hands out at most; the rest wait for the next minute.
DUE_PER_SWEEP = 500


@dataclass(frozen=True)
class Outbox:
    #: The rows: `state`, `due_at` and `attempts` fields, and a `State` with WAITING and SENDING.
    model: type[models.Model]
    #: The waits before each attempt after the first fails for now; after the last, the row has failed.
    retry_after: tuple[dt.timedelta, ...]
    #: How long an attempt may be under way before its worker is taken for dead.
    lease: dt.timedelta
    #: stuck(now) -> what a row whose worker died while sending becomes (fields).
    stuck: Callable[[dt.datetime], Mapping[str, Any]]
    #: What the attempt reads along with the row (select_related: outer joins, so only the row is locked).
    related: tuple[str, ...] = field(default=())

    @property
    def _states(self) -> Any:
        return self.model.State  # type: ignore[attr-defined]

    def claim(self, pk: Any) -> Any | None:
        """The row, marked SENDING with one attempt more, if it is WAITING and due and no other worker has it."""
        with transaction.atomic():
            row = (
                self.model._default_manager.select_for_update(skip_locked=True, of=("self",))
                .filter(pk=pk, state=self._states.WAITING, due_at__lte=timezone.now())
                .select_related(*self.related)
                .first()
            )
            if row is None:
                return None
            row.state, row.due_at, row.attempts = self._states.SENDING, timezone.now(), row.attempts + 1  # type: ignore[attr-defined]
            row.save(update_fields=["state", "due_at", "attempts"])
        return row

    def retry_at(self, attempts: int, now: dt.datetime) -> dt.datetime | None:
        """When the attempt after `attempts` failed ones is due; None when that was the last."""
        if not 1 <= attempts <= len(self.retry_after):
            return None
        return now + self.retry_after[attempts - 1]

    def settle(self, row: models.Model, fields: Mapping[str, Any]) -> None:
        """Write the attempt's outcome, unless a sweep took the row for dead meanwhile."""
        self.model._default_manager.filter(pk=row.pk, state=self._states.SENDING).update(**fields)

    def due(self, now: dt.datetime) -> tuple[list[Any], int]:
        """(the ids due, oldest first; how many were stuck in SENDING past the lease and given `stuck`)."""
        manager = self.model._default_manager
        stuck = manager.filter(state=self._states.SENDING, due_at__lt=now - self.lease).update(
            **self.stuck(now)
        )
        due = list(
            manager.filter(state=self._states.WAITING, due_at__lte=now)
            .order_by("due_at")
            .values_list("pk", flat=True)[:DUE_PER_SWEEP]
        )
        return due, stuck
