"""Every x-business-rules line of every routed operation is a named rule, and every rule has a test."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.testing import REPO, contract_path

SCRIPT = """
import json, django
django.setup()
from sandbox import urls
from sandbox.api.common import operations_of
from sandbox.rules import RULES
print(json.dumps({
    "routed": sorted(operations_of(urls.api_patterns)),
    "rules": {r.name: [r.operation_id, r.index] for r in RULES.values()},
}))
"""


def _registry() -> dict:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sandbox.settings", "SANDBOX_CONTRACT": contract_path()}
    env["SANDBOX_DB"] = str(Path(os.environ.get("TMPDIR", "/tmp")) / f"sandbox-rules-{os.getpid()}.sqlite3")
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=REPO, env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def _tested_rules() -> set[str]:
    names: set[str] = set()
    for path in Path(__file__).parent.glob("test_*.py"):
        names |= set(re.findall(r'rule\("([^"]+)"\)', path.read_text(encoding="utf-8")))
    return names


DOMAIN_TAGS = {
    "customers": ("customers", "domains", "usage-status"),
    "subscriptions": ("subscriptions", "pre-orders", "reservations", "renewals"),
    "options": ("options", "option-orders"),
    "billing": ("billing",),
}


@pytest.mark.parametrize("domain", sorted(DOMAIN_TAGS))
def test_every_contract_line_of_a_routed_operation_has_a_rule_and_a_test(domain):
    from sandbox.testing import contract

    registry = _registry()
    operations = contract().operations
    routed = [op for op in registry["routed"] if operations[op].tag in DOMAIN_TAGS[domain]]
    if not routed:
        pytest.skip(f"no {domain} operation is routed yet")
    declared = {(op, index) for op, index in registry["rules"].values()}
    missing = [
        f"{op_id}[{i}]: {text}"
        for op_id in routed
        for i, text in enumerate(operations[op_id].business_rules)
        if (op_id, i) not in declared
    ]
    assert not missing, "contract lines without a rule:\n" + "\n".join(missing)
    if not list(Path(__file__).parent.glob(f"test_{domain}*.py")):
        pytest.skip(f"tests/sandbox/test_{domain}*.py not written yet")
    mine = {name for name, (op, _) in registry["rules"].items() if op in routed}
    untested = sorted(mine - _tested_rules())
    assert not untested, f"rules without a test marked @pytest.mark.rule: {untested}"


def test_customer_operations_are_all_routed():
    registry = _registry()
    from sandbox.testing import contract

    wanted = {
        o.operation_id
        for o in contract().operations.values()
        if o.tag in ("customers", "domains", "usage-status")
    }
    assert wanted <= set(registry["routed"])
    assert len(wanted) == 19
