"""Named business rules: each ``x-business-rules`` line of the contract is one rule with its own test.

A rule is declared once, next to the handler that enforces it, with the operation and the index of its line in
that operation's ``x-business-rules`` list (0-based)::

    CODE_MAX = rule("customer.company_name_max_40", "createCustomer", 2)

    if len(name) > 40:
        raise CODE_MAX.violation("companyName must be at most 40 characters")

``violation()`` builds an ``ApiError`` (400 INVALID_PARAMETER unless told otherwise) and stamps the rule's name
in the ``X-Sandbox-Rule`` response header, so a test can assert *which* rule refused a request. Lines that
describe behaviour rather than a refusal are declared the same way and cited in a comment where they are
implemented (``# rule: customer.patch_keeps_absent``). ``tests/sandbox/test_rule_coverage.py`` checks that
every line of every routed operation has a rule and that every rule has a test marked
``@pytest.mark.rule("<name>")``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.api.errors import ApiError

RULES: dict[str, Rule] = {}


@dataclass(frozen=True)
class Rule:
    name: str
    operation_id: str
    index: int  # position in the operation's x-business-rules list
    status: int = 400
    code: str = "INVALID_PARAMETER"

    @property
    def text(self) -> str:
        from sandbox.contract import load_contract

        return load_contract().operations[self.operation_id].business_rules[self.index]

    def violation(self, description: str, *, status: int | None = None, code: str | None = None) -> ApiError:
        return ApiError(status or self.status, code or self.code, description, rule=self.name)

    def check(self, condition: bool, description: str, **kwargs) -> None:
        """Raise the rule's violation unless ``condition`` holds."""
        if not condition:
            raise self.violation(description, **kwargs)


def rule(
    name: str, operation_id: str, index: int, *, status: int = 400, code: str = "INVALID_PARAMETER"
) -> Rule:
    existing = RULES.get(name)
    if existing and (existing.operation_id, existing.index) != (operation_id, index):
        raise ValueError(f"rule {name} declared twice for different contract lines")
    RULES[name] = Rule(name, operation_id, index, status, code)
    return RULES[name]


def rules_for(operation_id: str) -> list[Rule]:
    return sorted((r for r in RULES.values() if r.operation_id == operation_id), key=lambda r: r.index)
