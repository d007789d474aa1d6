"""Optional error tracking by Sentry: on when SENTRY_DSN is set (settings.py calls `init`), off otherwise.

Web processes and Celery workers both read the settings, so both report (sentry-sdk's Django and Celery
integrations turn themselves on). What reaches Sentry is what reaches a log line (portal/logs.py), no more:
`scrub` runs on every event and breadcrumb before it leaves the process and replaces the values of the same
secret-looking keys the logs redact (`logs.SECRET_KEYS`) and any `Bearer`/`Basic` credential in text; it drops
query strings, request bodies, cookies and client addresses, and keeps only the id of the user. Local variables
of stack frames are never sent.
"""

from __future__ import annotations

from typing import Any

from portal import logs

#: Keys of an event whose values are the event's own structure, never a secret (matched names kept as they are).
_KEPT_KEYS = frozenset({"type", "level", "logger", "timestamp", "event_id"})


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: logs.REDACTED
            if isinstance(key, str) and key not in _KEPT_KEYS and logs.SECRET_KEYS.search(key.lower())
            else _clean(item)
            for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        return [_clean(item) for item in value]
    if isinstance(value, str):
        return logs.redact_text(value)
    return value


def scrub(event: Any, hint: Any = None) -> Any:
    """Sentry's `before_send` (and `before_breadcrumb`): the event (a dict) as a log line would tell it."""
    event = _clean(event)
    request = event.get("request")
    if isinstance(request, dict):
        for key in ("query_string", "data", "cookies", "env"):
            request.pop(key, None)
        if isinstance(request.get("url"), str):
            request["url"] = request["url"].split("?", 1)[0]
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    return event


def init(*, dsn: str, environment: str, transport: Any = None) -> None:
    """Turn error tracking on (`transport`: where events go instead of Sentry's servers, for tests)."""
    import sentry_sdk

    sentry_sdk.init(
        transport=transport,
        dsn=dsn,
        environment=environment,
        # No user identity, request bodies or local variables of stack frames, collected at all.
        data_collection={"user_info": False, "http_bodies": [], "stack_frame_variables": False},
        before_send=scrub,
        before_breadcrumb=scrub,
    )
