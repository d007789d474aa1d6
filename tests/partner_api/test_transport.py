"""Error mapping, retry policy, 429 handling, 401 refresh and logging, at the wire."""

from __future__ import annotations

import json
import logging
from datetime import date

import pytest
import requests

from partner_api import (
    AuthenticationError,
    ForbiddenError,
    NoRateLimiter,
    NotFoundError,
    OutcomeUnknownError,
    PartnerApiError,
    PartnerClient,
    RateLimitedError,
    RejectedError,
    ResponseFormatError,
    ServerError,
    TransportError,
    call_tally,
    call_tally_start,
)
from partner_api.transport import Transport
from tests.partner_api.conftest import BASE_URL

SUBS = BASE_URL + "/partners/customers/10000001/subscriptions"
PRE_ORDERS = SUBS + "/pre-orders"
PRE_ORDER_BODY = {"subscriptionPreOrders": [{"preOrderId": 1, "applyDate": "2026-12-01", "productId": "STD"}]}


def create_pre_order(client):
    return client.create_subscription_pre_order(
        domain_id=10000001, apply_date=date(2026, 12, 1), product_id="STD"
    )


def error(code: str, description: str = "") -> dict:
    return {"code": code, "description": description or code.lower()}


@pytest.mark.parametrize(
    ("status", "code", "cls", "retryable"),
    [
        (400, "INVALID_PARAMETER", RejectedError, False),
        (409, "ALREADY_EXIST", RejectedError, False),
        (410, "DELETED", RejectedError, False),
        (401, "UNAUTHORIZED", AuthenticationError, False),
        (403, "FORBIDDEN", ForbiddenError, False),
        (404, "DOMAIN_NOT_EXIST", NotFoundError, False),
        (429, "TOO_MANY_REQUESTS", RateLimitedError, True),
        (500, "INTERNAL_SERVER_ERROR", ServerError, True),
        (503, "SERVICE_UNAVAILABLE", ServerError, True),
    ],
)
def test_error_mapping_per_status(client, rsps, status, code, cls, retryable):
    rsps.add("GET", SUBS, json=error(code, "Human readable reason"), status=status)

    with pytest.raises(cls) as caught:
        client.list_subscriptions(domain_id=10000001)

    exc = caught.value
    assert isinstance(exc, PartnerApiError)
    assert (exc.status, exc.code, exc.description) == (status, code, "Human readable reason")
    assert exc.operation_id == "listSubscriptions"
    assert exc.retryable is retryable
    assert "listSubscriptions" in str(exc) and code in str(exc)


def test_error_without_json_body(client, rsps):
    rsps.add("POST", PRE_ORDERS, body="<html>Bad gateway</html>", status=400)
    with pytest.raises(RejectedError) as caught:
        create_pre_order(client)
    assert caught.value.code == "" and caught.value.status == 400


def test_business_rule_rejection_is_not_retried(client, rsps, sleeps):
    rsps.add("POST", PRE_ORDERS, json=error("INVALID_PARAMETER", "applyDate out of range"), status=400)
    with pytest.raises(RejectedError, match="applyDate out of range"):
        create_pre_order(client)
    assert len(rsps.calls) == 1 and sleeps == []


def test_response_not_matching_the_contract(client, rsps):
    rsps.add("GET", SUBS, json={"subscriptions": [{"domainId": "not a number"}]})
    with pytest.raises(ResponseFormatError) as caught:
        client.list_subscriptions(domain_id=10000001)
    assert "listSubscriptions" in str(caught.value)
    assert "not a number" not in str(caught.value)  # values (possibly personal data) are not echoed


# --- retries -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [502, 503, 504])
def test_get_is_retried_on_gateway_errors(client, rsps, sleeps, status):
    rsps.add("GET", SUBS, json=error("SERVICE_UNAVAILABLE"), status=status)
    rsps.add("GET", SUBS, json=error("SERVICE_UNAVAILABLE"), status=status)
    rsps.add("GET", SUBS, json={"subscriptions": []})

    assert client.list_subscriptions(domain_id=10000001).subscriptions == []
    assert len(rsps.calls) == 3
    assert sleeps == [0.5, 1.0]  # exponential backoff (jitter fixed at its maximum in this test)


