"""A bounded schemathesis run over every operation of the contract against a live sandbox.

Each operation gets the contract's examples, schemathesis' coverage cases and a few generated requests (valid and
invalid data, deterministic, no shrinking). Every answer must not be a 5xx and must conform to the contract: a
documented status code, its content type and its response schema.

Generated ``domainId`` values are mostly swapped for seeded customers (and ``subscriptionId`` for one of that
customer's subscriptions) so the handlers behind the 404 are exercised too; the rest keep the generated value.
"""

from __future__ import annotations

import zlib

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from sandbox.testing import Sandbox, contract_path, start_sandbox

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

# contract_path() resolves <repo>/contract/openapi.yaml (or SANDBOX_CONTRACT), like sandbox/contract.py.
schema = schemathesis.openapi.from_path(contract_path())
schema.config.phases.update(phases=["examples", "coverage", "fuzzing"])


@pytest.fixture(scope="module")
def live_sandbox() -> Sandbox:
    # A private server: the run creates, changes and deletes customers; the rate limit is high so no 429 appears.
    server = start_sandbox(seed_customers=6, seed=11, rate_limit=100_000, token_lifetime=3600)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def auth_headers(live_sandbox: Sandbox) -> dict[str, str]:
    return {"Authorization": f"Bearer {live_sandbox.token('partner')}"}


@pytest.fixture(scope="module")
def seeded(live_sandbox: Sandbox) -> dict[int, list[str]]:
    """domainId of each seeded customer -> its subscription ids (path form)."""
    client = live_sandbox.client("partner")
    response = client.get("/partners/customers", params={"count": 30})
    assert response.status_code == 200, response.text
    found = {}
    for customer in response.json()["customers"]:
        domain_id = customer["domainId"]
        subscriptions = client.get(f"/partners/customers/{domain_id}/subscriptions")
        assert subscriptions.status_code == 200, subscriptions.text
        found[domain_id] = sorted(str(s["subscriptionId"]) for s in subscriptions.json()["subscriptions"])
    assert found, "the sandbox was not seeded"
    return found


def _slot(value: object, size: int) -> int:
    return zlib.crc32(repr(value).encode("utf-8", "surrogatepass")) % size


def aim_at_seeded_data(case, seeded: dict[int, list[str]]) -> None:
    params = case.path_parameters or {}
    domain_id = params.get("domainId")
    if not isinstance(domain_id, int) or isinstance(domain_id, bool):
        return  # invalid on purpose (negative data) or no customer in the path
    domain_ids = sorted(seeded)
    slot = _slot(domain_id, len(domain_ids) + 1)
    if slot == len(domain_ids):
        return  # keep the generated, unknown customer
    params["domainId"] = domain_ids[slot]
    subscription_ids = seeded[domain_ids[slot]]
    subscription_id = params.get("subscriptionId")
    if isinstance(subscription_id, str) and subscription_ids:
        pick = _slot(subscription_id, len(subscription_ids) + 1)
        if pick < len(subscription_ids):
            params["subscriptionId"] = subscription_ids[pick]


@schema.parametrize()
@settings(
    max_examples=10,  # per operation, for the generated (fuzzing) cases
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure is reported as found
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_contract_conformance(case, live_sandbox: Sandbox, auth_headers: dict[str, str], seeded) -> None:
    aim_at_seeded_data(case, seeded)
    response = case.call_and_validate(
        base_url=live_sandbox.base_url, headers=auth_headers, checks=CHECKS, timeout=30
    )
    # These are documented, so they would pass the checks while testing nothing past the authentication.
    assert response.status_code not in (401, 403, 429), response.text
