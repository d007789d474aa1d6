"""Sending one operation: rate limit, token, timeouts, retries, 429, error mapping, parsing, logging.

Retry policy:
- idempotent operations (GET, PUT, DELETE) are sent again, with exponential backoff and jitter, after a
  connection error, a timeout or a 502/503/504, at most `max_retries` times;
- writes (POST, PATCH) are never sent again after a timeout or a dropped connection: the call raises
  `OutcomeUnknownError` (the change may have been applied), or `TransportError` when the connection could not
  even be opened (nothing was sent). A 5xx answer to a write is raised at once;
- any operation is sent again after 429 (the API did not process it), waiting as `rateLimit-reset` or
  `Retry-After` say, at most `constants.MAX_RATE_LIMITED_RETRIES` times;
- a 401 drops the cached token, gets a new one and sends the call once more.

An `observer` (a callable given at construction) is told the operationId and the status of every attempt, "error"
for one that got no answer: the portal counts calls and 429s per operation with it (portal/core/metrics.py). It
runs in the calling thread after each attempt; an exception it raises is logged and never fails the call.

Every answer's `rateLimit-*` headers go to the limiter (`RateLimiter.heed`): a server that allows fewer calls than
PARTNER_API_RATE_LIMIT is asked no faster than it says, and a window it says is used up is waited out.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar, overload
from urllib.parse import quote

import pydantic
import requests
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from partner_api import constants
from partner_api.auth import TokenProvider, allow_plain_http_for_loopback
from partner_api.errors import (
    OutcomeUnknownError,
    PartnerApiError,
    RateLimitedError,
    ResponseFormatError,
    ServerError,
    TransportError,
    error_class_for,
)
from partner_api.exchange import Exchange
from partner_api.models import ErrorBody
from partner_api.operations import Operation
from partner_api.ratelimit import MemoryRateLimiter, RateLimiter
from partner_api.session import PartnerSession

logger = logging.getLogger("partner_api.call")
M = TypeVar("M", bound=pydantic.BaseModel)
#: Told `(operation_id, status)` after every attempt: the HTTP status, or "error" when no answer came.
Observer = Callable[[str, int | str], None]

_sent: ContextVar[list[str] | None] = ContextVar("partner_api_sent", default=None)
_exchanges: ContextVar[list[Exchange] | None] = ContextVar("partner_api_exchanges", default=None)
_tally: ContextVar[CallTally | None] = ContextVar("partner_api_tally", default=None)


@dataclass
class CallTally:
    """The calls of one request or task, for its one summary line: attempts sent, those that failed (an error
    status or no answer), and the time spent waiting for answers."""

    calls: int = 0
    failed: int = 0
    ms: float = 0.0


def call_tally_start() -> CallTally:
    """Count from now on the calls of this thread or task (a new request or task starts a new count)."""
    tally = CallTally()
    _tally.set(tally)
    return tally


def call_tally() -> CallTally | None:
    """The count started by `call_tally_start()` in this thread or task, if any."""
    return _tally.get()


@contextmanager
def requests_sent() -> Iterator[list[str]]:
    """Collect the operationId of every request sent within the block (this thread or task only), each retry
    and each attempt that got no answer included: what a caller that accounts for its calls must count."""
    sent: list[str] = []
    token = _sent.set(sent)
    try:
        yield sent
    finally:
        _sent.reset(token)


@contextmanager
def recording_exchanges() -> Iterator[list[Exchange]]:
    seen: list[Exchange] = []
    token = _exchanges.set(seen)
    try:
        yield seen
    finally:
        _exchanges.reset(token)


class Transport:
    def __init__(
        self,
        *,
        base_url: str,
        auth: TokenProvider,
        limiter: RateLimiter | None = None,
        connect_timeout: float = constants.DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = constants.DEFAULT_READ_TIMEOUT,
        max_retries: int = constants.DEFAULT_MAX_RETRIES,
        max_rate_limited_retries: int = constants.MAX_RATE_LIMITED_RETRIES,
        session: PartnerSession | None = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[float, float], float] = random.uniform,
        observer: Observer | None = None,
    ) -> None:
        allow_plain_http_for_loopback(base_url)
        self.base_url = base_url.rstrip("/")
        self.auth = auth
        self.limiter = limiter if limiter is not None else MemoryRateLimiter()
        self.max_retries = max_retries
        self.max_rate_limited_retries = max_rate_limited_retries
        self.session = session or PartnerSession(timeout=(connect_timeout, read_timeout))
        self._sleep = sleep
        self._jitter = jitter
        self.observer = observer

    def close(self) -> None:
        self.session.close()

    def url_for(self, operation: Operation, path_params: Mapping[str, Any]) -> str:
        encoded = {name: quote(str(value), safe="") for name, value in path_params.items()}
        return self.base_url + operation.path.format(**encoded)

    @overload
    def call(
        self,
        operation: Operation,
        *,
        path_params: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        model: type[M],
    ) -> M: ...

    @overload
    def call(
        self,
        operation: Operation,
        *,
        path_params: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        model: None = None,
    ) -> requests.Response: ...

    def call(
        self,
        operation: Operation,
        *,
        path_params: Mapping[str, Any] | None = None,
        query: Mapping[str, Any] | None = None,
        body: Mapping[str, Any] | None = None,
        model: type[M] | None = None,
    ) -> M | requests.Response:
        """Send `operation`; return the parsed `model`, or the raw response when `model` is None."""
        url = self.url_for(operation, path_params or {})
        params = {k: v for k, v in (query or {}).items() if v is not None}
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        op_id = operation.operation_id
        attempt = retries = limited = 0
        refreshed = False
        while True:
            attempt += 1
            self.limiter.acquire(op_id)
            token = self.auth.access_token()
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            if data is not None:
                headers["Content-Type"] = "application/json; charset=UTF-8"
            started = time.perf_counter()
            if (sent := _sent.get()) is not None:
                sent.append(op_id)
            if (exchanges := _exchanges.get()) is not None:
                exchanges.append(Exchange(op_id, sent=body))
            try:
                response = self.session.request(
                    operation.method, url, params=params, data=data, headers=headers
                )
            except requests.RequestException as exc:
                self._log(operation, "error", started, attempt, error=type(exc).__name__)
                unsent = not_sent(exc)
                if operation.idempotent and retries < self.max_retries:
                    retries += 1
                    self._sleep(self._backoff(retries))
                    continue
                raise transport_error(operation, exc, unsent) from exc
            status = response.status_code
            self._log(operation, status, started, attempt)
            self.limiter.heed(op_id, **_rate_limit_headers(response))
            if exchanges is not None:
                exchanges[-1].status = status

            if 200 <= status < 300:
                return self._parse(operation, response, model) if model is not None else response
            if status == 401 and not refreshed:
                refreshed = True
                self.auth.invalidate(token)
                continue
            if status == 429 and limited < self.max_rate_limited_retries:
                wait = _retry_after(response, default=float(2**limited))
                if wait <= constants.MAX_RATE_LIMITED_WAIT_SECONDS:
                    limited += 1
                    self._sleep(wait)
                    continue
            if status in constants.RETRYABLE_STATUSES and operation.idempotent and retries < self.max_retries:
                retries += 1
                self._sleep(self._backoff(retries))
                continue
            raise http_error(operation, response)

    # -- helpers -------------------------------------------------------------------------------------------

    def _backoff(self, retry: int) -> float:
        ceiling = min(
            constants.RETRY_BACKOFF_MAX_SECONDS, constants.RETRY_BACKOFF_BASE_SECONDS * 2.0 ** (retry - 1)
        )
        return ceiling / 2 + self._jitter(0.0, ceiling / 2)

    def _parse(self, operation: Operation, response: requests.Response, model: type[M]) -> M:
        try:
            return model.model_validate_json(response.content)
        except pydantic.ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
                for err in exc.errors(include_input=False, include_url=False)[:5]
            )
            raise ResponseFormatError(
                f"The answer of {operation.operation_id} does not match the contract ({problems}). "
                + ResponseFormatError.hint,
                operation_id=operation.operation_id,
                status=response.status_code,
            ) from None

    def _log(
        self, operation: Operation, status: int | str, started: float, attempt: int, **extra: Any
    ) -> None:
        duration_ms = (time.perf_counter() - started) * 1000
        tally = _tally.get()
        if tally is not None:
            tally.calls += 1
            tally.failed += not isinstance(status, int) or status >= 400
            tally.ms += duration_ms
        if self.observer is not None:
            try:
                self.observer(operation.operation_id, status)
            except Exception as exc:  # counting must never fail a call (a write may already be applied)
                logger.warning("partner_api observer failed: %s", type(exc).__name__)
        # Each call at DEBUG; the request's or task's line gives the count at INFO (portal/logs.py).
        logger.debug(
            "partner_api call %s %s status=%s duration_ms=%.1f attempt=%d",
            operation.operation_id,
            operation.method,
            status,
            duration_ms,
            attempt,
            extra={
                "operation_id": operation.operation_id,
                "method": operation.method,
                "status": status,
                "duration_ms": round(duration_ms, 1),
                "attempt": attempt,
                **extra,
            },
        )


def http_error(operation: Operation, response: requests.Response) -> PartnerApiError:
    """The error of an HTTP error answer to `operation`: a write answered 500, 502 or 504 may have been applied
    (outcome unknown), 503 means it was not processed."""
    status = response.status_code
    try:
        body = ErrorBody.model_validate_json(response.content)
    except pydantic.ValidationError:
        body = ErrorBody()
    cls = error_class_for(status)
    kwargs: dict[str, Any] = {
        "operation_id": operation.operation_id,
        "status": status,
        "code": body.code,
        "description": body.description,
    }
    if cls is RateLimitedError:
        kwargs["retry_after"] = _retry_after(response, default=60.0)
    if cls is ServerError and not operation.idempotent:
        # A write answered 500/502/504 may have been applied; 503 means it was not processed.
        kwargs["outcome_unknown"] = status != 503
        kwargs["retryable"] = status == 503
        if status != 503:
            return cls(
                f"{operation.operation_id} failed with HTTP {status}"
                f"{' (' + body.code + ')' if body.code else ''}. " + OutcomeUnknownError.hint,
                **kwargs,
            )
    return cls(**kwargs)


def transport_error(operation: Operation, exc: Exception, not_sent: bool) -> PartnerApiError:
    """The error of `operation` that got no answer: a write sent and unanswered has an unknown outcome."""
    what = "timed out" if isinstance(exc, requests.Timeout) else "lost its connection"
    if not operation.idempotent and not not_sent:
        return OutcomeUnknownError(
            f"{operation.operation_id} {what} after it was sent. " + OutcomeUnknownError.hint,
            operation_id=operation.operation_id,
        )
    return TransportError(
        f"{operation.operation_id} {what} ({type(exc).__name__}). " + TransportError.hint,
        operation_id=operation.operation_id,
    )


def not_sent(exc: BaseException) -> bool:
    """True when the connection could not be opened, so the request never left this machine."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, NewConnectionError | ConnectTimeoutError):
            return True
        reason = getattr(current, "reason", None)
        if isinstance(reason, NewConnectionError | ConnectTimeoutError):
            return True
        args = getattr(current, "args", ())
        nested = args[0] if args and isinstance(args[0], BaseException) else None
        current = nested or current.__cause__ or current.__context__
    return False


def _rate_limit_headers(response: requests.Response) -> dict[str, Any]:
    """The `rateLimit-limit`, `-remaining` and `-reset` headers of an answer (None where absent or not a
    number), for the limiter to heed."""

    def number(name: str) -> int | None:
        try:
            return int(response.headers[name])
        except (KeyError, ValueError):
            return None

    return {
        "limit": number("rateLimit-limit"),
        "remaining": number("rateLimit-remaining"),
        "reset": number("rateLimit-reset"),
    }


def _retry_after(response: requests.Response, *, default: float) -> float:
    """Seconds to wait after a 429: `rateLimit-reset`, else `Retry-After` (seconds or HTTP date)."""
    for header in ("rateLimit-reset", "Retry-After"):
        value = response.headers.get(header)
        if not value:
            continue
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError, IndexError):
            continue
    return default
