"""`make run` for people: quiet by default, a dead process named with the end of its log, the first sync
followed on one line and summed up when it ends."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.utils import timezone

from portal.core.management.commands.resync import Command
from portal.core.models import SyncRun

REPO = Path(__file__).resolve().parents[2]


def test_a_process_that_dies_at_start_is_named_with_the_last_lines_of_its_log(tmp_path):
    """The sandbox cannot start (no contract): run.py stops within seconds, names it and shows why, without
    the process's output having scrolled over the terminal."""
    env = {
        **os.environ,
        "SANDBOX_CONTRACT": str(tmp_path / "missing.yaml"),
        "SANDBOX_PORT": "8799",
        "RUN_LOG_DIR": str(tmp_path / "log"),
        "VERBOSE": "",
    }
    env.pop("PARTNER_API_CLIENT_ID", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)  # as from a shell: each process picks its own settings
    done = subprocess.run(
        [sys.executable, "scripts/run.py"], cwd=REPO, env=env, capture_output=True, text=True, timeout=90
    )
    assert done.returncode != 0
    assert "The sandbox is not running. The sandbox process exited" in done.stderr
    assert f"Last lines of {tmp_path / 'log' / 'sandbox.log'}" in done.stderr
    log = (tmp_path / "log" / "sandbox.log").read_text()
    assert "missing.yaml" in log  # the reason is in its log, and its last lines were printed
    assert log.strip().splitlines()[-1].strip() in done.stderr
    assert "Traceback" not in done.stdout  # nothing of the process reached the terminal's output


@pytest.mark.django_db
def test_following_a_finished_sync_sums_it_up_in_one_line():
    run = SyncRun.objects.create(
        kind="full", scope="all", total=200, done=200, status=SyncRun.Status.SUCCEEDED
    )
    SyncRun.objects.filter(pk=run.pk).update(finished_at=run.started_at + timezone.timedelta(seconds=52))
    out = io.StringIO()
    Command(stdout=out).follow(run.pk, timeout=5)
    assert out.getvalue() == "First sync succeeded: 200/200 customers in 52 s.\n"


@pytest.mark.django_db
def test_following_names_errors_and_a_sync_still_running():
    run = SyncRun.objects.create(
        kind="full", total=200, done=200, status=SyncRun.Status.PARTIAL, errors=[{"error": "x"}] * 3
    )
    SyncRun.objects.filter(pk=run.pk).update(finished_at=run.started_at + timezone.timedelta(seconds=61))
    out = io.StringIO()
    Command(stdout=out).follow(None, timeout=5)  # None: the latest full run (one the beat started)
    assert (
        out.getvalue()
        == "First sync finished with errors: 200/200 customers in 61 s, 3 errors (see the Sync page).\n"
    )

    SyncRun.objects.create(kind="full", total=200, done=10)
    out = io.StringIO()
    Command(stdout=out).follow(None, timeout=0)
    # A full sync has finished before: this one is a resync (`make run` again), not the first.
    assert out.getvalue() == "Resync: still running; the Sync page shows its progress.\n"


@pytest.mark.django_db
def test_a_restarts_sync_is_called_a_resync_not_the_first():
    first = SyncRun.objects.create(kind="full", total=200, done=200, status=SyncRun.Status.SUCCEEDED)
    SyncRun.objects.filter(pk=first.pk).update(finished_at=first.started_at + timezone.timedelta(seconds=50))
    again = SyncRun.objects.create(kind="full", total=200, done=200, status=SyncRun.Status.SUCCEEDED)
    SyncRun.objects.filter(pk=again.pk).update(finished_at=again.started_at + timezone.timedelta(seconds=9))
    out = io.StringIO()
    Command(stdout=out).follow(again.pk, timeout=5)
    assert out.getvalue() == "Resync succeeded: 200/200 customers in 9 s.\n"
    out = io.StringIO()
    Command(stdout=out).follow(first.pk, timeout=5)
    assert out.getvalue() == "First sync succeeded: 200/200 customers in 50 s.\n"
