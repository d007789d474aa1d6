"""The portal's logs: one structured line per request and per task, JSON in production, readable in development.

django-structlog gives every request an id (`request_id`, also sent back as the `X-Request-ID` header) and
carries it into the Celery tasks the request queues, so one id follows a change from the browser into its task
and its audit entry (`AuditEntry.request_id`). The lines at INFO:

- `request_finished` (or `request_failed`, with its traceback): method, path, status, user id, duration, and
  how many Partner API calls the request made (`api_calls`, `api_failed`, `api_ms`);
- `task_succeeded` / `task_failed`: the task's name and id, the request id that queued it, its duration and
  its Partner API calls;
- warnings and errors of any library.

At DEBUG also each request's start, each task's start and queueing, and each Partner API call.

What never reaches a line: tokens, secrets, passwords, cookies (values under such keys are replaced, and a
`Bearer ...` in any text too), query strings (they may hold a searched name or address), client addresses.
`tests/core/test_logs.py` greps the logs of a full run for them.

`settings.py` calls `configure()` once; `portal.core.apps` connects the receivers that start each request's and
task's call count.
"""

from __future__ import annotations

import re
import sys
import time
from typing import Any

import structlog

#: Keys whose values never reach a log line (matched anywhere in the key, case-insensitively).
SECRET_KEYS = re.compile(
    r"pass(word|wd)?|secret|token|authori[sz]ation|cookie|session|csrf|private|otp|api_?key"
)
_BEARER = re.compile(r"(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
REDACTED = "[redacted]"
#: The lines that close a request or a task: they carry its Partner API call count.
_CLOSING_EVENTS = frozenset({"request_finished", "request_failed", "task_succeeded", "task_failed"})
#: Keys kept as they are (their names look secret, their values are not).
_KEPT_KEYS = frozenset({"event", "logger", "level", "timestamp"})


def redact_text(text: str) -> str:
    """`text` with any `Bearer ...` or `Basic ...` credential replaced (also used on Sentry's events)."""
    return _BEARER.sub(r"\1 " + REDACTED, text) if _BEARER.search(text) else text


def redact(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """Replace the values of secret-looking keys, and any `Bearer ...` credential in text."""
    for key, value in list(event.items()):
        if key in _KEPT_KEYS and not isinstance(value, str):
            continue
        if key not in _KEPT_KEYS and SECRET_KEYS.search(key):
            event[key] = REDACTED
        elif isinstance(value, str):
            event[key] = redact_text(value)
    return event


def drop_query_string(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """`GET /customers/?q=...` becomes `GET /customers/`: a query may hold a searched name or address."""
    request = event.get("request")
    if isinstance(request, str) and "?" in request:
        event["request"] = request.split("?", 1)[0]
    return event


def add_api_calls(_logger: Any, _method: str, event: dict[str, Any]) -> dict[str, Any]:
    """The Partner API calls of the request or task a closing line ends (counted by partner_api)."""
    if event.get("event") in _CLOSING_EVENTS:
        from partner_api import call_tally

        tally = call_tally()
        if tally is not None:
            event["api_calls"] = tally.calls
            if tally.calls:
                event["api_failed"] = tally.failed
                event["api_ms"] = round(tally.ms, 1)
    return event


def _shared_processors() -> list:
    """Steps for every line, ours and other libraries' (`logging` records), before it is rendered."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def configure(*, json: bool, level: str) -> dict:
    """Configure structlog and return Django's LOGGING: one handler on stderr, JSON or readable text."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    if json:
        renderer: Any = [
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ]
    else:
        renderer = [structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())]
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "portal": {
                "()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": _shared_processors(),
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    add_api_calls,
                    drop_query_string,
                    redact,
                    *renderer,
                ],
            }
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "portal"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # django-axes logs every failed sign-in at INFO; they are recorded for the Sign-ins page instead.
            "axes": {"level": "WARNING"},
            # django-structlog's request_finished / request_failed (with the traceback) say what these say.
            "django.request": {"level": "CRITICAL"},
            "django.server": {"level": "WARNING"},
            # django-structlog's task_succeeded / task_failed say what Celery's own task lines say.
            "celery.app.trace": {"level": "WARNING"},
            "celery.worker.strategy": {"level": "WARNING"},
        },
    }


# --- Receivers (connected by portal.core.apps) -------------------------------------------------------


def request_started(sender, request, logger, log_kwargs, **kwargs) -> None:
    """A request starts its own count of Partner API calls and its clock (bind_extra_request_metadata)."""
    from partner_api import call_tally_start

    call_tally_start()
    request.portal_started = time.perf_counter()


def request_finished(sender, request, logger, response, log_kwargs, **kwargs) -> None:
    """The request's line gives its duration (bind_extra_request_finished_metadata)."""
    started = getattr(request, "portal_started", None)
    if started is not None:
        log_kwargs["duration_ms"] = round((time.perf_counter() - started) * 1000, 1)


def task_started(sender, task, logger, **kwargs) -> None:
    """A task starts its own count of Partner API calls, and its lines name it (bind_extra_task_metadata)."""
    from partner_api import call_tally_start

    call_tally_start()
    structlog.contextvars.bind_contextvars(task=task.name)


def request_id() -> str:
    """The id of the request (or of the request that queued this task), or "" outside of both."""
    return str(structlog.contextvars.get_contextvars().get("request_id") or "")


def celery_setup_logging(**kwargs) -> None:
    """Celery leaves the logs to Django's LOGGING (connected to celery.signals.setup_logging)."""
    import logging.config

    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
