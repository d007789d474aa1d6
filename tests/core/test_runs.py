"""One kind of run (docs/runs.md): every record of long work is a `portal.core.runs.Run`, every page that polls
one polls through one partial, and the reaper looks after every contributed kind."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.apps import apps
from django.template.loader import render_to_string
from django.utils import timezone

from portal.core.contrib import contributions
from portal.core.runs import Run, RunKind, one_open

ROOT = Path(__file__).resolve().parents[2]
PARTIAL = "components/_run_progress.html"


def test_every_record_of_long_work_is_a_run():
    runs = {m._meta.label for m in apps.get_models() if issubclass(m, Run)}
    assert {"core.Operation", "core.SyncRun", "core.Batch", "invoicing.IssueRun", "invoicing.SendRun"} <= runs


def test_only_the_run_partial_polls():
    """A page polls long work by including the one partial, never with its own `every Ns` trigger."""
    polling = [
        str(path.relative_to(ROOT / "templates"))
        for path in (ROOT / "templates").rglob("*.html")
        if 'hx-trigger="every' in path.read_text(encoding="utf-8")
    ]
    assert polling == [PARTIAL]


def test_progress_finished_and_waiting_for_a_worker():
    from invoicing.models import SendRun

    now = timezone.now()
    run = SendRun(year=2026, month=10, total=4, done=1, failed=1)
    assert (run.progress, run.is_finished, run.waiting_for_a_worker) == (50, False, False)
    run.stopped_at = now
    assert run.waiting_for_a_worker
    run.resumed_at = now + dt.timedelta(seconds=1)
    assert not run.waiting_for_a_worker
    run.finished_at, run.total = now, 0
    assert (run.progress, run.is_finished) == (100, True)


def test_one_open_is_a_partial_unique_constraint_on_the_unfinished():
    constraint = one_open("year", "month", name="x_one_open")
    assert constraint.fields == ("year", "month") and constraint.condition.children == [("finished_at", None)]


def test_the_partial_polls_an_open_run_and_stops_once_it_finished():
    from invoicing.models import IssueRun

    run = IssueRun(year=2026, month=10, total=2, done=1)
    context = {"id": "job", "url": "/job/", "run": run, "title": "Job"}
    open_ = render_to_string(PARTIAL, context)
    assert 'data-hx-trigger="every 2s"' in open_ and 'data-hx-target="#job"' in open_
    assert 'value="50"' in open_ and "1 of 2 done" in open_
    run.finished_at = timezone.now()
    assert "data-hx-get" not in render_to_string(PARTIAL, context)


def test_invoicing_contributes_its_runs_to_the_reaper():
    from invoicing.models import IssueRun, SendRun

    kinds = contributions("runs")
    assert all(isinstance(kind, RunKind) for kind in kinds)
    assert {kind.model for kind in kinds} >= {IssueRun, SendRun}