def test_get_gives_up_after_max_retries(client, rsps, sleeps):
    for _ in range(10):
        rsps.add("GET", SUBS, json=error("SERVICE_UNAVAILABLE"), status=503)
    with pytest.raises(ServerError) as caught:
        client.list_subscriptions(domain_id=10000001)
    assert len(rsps.calls) == 4  # the first attempt and 3 retries
    assert caught.value.retryable
    assert sleeps == [0.5, 1.0, 2.0]


def test_get_is_not_retried_on_500(client, rsps):
    rsps.add("GET", SUBS, json=error("INTERNAL_SERVER_ERROR"), status=500)
    with pytest.raises(ServerError):
        client.list_subscriptions(domain_id=10000001)
    assert len(rsps.calls) == 1


def test_put_and_delete_are_retried(client, rsps):
    rsps.add("DELETE", SUBS + "/1021", status=503)
    rsps.add("DELETE", SUBS + "/1021", status=204)
    client.cancel_subscription(domain_id=10000001, subscription_id=1021)
    assert len(rsps.calls) == 2


@pytest.mark.parametrize("status", [502, 503, 504])
def test_post_is_never_resent_on_5xx(client, rsps, sleeps, status):
    rsps.add("POST", PRE_ORDERS, json=error("SERVICE_UNAVAILABLE"), status=status)
    rsps.add("POST", PRE_ORDERS, json=PRE_ORDER_BODY, status=201)

    with pytest.raises(ServerError) as caught:
        create_pre_order(client)

    assert len(rsps.calls) == 1
    # 503: the API did not process it; 502/504: a gateway failed, the write may have been applied.
    assert caught.value.outcome_unknown is (status != 503)
    assert caught.value.retryable is (status == 503)


def test_post_timeout_raises_outcome_unknown_and_is_not_resent(client, rsps, sleeps):
    rsps.add("POST", PRE_ORDERS, body=requests.ReadTimeout("read timed out"))
    rsps.add("POST", PRE_ORDERS, json=PRE_ORDER_BODY, status=201)

    with pytest.raises(OutcomeUnknownError) as caught:
        create_pre_order(client)

    assert len(rsps.calls) == 1 and sleeps == []
    assert caught.value.outcome_unknown and not caught.value.retryable
    assert "read the object back" in str(caught.value)


def test_patch_dropped_connection_raises_outcome_unknown(client, rsps):
    url = PRE_ORDERS + "/7"
    rsps.add("PATCH", url, body=requests.ConnectionError("Connection aborted: RemoteDisconnected"))
    with pytest.raises(OutcomeUnknownError):
        client.update_subscription_pre_order(domain_id=10000001, pre_order_id=7, apply_date=date(2026, 12, 2))
    assert len(rsps.calls) == 1


def test_post_that_could_not_connect_is_a_plain_transport_error(client, rsps):
    rsps.add("POST", PRE_ORDERS, body=requests.ConnectTimeout("connect timed out"))
    with pytest.raises(TransportError) as caught:
        create_pre_order(client)
    assert not isinstance(caught.value, OutcomeUnknownError)
    assert caught.value.retryable and len(rsps.calls) == 1


def test_get_timeout_is_retried(client, rsps, sleeps):
    rsps.add("GET", SUBS, body=requests.ReadTimeout("read timed out"))
    rsps.add("GET", SUBS, body=requests.ConnectionError("reset"))
    rsps.add("GET", SUBS, json={"subscriptions": []})
    client.list_subscriptions(domain_id=10000001)
    assert len(rsps.calls) == 3 and len(sleeps) == 2


def test_get_timeouts_exhausted(client, rsps):
    for _ in range(5):
        rsps.add("GET", SUBS, body=requests.ReadTimeout("read timed out"))
    with pytest.raises(TransportError) as caught:
        client.list_subscriptions(domain_id=10000001)
    assert not isinstance(caught.value, OutcomeUnknownError)
    assert len(rsps.calls) == 4


def test_every_request_has_connect_and_read_timeouts(client, rsps):
    rsps.add("GET", SUBS, json={"subscriptions": []})
    client.list_subscriptions(domain_id=10000001)
    assert rsps.calls[0].request.req_kwargs["timeout"] == (5.0, 30.0)


# --- 429 -----------------------------------------------------------------------------------------------


