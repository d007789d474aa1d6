"""Error tracking (portal/sentry.py): what reaches Sentry is what reaches a log line, checked on built events and
on an event sentry-sdk itself makes from an exception, caught by a transport that keeps it (no network)."""

from __future__ import annotations

import json
import secrets

import pytest

from portal import logs, sentry

SECRETS = ("s3cr3t-pass", "tok-abc123", "eyJhbGciOi.payload.sig", "csrf-xyz", "sess-42", "dXNlcjpwYXNz")


def built_event() -> dict:
    return {
        "event_id": "0" * 32,
        "level": "error",
        "request": {
            "url": "https://portal.example.com/customers/?q=Tanaka%20Corp",
            "method": "POST",
            "query_string": "q=Tanaka%20Corp",
            "headers": {
                "Authorization": "Bearer eyJhbGciOi.payload.sig",
                "Cookie": "sessionid=sess-42",
                "X-CSRFToken": "csrf-xyz",
                "User-Agent": "Mozilla/5.0",
            },
            "cookies": {"sessionid": "sess-42"},
            "data": {"password": "s3cr3t-pass", "company_name": "Tanaka Corp"},
            "env": {"REMOTE_ADDR": "203.0.113.9"},
        },
        "user": {"id": "7", "username": "aiko", "email": "aiko@example.com", "ip_address": "203.0.113.9"},
        "extra": {"client_secret": "tok-abc123", "note": "called with Basic dXNlcjpwYXNz"},
        "breadcrumbs": {
            "values": [
                {"message": "Authorization: Bearer eyJhbGciOi.payload.sig", "data": {"access_token": "x"}}
            ]
        },
        "exception": {
            "values": [
                {
                    "type": "RuntimeError",
                    "value": "refused: Bearer eyJhbGciOi.payload.sig",
                    "stacktrace": {"frames": [{"function": "send", "vars": {"refresh_token": "tok-abc123"}}]},
                }
            ]
        },
    }


def test_a_built_event_leaves_with_no_secret_query_body_cookie_or_address():
    event = sentry.scrub(built_event(), None)
    text = json.dumps(event)
    for secret in (*SECRETS, "Tanaka", "203.0.113.9", "aiko"):
        assert secret not in text, secret
    request = event["request"]
    assert request["url"] == "https://portal.example.com/customers/"
    assert request["headers"]["Authorization"] == logs.REDACTED
    assert request["headers"]["User-Agent"] == "Mozilla/5.0"  # what is not secret stays
    assert not {"query_string", "data", "cookies", "env"} & set(request)
    assert event["user"] == {"id": "7"}
    assert event["exception"]["values"][0]["value"] == f"refused: Bearer {logs.REDACTED}"
    assert event["exception"]["values"][0]["type"] == "RuntimeError"
    assert event["level"] == "error"


def test_the_keys_scrubbed_are_the_logs_own():
    """One list: a key the logs redact is scrubbed from an event, whatever its case."""
    for key in ("password", "PARTNER_API_CLIENT_SECRET", "Set-Cookie", "otp_code", "api_key", "private_key"):
        assert logs.SECRET_KEYS.search(key.lower()), key
        assert sentry.scrub({"extra": {key: "v"}})["extra"][key] == logs.REDACTED


@pytest.fixture
def sentry_events():
    """sentry-sdk on, as settings.py turns it on, its envelopes kept here instead of sent."""
    import sentry_sdk
    from sentry_sdk.transport import Transport

    kept: list[dict] = []

    class Keeping(Transport):
        def capture_envelope(self, envelope):
            kept.extend(item.payload.json for item in envelope.items if item.type == "event")

    sentry.init(dsn="https://public@sentry.invalid/1", environment="test", transport=Keeping)
    yield kept
    sentry_sdk.init()  # off again: no DSN


def test_an_exception_captured_by_sentry_sdk_is_scrubbed_before_it_leaves(sentry_events):
    import sentry_sdk

    assert sentry_sdk.get_client().options["before_send"] is sentry.scrub
    # Made at run time, so that the source lines sent as the frames' context do not hold them.
    password, token, bearer = (secrets.token_hex(8) for _ in range(3))
    sentry_sdk.add_breadcrumb(message="token refreshed", data={"access_token": token})
    try:
        raise RuntimeError(f"refused: Bearer {bearer}")
    except RuntimeError:
        sentry_sdk.capture_exception()
    sentry_sdk.flush()
    assert len(sentry_events) == 1
    text = json.dumps(sentry_events[0])
    assert "RuntimeError" in text and "refused: Bearer" in text
    for secret in (password, token, bearer):
        assert secret not in text, secret
