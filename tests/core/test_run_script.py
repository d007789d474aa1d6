"""`make run` for people: quiet by default, a dead process named with the end of its log, the first sync
followed on one line and summed up when it ends."""

from __future__ import annotations

import importlib.util
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
    SyncRun.objects.filter(pk=run.pk).update(finished_at=run.requested_at + timezone.timedelta(seconds=52))
    out = io.StringIO()
    Command(stdout=out).follow(run.pk, timeout=5)
    assert out.getvalue() == "First sync succeeded: 200/200 customers in 52 s.\n"


@pytest.mark.django_db
def test_following_names_errors_and_a_sync_still_running():
    run = SyncRun.objects.create(
        kind="full", total=200, done=200, status=SyncRun.Status.PARTIAL, errors=[{"error": "x"}] * 3
    )
    SyncRun.objects.filter(pk=run.pk).update(finished_at=run.requested_at + timezone.timedelta(seconds=61))
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
    SyncRun.objects.filter(pk=first.pk).update(
        finished_at=first.requested_at + timezone.timedelta(seconds=50)
    )
    again = SyncRun.objects.create(kind="full", total=200, done=200, status=SyncRun.Status.SUCCEEDED)
    SyncRun.objects.filter(pk=again.pk).update(finished_at=again.requested_at + timezone.timedelta(seconds=9))
    out = io.StringIO()
    Command(stdout=out).follow(again.pk, timeout=5)
    assert out.getvalue() == "Resync succeeded: 200/200 customers in 9 s.\n"
    out = io.StringIO()
    Command(stdout=out).follow(first.pk, timeout=5)
    assert out.getvalue() == "First sync succeeded: 200/200 customers in 50 s.\n"


@pytest.fixture
def run_script():
    """scripts/run.py as a module (its functions, not its processes)."""
    spec = importlib.util.spec_from_file_location("run_script", REPO / "scripts" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.integration
@pytest.mark.django_db
def test_after_the_first_sync_finance_finds_the_last_invoice_at_home(
    run_script, portal_sandbox, monkeypatch, client_as
):
    """`make run` fetches billing when its first sync is done: beat would only at 06:00 or 18:00, and Finance's
    first home said the last invoice had not arrived. Its steps run here in this process (`manage.py` commands),
    against the sandbox."""
    import datetime as dt

    from django.core.management import call_command

    from billing.models import Invoice
    from billing.rules import last_closed_month
    from portal.core.access import Role
    from tests.fixtures.portal_api import pin_business_today

    today = dt.date.fromisoformat(portal_sandbox.clock()["today"])
    pin_business_today(monkeypatch, today)
    ran = []

    def step_here(name, args, env, **kwargs):
        assert args[:2] == [run_script.PY, "manage.py"]
        ran.append(name)
        call_command(*args[2:], stdout=io.StringIO())

    monkeypatch.setattr(run_script, "step", step_here)
    run_script.after_sync({}, using_sandbox=False, synced=True)  # a real Partner API: no demo owners

    page = client_as(Role.FINANCE).get("/").content.decode()
    assert "Last invoice" in page and "Not arrived" not in page
    year, month = last_closed_month(today)
    assert f"Total ¥{Invoice.objects.get(year=year, month=month).total_amount:,}" in page
    assert ran == ["billing"]


def test_a_billing_fetch_that_fails_is_said_and_the_portal_keeps_running(run_script, monkeypatch, capsys):
    def failing(name, args, env, **kwargs):
        raise SystemExit(f"{name} failed (code 1).")

    monkeypatch.setattr(run_script, "step", failing)
    run_script.after_sync({}, using_sandbox=False, synced=True)  # no SystemExit: make run goes on
    assert (
        "Billing's invoices could not be fetched; the Sync page shows why. billing failed"
        in capsys.readouterr().out
    )


def _system_packages(tmp_path: Path, *args: str) -> list[str]:
    """The Debian packages scripts/system-packages.sh asks apt-get for on a machine that has none of them (its
    commands stubbed: nothing is installed)."""
    stubs = tmp_path / "bin"
    stubs.mkdir(parents=True)
    asked = tmp_path / "asked"
    for name, body in {
        "apt-get": f'[ "$1" = install ] && echo "$@" >> {asked}; exit 0',
        "sudo": 'exec "$@"',
        "id": "echo 1000",
        "ldconfig": "exit 0",
    }.items():
        (stubs / name).write_text(f"#!/bin/bash\n{body}\n")
        (stubs / name).chmod(0o755)
    (stubs / "grep").symlink_to("/usr/bin/grep")
    env = {"PATH": str(stubs), "HOME": str(tmp_path)}
    subprocess.run(
        ["/bin/bash", "scripts/system-packages.sh", *args], cwd=REPO, env=env, check=True, timeout=30
    )
    return asked.read_text().split() if asked.exists() else []


def test_make_run_installs_the_system_packages_the_portal_runs_with(tmp_path):
    """The invoice PDFs' fonts and HarfBuzz-Subset (and msgfmt, for the translations) come with `make run` on a
    fresh machine, not only with `make test`; the test tools (Chromium, Java, npm) do not."""
    dry = subprocess.run(
        ["make", "-n", "run"], cwd=REPO, capture_output=True, text=True, timeout=60, check=True
    )
    assert "bash scripts/system-packages.sh run" in dry.stdout

    runs_with = _system_packages(tmp_path / "run", "run")
    for package in ("fonts-noto-cjk", "libharfbuzz-subset0", "libpangoft2-1.0-0", "gettext"):
        assert package in runs_with
    assert not {"default-jre-headless", "npm"} & set(runs_with)
    every = _system_packages(tmp_path / "test")
    assert {"fonts-noto-cjk", "libharfbuzz-subset0", "default-jre-headless", "npm"} <= set(every)