def test_429_waits_for_rate_limit_reset_then_retries(client, rsps, sleeps):
    rsps.add("GET", SUBS, json=error("TOO_MANY_REQUESTS"), status=429, headers={"rateLimit-reset": "7"})
    rsps.add("GET", SUBS, json={"subscriptions": []})
    client.list_subscriptions(domain_id=10000001)
    assert sleeps == [7.0] and len(rsps.calls) == 2


def test_429_honours_retry_after(client, rsps, sleeps):
    rsps.add("GET", SUBS, json=error("TOO_MANY_REQUESTS"), status=429, headers={"Retry-After": "3"})
    rsps.add("GET", SUBS, json={"subscriptions": []})
    client.list_subscriptions(domain_id=10000001)
    assert sleeps == [3.0]


def test_429_on_a_write_is_resent_because_it_was_not_processed(client, rsps, sleeps):
    rsps.add(
        "POST", PRE_ORDERS, json=error("TOO_MANY_REQUESTS"), status=429, headers={"rateLimit-reset": "1"}
    )
    rsps.add("POST", PRE_ORDERS, json=PRE_ORDER_BODY, status=201)
    create_pre_order(client)
    assert len(rsps.calls) == 2


def test_429_retries_are_bounded(client, rsps, sleeps):
    for _ in range(10):
        rsps.add("GET", SUBS, json=error("TOO_MANY_REQUESTS"), status=429, headers={"rateLimit-reset": "2"})
    with pytest.raises(RateLimitedError) as caught:
        client.list_subscriptions(domain_id=10000001)
    assert len(rsps.calls) == 4 and sleeps == [2.0, 2.0, 2.0]
    assert caught.value.retryable and caught.value.retry_after == 2.0


def test_429_with_a_long_wait_is_raised_at_once(client, rsps, sleeps):
    rsps.add("GET", SUBS, json=error("TOO_MANY_REQUESTS"), status=429, headers={"Retry-After": "3600"})
    with pytest.raises(RateLimitedError):
        client.list_subscriptions(domain_id=10000001)
    assert sleeps == [] and len(rsps.calls) == 1


# --- observer ------------------------------------------------------------------------------------------


def observed_client(auth, sleeps, observer) -> PartnerClient:
    transport = Transport(
        base_url=BASE_URL, auth=auth, limiter=NoRateLimiter(), sleep=sleeps, observer=observer
    )
    return PartnerClient(base_url=BASE_URL, auth=auth, transport=transport)


def test_the_observer_is_told_every_attempt_with_its_status(auth, rsps, sleeps):
    seen: list[tuple[str, int | str]] = []
    client = observed_client(auth, sleeps, lambda op, status: seen.append((op, status)))
    rsps.add("GET", SUBS, body=requests.ConnectionError("reset"))
    rsps.add("GET", SUBS, json=error("TOO_MANY_REQUESTS"), status=429, headers={"rateLimit-reset": "1"})
    rsps.add("GET", SUBS, json={"subscriptions": []})
    client.list_subscriptions(domain_id=10000001)
    assert seen == [("listSubscriptions", "error"), ("listSubscriptions", 429), ("listSubscriptions", 200)]


def test_an_observer_that_fails_never_fails_the_call(auth, rsps, sleeps, caplog):
    def broken(operation_id: str, status: int | str) -> None:
        raise ConnectionError("the counter's store is down")

    client = observed_client(auth, sleeps, broken)
    rsps.add("POST", PRE_ORDERS, json=PRE_ORDER_BODY, status=201)
    assert create_pre_order(client).subscription_pre_orders[0].pre_order_id == 1
    assert len(rsps.calls) == 1  # the write was not sent again
    assert "observer failed: ConnectionError" in caplog.text


# --- 401 -----------------------------------------------------------------------------------------------


def test_401_gets_a_new_token_and_retries_once(client, rsps, auth):
    rsps.add("POST", PRE_ORDERS, json=error("UNAUTHORIZED"), status=401)
    rsps.add("POST", PRE_ORDERS, json=PRE_ORDER_BODY, status=201)

    create_pre_order(client)

    assert auth.invalidated == ["access-token-1"]
    assert [c.request.headers["Authorization"] for c in rsps.calls] == [
        "Bearer access-token-1",
        "Bearer access-token-2",
    ]


