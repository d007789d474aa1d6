"""Long work with progress that a person asks for and a page polls: one base for every record of it
(docs/runs.md).

`Run` is the abstract model each record of long work inherits (a change, `Operation`; a resync, `SyncRun`; a bulk
change, `Batch`; invoicing's month runs, `IssueRun` and `SendRun`): who asked and when, how many items there are,
how many are done and how many failed, when it finished or why it stopped, and its liveness (the worker on it
now, when the reaper found that worker gone, when another took it up). `one_open` makes "at most one open of a
kind" a constraint. The page polls it through `templates/components/_run_progress.html`.

Liveness: a worker works on a run inside `working_on(run)`, so its heartbeat (`portal.core.changes.liveness`, the
change pipeline's) holds the run and the run names the worker. A kind of run contributes a `RunKind` (the `runs`
contribution) and the change pipeline's periodic reaper (`portal.core.changes.reap_stale`) then finds its runs
whose worker is gone, or whose task no worker took, and queues them again (`runs_reap_stale`). A change
(`Operation`) has its own reaper in the engine, which reads an open outcome back instead of sending it again;
a resync takes over a dead run through its lock (`portal.core.sync.running`); a bulk change's rows are changes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Run(models.Model):
    """A record of long work with progress: who asked and when, how far it is, how it ended, who works on it.

    `total` items, of which `done` went through and `failed` did not; `finished_at` is set once when it ends
    (`error` says why, when it stopped on one). `worker` is the process working on it now (host:pid:random,
    `portal.core.changes.liveness`), "" while queued; `stopped_at` is when the reaper last found that worker gone
    (or the run's task never taken) and queued it again, `resumed_at` when a worker took it up after."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    total = models.PositiveIntegerField(_("total"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    worker = models.CharField(_("worker"), max_length=200, blank=True, default="")
    stopped_at = models.DateTimeField(_("stopped"), null=True, blank=True)
    resumed_at = models.DateTimeField(_("resumed"), null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def progress(self) -> int:
        """How far it is, in percent of `total` (done and failed both count as gone through)."""
        if not self.total:
            return 100 if self.is_finished else 0
        return min(100, round(100 * (self.done + self.failed) / self.total))

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None

    @property
    def waiting_for_a_worker(self) -> bool:
        """Not finished, its worker was found gone and no worker has taken it up since (it is queued again)."""
        return (
            not self.is_finished
            and self.stopped_at is not None
            and (self.resumed_at is None or self.resumed_at < self.stopped_at)
        )


def one_open(*fields: str, name: str) -> models.UniqueConstraint:
    """At most one run not finished per value of `fields` (a month, a kind): a double click or a second person
    finds the open one instead of starting another. For a run's `Meta.constraints`."""
    return models.UniqueConstraint(fields=list(fields), condition=models.Q(finished_at=None), name=name)


# --- liveness -----------------------------------------------------------------------------------------------


def held(run: Run) -> str:
    """What a worker's heartbeat holds while it works on `run` (`portal.core.changes.liveness`)."""
    return f"{run._meta.app_label}:{type(run).__name__}:{run.pk}"


@contextlib.contextmanager
def working_on(run: Run) -> Iterator[None]:
    """This worker works on `run` in the block: its heartbeat holds the run (written at once, and again while it
    lives), and the run names it (`worker`), so the reaper finds the run's worker gone when it dies. A run its
    worker was found gone from is taken up again here (`resumed_at`)."""
    from portal.core.changes import liveness  # the changes package imports the models, which import this

    worker = liveness.this_sender()
    with worker.holding(held(run)):
        runs = type(run).objects.filter(pk=run.pk, finished_at=None)
        runs.update(worker=worker.id)
        runs.filter(stopped_at__isnull=False).update(resumed_at=timezone.now())
        yield


@dataclass(frozen=True)
class RunKind:
    """A kind of run the reaper looks after (the `runs` contribution): its model (a `Run`), the task that works
    on one by pk (`task.delay(pk)`), and what to do, if anything, with what its dead worker had under way
    (`on_lost(run)`, called once the run is marked stopped, before it is queued again)."""

    model: type[Run]
    task: Any
    on_lost: Callable[[Any], None] | None = None


def runs_reap_stale() -> int:
    """Periodic (with the change reaper, `portal.core.changes.reap_stale`): every contributed kind's run not
    finished whose worker is lost (its heartbeat gone, or not holding the run, at two looks `lost_grace` apart,
    as for a change) is marked stopped and queued again, so it goes on without a person. A run queued but taken
    by no worker for `STALE_QUEUED_SECONDS` (its task lost with a killed worker) is queued again. How many were
    queued."""
    from portal.core.changes import liveness
    from portal.core.changes.engine import STALE_QUEUED_SECONDS
    from portal.core.contrib import contributions

    now = timezone.now()
    idle = now - dt.timedelta(seconds=STALE_QUEUED_SECONDS)
    queued = 0
    for kind in contributions("runs"):
        model = kind.model
        runs = list(model.objects.filter(finished_at=None))
        by_key = {held(run): run for run in runs if run.worker}
        for found in liveness.lost(SimpleNamespace(pk=key, worker=run.worker) for key, run in by_key.items()):
            run = by_key[found.pk]
            if not model.objects.filter(pk=run.pk, finished_at=None, worker=run.worker).update(
                worker="", stopped_at=now
            ):
                continue  # finished meanwhile, or another worker took it up
            if kind.on_lost is not None:
                kind.on_lost(run)
            kind.task.delay(run.pk)
            queued += 1
        for run in runs:
            if not run.worker and max(filter(None, (run.requested_at, run.stopped_at))) < idle:
                # Not taken since it was queued: its task was lost. Marked so the next look waits again.
                model.objects.filter(pk=run.pk, finished_at=None, worker="").update(stopped_at=now)
                kind.task.delay(run.pk)
                queued += 1
    return queued
