"""The layering of ARCHITECTURE.md is executable: `lint-imports` checks the contracts in pyproject.toml.

The first test runs them over the code. The second proves they bite: the same contracts, run over a small tree
that commits each forbidden import once, report every one of them broken.
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(cwd: Path, config: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(config), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
        timeout=120,
    )


def test_the_code_keeps_every_layering_contract():
    done = _lint(REPO, REPO / "pyproject.toml")
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


#: One forbidden import per contract, as (module path, the line that breaks it).
VIOLATIONS = {
    "partner_api/client.py": "import django",
    "sandbox/server.py": "import partner_api.client",
    "sandbox/api/options/__init__.py": "import sandbox.api.subscriptions",
    "portal/core/views.py": "import customers.models",
    "accounts/views.py": "import billing",
    "customers/worklist.py": "import options",
    "customers/views.py": "import partner_api.client",
    "subscriptions/selectors.py": "import subscriptions.services",
    "customers/forms.py": "import customers.services",
    "invoicing/views.py": "import billing.models",
}


def scaffold(root: Path, *modules: str) -> list[dict]:
    """A small tree of empty packages with every root package and every module a contract names (lint-imports
    needs them all), plus `modules`; returns the contracts."""
    linter = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    # Forbidden contracts name source and forbidden modules, independence contracts their modules.
    keys = ("source_modules", "forbidden_modules", "modules")
    named = [m for c in linter["contracts"] for key in keys for m in c.get(key, []) if "*" not in m]
    for module in [*linter["root_packages"], *named, *modules]:
        parts = module.split(".")
        for depth in range(1, len(parts) + 1):
            package = root.joinpath(*parts[:depth])
            package.mkdir(exist_ok=True)
            (package / "__init__.py").touch()
    return linter["contracts"]


def test_the_contracts_catch_each_forbidden_import(tmp_path):
    contracts = scaffold(
        tmp_path, "portal.core", "customers.models", "customers.services", "subscriptions.services"
    )
    assert len(contracts) == len(VIOLATIONS)
    for name, line in VIOLATIONS.items():
        module = tmp_path / name
        module.parent.mkdir(parents=True, exist_ok=True)
        module.write_text(line + "\n")
    # The same contracts, word for word: the project's own pyproject.toml is the configuration.
    done = _lint(tmp_path, REPO / "pyproject.toml")
    assert done.returncode != 0
    assert f"Contracts: 0 kept, {len(contracts)} broken." in done.stdout, done.stdout[-3000:]