def test_a_second_401_is_raised(client, rsps, auth):
    rsps.add("GET", SUBS, json=error("UNAUTHORIZED"), status=401)
    rsps.add("GET", SUBS, json=error("UNAUTHORIZED"), status=401)
    rsps.add("GET", SUBS, json={"subscriptions": []})
    with pytest.raises(AuthenticationError, match="check the client id"):
        client.list_subscriptions(domain_id=10000001)
    assert len(rsps.calls) == 2


# --- logs ----------------------------------------------------------------------------------------------


def test_one_structured_log_per_attempt_without_secrets(client, rsps, caplog):
    rsps.add("GET", SUBS, status=503)
    rsps.add("GET", SUBS, json={"subscriptions": []})
    with caplog.at_level(logging.DEBUG):
        client.list_subscriptions(domain_id=10000001)

    calls = [r for r in caplog.records if r.name == "partner_api.call"]
    assert [(r.operation_id, r.status, r.attempt) for r in calls] == [
        ("listSubscriptions", 503, 1),
        ("listSubscriptions", 200, 2),
    ]
    assert all(isinstance(r.duration_ms, float) for r in calls)
    text = caplog.text
    assert "access-token" not in text and "Bearer" not in text
    assert "10000001" not in text  # no URLs, ids or bodies in the call log


def test_a_tally_counts_every_attempt_of_this_context_and_its_failures(client, rsps):
    """What one request's or task's log line summarises (portal/logs.py): each attempt, retries included."""
    tally = call_tally_start()
    rsps.add("GET", SUBS, status=503)
    rsps.add("GET", SUBS, json={"subscriptions": []})
    client.list_subscriptions(domain_id=10000001)
    assert (tally.calls, tally.failed) == (2, 1) and tally.ms > 0
    assert call_tally() is tally
    fresh = call_tally_start()
    assert fresh.calls == 0 and call_tally() is fresh


def test_an_exchange_returns_the_body_the_client_sent_and_the_status_that_came_back(client, rsps):
    rsps.add("POST", PRE_ORDERS, json=PRE_ORDER_BODY, status=201)
    rsps.add("DELETE", SUBS + "/1021", status=503)
    rsps.add("DELETE", SUBS + "/1021", status=204)
    created = client.exchange(create_pre_order)
    assert created.status == 201 and created.operation_id == "createSubscriptionPreOrder"
    assert created.sent == json.loads(rsps.calls[0].request.body)  # exactly the body on the wire
    assert created.reply.subscription_pre_orders
    cancelled = client.exchange(lambda c: c.cancel_subscription(domain_id=10000001, subscription_id=1021))
    assert cancelled.status == 204 and cancelled.sent is None  # the retried 503 was not the outcome


def test_a_failed_exchange_carries_what_was_sent(client, rsps):
    rsps.add("POST", PRE_ORDERS, json={"code": "INVALID_PARAMETER", "description": "applyDate"}, status=400)
    with pytest.raises(RejectedError) as refused:
        client.exchange(create_pre_order)
    assert refused.value.exchange.status == 400
    assert refused.value.exchange.sent == json.loads(rsps.calls[0].request.body)


def test_a_proxy_and_a_ca_bundle_set_in_the_environment_still_carry_every_call(monkeypatch):
    """The session reads the environment once per host, not once per call: what it finds there still applies
    to every call, a host named in NO_PROXY still goes direct, and a call's own proxies still win."""
    from partner_api.session import PartnerSession

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "direct.example")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/partner-bundle.pem")
    session = PartnerSession(timeout=(1, 1))
    url = "https://apis.worksmobile.com/partner/v1.0/partners/customers"
    for _ in range(2):
        settings = session.merge_environment_settings(url, {}, None, None, None)
        assert settings["proxies"]["https"] == "http://proxy.example:3128"
        assert settings["verify"] == "/etc/ssl/partner-bundle.pem"
    direct = session.merge_environment_settings("https://direct.example/v1.0/x", {}, None, None, None)
    assert "https" not in direct["proxies"]
    own = {"https": "http://other.example:8080"}
    assert session.merge_environment_settings(url, own, None, None, None)["proxies"]["https"] == own["https"]
