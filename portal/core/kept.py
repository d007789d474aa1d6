"""Copies kept of what is worked out from the cache (billing's estimate, invoicing's drafts): brought up to date
by Celery when their inputs change, never in a reader's request.

An app declares each copy it keeps as a `Keeper` (contribution kind `keepers`): the months it keeps ahead, how
far behind a month's copy is (`state`: a few counted reads) and how to bring a month up to date (`keep`: in the
worker, in small batches). A page reads the copy as it is and asks `ask()`: a month behind is queued (once a
`QUEUE_EVERY`, however many readers ask) and the page says so, still showing what is kept; a month never worked
out says it is being worked out. One task, `portal.core.keep`, runs them: queued by a reader for one month, and
by beat every minute for every keeper's months (`Keeper.months`), in the order the apps contributed (billing's
estimate before the drafts made from it), so a write the readers never look at is still worked out within the
minute, and the first reader of a business day reads rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from celery import shared_task
from django.apps import apps
from django.core.cache import cache
from django.db import models, transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.core import clock
from portal.core.contrib import contributions
from portal.core.retention import KeepDays, Retention

#: A month is queued at most once in this many seconds, however many readers find it behind.
QUEUE_EVERY = 30
#: How long one month's working out may hold its lock (a worker killed meanwhile: the lock lapses).
LOCK_SECONDS = 15 * 60
#: How long before it is stamped a write may commit (its transaction's length): a keeper works out again the
#: customers whose inputs were written within this of its last working out, so no write is missed.
KEPT_MARGIN = dt.timedelta(minutes=2)


@dataclass(frozen=True)
class KeptState:
    """How a month's kept copy stands: when it was last brought up to date (None: never worked out), how many
    customers' inputs changed since (worked out again next), and whether what the whole month is worked out
    from changed (the price book, the business date, the rules: the whole month is worked out again)."""

    worked_at: dt.datetime | None
    behind: int = 0
    whole: bool = False

    @property
    def never(self) -> bool:
        return self.worked_at is None

    @property
    def current(self) -> bool:
        return not self.never and not self.behind and not self.whole


@dataclass(frozen=True)
class Keeper:
    """A copy an app keeps, month by month."""

    name: str
    #: (business date) -> the months kept ahead by beat (the ones the pages open on).
    months: Callable[[dt.date], list[tuple[int, int]]]
    #: (year, month) -> KeptState, in a few counted reads (the reader's).
    state: Callable[[int, int], KeptState]
    #: (year, month, whole) -> None: bring the month up to date (the worker's); `whole`: every customer worked
    #: out again, whatever changed.
    keep: Callable[[int, int, bool], None]


def keeper(name: str) -> Keeper:
    return next(k for k in contributions("keepers") if k.name == name)


def ask(name: str, year: int, month: int, *, state: KeptState | None = None) -> KeptState:
    """The month's kept copy's state for a reader; a month behind (or never worked out) is queued for the
    worker. The reader shows what is kept either way. `state`: the month's state, read already from its keeper
    by a page that asks for several months (what they share read once)."""
    if state is None:
        state = keeper(name).state(year, month)
    if not state.current:
        queue(name, year, month)
    return state


def queue(name: str, year: int, month: int) -> None:
    """Queue the month's working out (after the reader's transaction), once a `QUEUE_EVERY`."""
    if cache.add(f"kept:queued:{name}:{year}-{month}", 1, timeout=QUEUE_EVERY):
        transaction.on_commit(lambda: keep_task.delay(name=name, year=year, month=month))


def keep_month(name: str, year: int, month: int) -> bool:
    """Bring one month of one keeper up to date, unless another worker is at it (False then)."""
    lock = f"kept:lock:{name}:{year}-{month}"
    if not cache.add(lock, 1, timeout=LOCK_SECONDS):
        return False
    try:
        keeper(name).keep(year, month, False)
    finally:
        cache.delete(lock)
    return True


def keep_all(today: dt.date | None = None) -> list[tuple[str, int, int]]:
    """Every keeper's months brought up to date (beat's minute), keeper by keeper in the order contributed.
    What was kept."""
    today = today or clock.today()
    done = []
    for kept in contributions("keepers"):
        for year, month in kept.months(today):
            if keep_month(kept.name, year, month):
                done.append((kept.name, year, month))
    return done


@shared_task(name="portal.core.keep", ignore_result=True)
def keep_task(name: str | None = None, year: int | None = None, month: int | None = None) -> None:
    """One month of one keeper (a reader found it behind), or every keeper's months (beat)."""
    if name is None or year is None or month is None:
        keep_all()
    else:
        keep_month(name, year, month)


#: The retention of the copies kept: a month whose copy has not been worked out again for this many days leaves.
KEPT_COPY_DAYS = KeepDays("RETENTION_KEPT_COPY_DAYS", 90)


def months_rule(*, month: str, copy: str, table: Any, kept: Any) -> Retention:
    """The retention rule of a keeper's copies (its app contributes it with its other rules): a month's row
    (`month`, "app_label.Model", with `year`, `month` and `worked_at`) not worked out again for KEPT_COPY_DAYS
    leaves with its customers' rows (`copy`, keyed by `year` and `month`). A reader who opens that month again
    has it worked out anew (`ask`), as beat's minute does for a month it keeps ahead whose copy left (one whose
    inputs did not change for that long)."""

    def remove(model: type[models.Model], ids: Sequence[Any]) -> None:
        months = list(models.QuerySet(model=model).filter(pk__in=ids).values_list("year", "month"))
        if months:
            same = Q()
            for year, number in months:
                same |= Q(year=year, month=number)
            models.QuerySet(model=apps.get_model(copy)).filter(same).delete()
        models.QuerySet(model=model).filter(pk__in=ids).delete()

    return Retention(
        model=month,
        table=table,
        date_field="worked_at",
        keep=KEPT_COPY_DAYS,
        kept=kept,
        reason=_(
            "Worked out again from the cache whenever someone opens the month, so a month nobody has opened for "
            "this long needs no copy; its customers' rows leave with it."
        ),
        remove=remove,
    )
