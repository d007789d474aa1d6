"""The schedule room imports no domain app: options adds its option orders without the page knowing options,
as subscriptions adds its own three sources (they arrive through portal.core.contrib)."""

from __future__ import annotations

from tests.core.test_layering import REPO, _lint, scaffold

CONTRACT = (
    "The portal's rooms (home, schedule, search, saved views, people, partner account) import no domain app"
)
#: The schedule room is also the bottom layer of the domain apps.
LAYERS = "The domain apps stand in layers: each imports only the rooms below it, never one above (no circle)"


def test_the_layering_contract_covers_the_schedule_room(tmp_path):
    """The project's own contracts report a schedule module that imports a domain app: the one that keeps core
    and schedule apart from the apps, and the layers of the apps (and nothing else)."""
    contracts = scaffold(tmp_path, "subscriptions.models")
    (tmp_path / "schedule" / "views.py").write_text("import subscriptions.models\n")

    done = _lint(tmp_path, REPO / "pyproject.toml")

    assert done.returncode != 0
    assert f"Contracts: {len(contracts) - 2} kept, 2 broken." in done.stdout, done.stdout[-3000:]
    report = " ".join(done.stdout.split())  # lint-imports wraps long contract names
    assert f"{CONTRACT} BROKEN" in report and f"{LAYERS} BROKEN" in report
    assert "schedule is not allowed to import subscriptions" in report
    assert "schedule.views -> subscriptions.models" in report
