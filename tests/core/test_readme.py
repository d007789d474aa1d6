"""The README's table of demo users says what each role may read, as the permissions the apps declare say it."""

from __future__ import annotations

import re
from pathlib import Path

from portal.core.access import ROLE_LABELS, Role, permissions

README = Path(__file__).resolve().parents[2] / "README.md"
#: The words the README uses for what each reading permission opens.
READ_WORDS = {
    "view_customers": "customers",
    "view_subscriptions": "subscriptions",
    "view_options": "options",
    "view_billing": "billing",
    "view_schedule": "scheduled changes",
    "view_activity": "activity",
    "view_sync": "sync",
    "view_invoicing": "customer invoices",
    "view_retention": "data kept",
}


def _reads_in_readme() -> dict[Role, set[str]]:
    """Role -> the areas its row of the demo users' table says it reads ("everything": all of them)."""
    found = {}
    for row in re.findall(r"^\| `\w+` \| `[^`]+` \| (.+) \|$", README.read_text(encoding="utf-8"), re.M):
        label, _colon, duties = row.partition(": ")
        role = next(r for r, text in ROLE_LABELS.items() if str(text) == label)
        reads = next((part for part in duties.split(";") if part.strip().startswith("reads ")), "")
        words = set(READ_WORDS.values()) if "everything" in reads else set()
        words |= {word for word in READ_WORDS.values() if re.search(rf"\b{word}\b", reads)}
        found[role] = words
    return found


def test_the_readme_says_what_each_role_reads():
    readable = [perm for perm in permissions() if perm.codename.startswith("view_")]
    assert {perm.codename for perm in readable} <= set(READ_WORDS), "name the new reading permission above"
    readme = _reads_in_readme()
    assert set(readme) == set(Role)
    for role in (Role.ACCOUNT_MANAGER, Role.SUPPORT, Role.FINANCE):
        held = {READ_WORDS[perm.codename] for perm in readable if role in perm.roles}
        assert readme[role] == held, role
