"""What every handler uses: the ``operation`` decorator, routing, JSON answers, pagination, lookups.

A handler is a plain function decorated with the contract's operationId::

    @operation("getCustomer")
    def get_customer(request, domainId: int):
        customer = live_customer(domainId)          # 404 NOT_FOUND when unknown
        return ok(customer_json(customer))

The decorator authenticates the bearer token, checks the scope (writes need ``partner``), counts the rate
limit, injects faults, applies what the business clock made due, and validates path/query parameters and the
JSON body against the contract's schemas (400 ``{code, description}``). Inside the handler ``request.api``
holds the parsed ``query`` (dict, typed), ``body`` (dict or None), ``today`` (business date), ``client`` and
``operation``. Raise ``ApiError`` (or a rule's ``violation()``) to answer with an error.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from jsonschema.exceptions import best_match

from sandbox import clock
from sandbox.api.errors import ApiError
from sandbox.contract import Contract, Operation, load_contract
from sandbox.models import Customer, Fault, OAuthClient, OAuthToken
from sandbox.prepared import Prepared

logger = logging.getLogger("sandbox")

JSON_CONTENT_TYPE = "application/json; charset=UTF-8"


# --- answers --------------------------------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return iso_datetime(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def ok(data: Any, status: int = 200) -> HttpResponse:
    body = json.dumps(data, ensure_ascii=False, default=_json_default, separators=(",", ":"))
    return HttpResponse(body, status=status, content_type=JSON_CONTENT_TYPE)


def created(data: Any) -> HttpResponse:
    return ok(data, status=201)


def no_content(status: int = 204) -> HttpResponse:
    return HttpResponse(status=status)


def error_response(error: ApiError) -> HttpResponse:
    response = ok({"code": error.code, "description": error.description}, status=error.status)
    if error.rule:
        response["X-Sandbox-Rule"] = error.rule
    for name, value in error.headers.items():
        response[name] = value
    return response


def iso_datetime(value: dt.datetime) -> str:
    """UTC with milliseconds, as in the contract's examples: 2021-09-01T00:00:00.000Z."""
    value = value.astimezone(dt.UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse_date(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


# --- lookups --------------------------------------------------------------------------------------------------


_LIVE_CUSTOMER = Prepared(lambda pk: Customer.objects.live().filter(pk=pk)[:1], -424242424242)


def live_customer(domain_id: int, *, for_update: bool = False) -> Customer:
    """The customer managed by the partner, or 404 NOT_FOUND (also for deleted customers)."""
    if for_update:
        found = list(Customer.objects.live().select_for_update().filter(pk=domain_id)[:1])
    else:
        found = _LIVE_CUSTOMER.instances(domain_id)
    if not found:
        raise ApiError(404, "NOT_FOUND", f"domainId {domain_id} is not a customer of this partner")
    return found[0]


# --- pagination -----------------------------------------------------------------------------------------------


def encode_cursor(payload: dict[str, Any]) -> str:
    """Cursors are standard Base64 (with '=' padding), like the contract's examples."""
    raw = json.dumps(payload, separators=(",", ":"), default=_json_default).encode()
    return base64.b64encode(raw).decode("ascii")


def decode_cursor(cursor: str, *, scope: str) -> dict[str, Any]:
    try:
        payload = json.loads(base64.b64decode(cursor.encode("ascii"), validate=True))
    except (ValueError, binascii.Error, UnicodeEncodeError):
        raise ApiError(400, "INVALID_PARAMETER", "cursor is not a valid cursor") from None
    if not isinstance(payload, dict) or payload.get("s") != scope or not isinstance(payload.get("k"), list):
        raise ApiError(400, "INVALID_PARAMETER", "cursor does not belong to this query")
    return payload


def keyset_page(
    queryset: QuerySet,
    *,
    keys: Sequence[str],
    count: int,
    cursor: str | None,
    scope: str,
    descending: bool = False,
    key_of: Callable[[Any], list[Any]] | None = None,
) -> tuple[list[Any], str | None]:
    """One page of ``queryset`` ordered by ``keys`` (the last key must be unique), and the next cursor.

    ``scope`` names the query (filters included) so that a cursor of another query is refused with 400.
    The next cursor is None on the last page (the answer then omits ``nextCursor``).
    """
    order = [f"-{k}" if descending else k for k in keys]
    qs = queryset.order_by(*order)
    if cursor:
        after = decode_cursor(cursor, scope=scope)["k"]
        if len(after) != len(keys):
            raise ApiError(400, "INVALID_PARAMETER", "cursor does not belong to this query")
        op = "lt" if descending else "gt"
        condition = Q()
        for i, key in enumerate(keys):
            term = Q(**{f"{key}__{op}": after[i]})
            for prev_key, prev_value in zip(keys[:i], after[:i], strict=False):
                term &= Q(**{prev_key: prev_value})
            condition |= term
        qs = qs.filter(condition)
    rows = list(qs[: count + 1])
    if len(rows) <= count:
        return rows, None
    rows = rows[:count]
    last = rows[-1]
    values = key_of(last) if key_of else [getattr(last, k) for k in keys]
    return rows, encode_cursor({"s": scope, "k": values})


def page_scope(*parts: Any) -> str:
    """A short fingerprint of a query for ``keyset_page(scope=...)``."""
    return hashlib.sha1(json.dumps(parts, default=str).encode()).hexdigest()[:12]


def with_meta(payload: dict[str, Any], next_cursor: str | None) -> dict[str, Any]:
    payload["responseMetaData"] = {"nextCursor": next_cursor} if next_cursor else {}
    return payload


# --- auth -----------------------------------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Bearer:
    """What a request's access token grants: its app (the registered client) and scope, until it expires."""

    client_pk: int
    client_id: str
    scope: str
    expires_at: dt.datetime


_ACCESS_TOKEN = Prepared(
    lambda digest: OAuthToken.objects.filter(
        token_hash=digest, kind=OAuthToken.ACCESS, revoked=False
    ).values_list("client_id", "client__client_id", "scope", "expires_at")[:1],
    "\0digest",
)


def authenticate(request: HttpRequest) -> Bearer:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if not header.startswith("Bearer ") or not header[7:].strip():
        raise ApiError(401, "UNAUTHORIZED", "Authorization: Bearer <access token> is required")
    found = _ACCESS_TOKEN.rows(token_hash(header[7:].strip()))
    if not found:
        raise ApiError(401, "UNAUTHORIZED", "the access token is invalid")
    token = Bearer(*found[0])
    if token.expires_at <= timezone.now():
        raise ApiError(401, "UNAUTHORIZED", "the access token has expired")
    return token


def check_scope(op: Operation, token: Bearer) -> None:
    """A write needs one of the operation's scopes that is not a `.read` one (`partner`; `bot` or `bot.message`)."""
    granted = set(token.scope.split())
    writing = [s for s in op.scopes if not s.endswith(".read")]
    if op.is_write and writing and not granted & set(writing):
        needed = (
            f"the scope '{writing[0]}'" if len(writing) == 1 else f"one of the scopes {', '.join(writing)}"
        )
        raise ApiError(403, "FORBIDDEN", f"{op.operation_id} needs {needed}")
    if not granted & set(op.scopes):
        raise ApiError(403, "FORBIDDEN", f"{op.operation_id} needs one of the scopes {', '.join(op.scopes)}")


# --- rate limit -----------------------------------------------------------------------------------------------


class RateLimiter:
    """Fixed one-minute windows per (client, operation), in this process (the sandbox runs one process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}
        self.limit: int | None = (
            None  # None: settings.SANDBOX_RATE_LIMIT; set at run time by /_sandbox/config
        )

    def current_limit(self) -> int:
        return self.limit if self.limit is not None else settings.SANDBOX_RATE_LIMIT

    def hit(self, client_id: str, operation_id: str) -> dict[str, str]:
        limit = self.current_limit()
        window = settings.SANDBOX_RATE_WINDOW_SECONDS
        now = time.monotonic()
        with self._lock:
            start, used = self._windows.get((client_id, operation_id), (now, 0))
            if now - start >= window:
                start, used = now, 0
            allowed = used < limit
            if allowed:
                used += 1
            self._windows[(client_id, operation_id)] = (start, used)
        reset = max(0, int(start + window - now + 0.999))
        headers = {
            "rateLimit-used": str(used),
            "rateLimit-limit": str(limit),
            "rateLimit-remaining": str(max(0, limit - used)),
            "rateLimit-reset": str(reset),
        }
        if not allowed:
            raise ApiError(429, "TOO_MANY_REQUESTS", "API rate limit exceeded", headers=headers)
        return headers

    def reset(self) -> None:
        with self._lock:
            self._windows.clear()


rate_limiter = RateLimiter()


# --- faults ---------------------------------------------------------------------------------------------------


class DroppedConnection(Exception):
    """Raised to end a request without an answer. The request log's middleware records the request first and
    then closes the socket (sandbox/middleware.py), so the log holds the request by the time the client sees the
    connection drop."""


_FAULTS = Prepared(lambda operation_id: Fault.objects.filter(operation_id__in=[operation_id, "*"]), "\0op")


def _active_fault(operation_id: str) -> Fault | None:
    faults = {f.operation_id: f for f in _FAULTS.instances(operation_id)}
    # The operation's own fault, or once it has hit its `remaining` requests, the one set for every operation.
    fault = next(
        (f for f in (faults.get(operation_id), faults.get("*")) if f is not None and f.remaining != 0), None
    )
    if fault is None:
        return None
    if fault.remaining is not None:
        Fault.objects.filter(pk=fault.pk, remaining__gt=0).update(remaining=fault.remaining - 1)
    return fault


def _apply_fault(request: HttpRequest, fault: Fault, *, after: bool) -> None:
    """Latency comes first; an error, a timeout or a dropped connection comes before the handler, or after it
    with `after_handler` (the change was applied, but the answer is an error or never arrives). The request log
    names the fault, with " after" when the handler had run, so a test can count the changes applied."""
    if not after and fault.latency_ms:
        time.sleep(fault.latency_ms / 1000)
    if fault.after_handler != after:
        return
    when = " after" if after else ""
    if fault.error_rate and random.random() < fault.error_rate:
        request.sandbox_fault = f"error{fault.error_status}{when}"
        code = {429: "TOO_MANY_REQUESTS", 503: "SERVICE_UNAVAILABLE"}.get(
            fault.error_status, "INTERNAL_SERVER_ERROR"
        )
        raise ApiError(fault.error_status, code, "fault injected by the sandbox")
    if fault.timeout_rate and random.random() < fault.timeout_rate:
        request.sandbox_fault = f"timeout{when}"
        time.sleep(fault.timeout_seconds)
        raise DroppedConnection()
    if fault.drop_rate and random.random() < fault.drop_rate:
        request.sandbox_fault = f"drop{when}"
        raise DroppedConnection()


# --- the decorator --------------------------------------------------------------------------------------------


@dataclass
class ApiContext:
    operation: Operation
    client_pk: int
    today: dt.date
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None

    @property
    def client(self) -> OAuthClient:
        """The registered app whose token the request carries (read when asked)."""
        return OAuthClient.objects.get(pk=self.client_pk)


def _coerce(value: str, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    if kind == "integer":
        return int(value)
    if kind == "number":
        return float(value)
    if kind == "boolean":
        if value not in ("true", "false"):
            raise ValueError(value)
        return value == "true"
    return value


def _error_code(error) -> str:
    if error.validator == "required":
        return "MISSING_PARAMETER"
    if error.validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return "OUT_OF_RANGE"
    return "INVALID_PARAMETER"


# Errors whose jsonschema message repeats the whole value (a 2,000-character text, eleven buttons): said shortly.
_SHORT_MESSAGES = {
    "maxLength": "longer than {} characters",
    "minLength": "shorter than {} characters",
    "maxItems": "more than {} items",
    "minItems": "fewer than {} items",
}


def _error_message(error) -> str:
    short = _SHORT_MESSAGES.get(error.validator)
    return short.format(error.validator_value) if short else error.message


def _error_field(error) -> str:
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [p for p in error.validator_value if p not in error.instance]
        if missing:
            parts.append(missing[0])
    return ".".join(parts)


def _validate_parameters(
    op: Operation, request: HttpRequest, path_kwargs: dict[str, str], field_rules, contract: Contract
) -> tuple:
    path_values: dict[str, Any] = {}
    query: dict[str, Any] = {}
    for param in op.parameters:
        name, where = param["name"], param["in"]
        schema = contract.deref(param.get("schema", {}))
        if where == "path":
            raw = path_kwargs.get(name)
        elif where == "query":
            raw = request.GET.get(name)
        else:
            continue
        if raw is None or (raw == "" and where == "query"):
            if param.get("required"):
                raise ApiError(
                    400, "MISSING_PARAMETER", f"{name} is required", rule=_rule_name(field_rules, name)
                )
            if "default" in schema:
                query[name] = schema["default"]
            continue
        try:
            value = _coerce(raw, schema)
        except ValueError:
            _invalid_path_value(op, where, name, raw)
            raise ApiError(
                400,
                "INVALID_PARAMETER",
                f"{name} must be of type {schema.get('type')}",
                rule=_rule_name(field_rules, name),
            ) from None
        error = best_match(contract.schema_validator(param.get("schema", {})).iter_errors(value))
        if error is not None:
            _invalid_path_value(op, where, name, raw)
            raise ApiError(
                400, _error_code(error), f"{name}: {error.message}", rule=_rule_name(field_rules, name)
            )
        (path_values if where == "path" else query)[name] = value
    return path_values, query


def _invalid_path_value(op: Operation, where: str, name: str, raw: str) -> None:
    """A malformed path value names no resource: 404 where the operation documents no 400."""
    if where == "path" and "400" not in op.responses:
        raise ApiError(404, "NOT_FOUND", f"{name} {raw!r} does not name a resource")


def _rule_name(field_rules, name: str) -> str:
    found = (field_rules or {}).get(name)
    return found.name if found else ""


def _parse_body(op: Operation, request: HttpRequest, field_rules, contract: Contract) -> Any:
    if op.body_schema is None:
        return None
    content_type = request.META.get("CONTENT_TYPE", "")
    raw = request.body
    if not raw.strip():
        if op.body_required:
            raise ApiError(400, "BAD_REQUEST", "a JSON request body is required")
        return None
    if content_type.split(";")[0].strip().lower() != "application/json":
        raise ApiError(
            400,
            "BAD_REQUEST",
            "Content-Type: application/json is required",
            rule=_rule_name(field_rules, "Content-Type"),
        )
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "BAD_REQUEST", "the request body is not valid JSON") from None
    error = best_match(contract.schema_validator(op.body_schema).iter_errors(body))
    if error is not None:
        where = _error_field(error)
        rule = _rule_name(field_rules, where) or _rule_name(field_rules, where.split(".")[0])
        prefix = f"{where}: " if where else ""
        raise ApiError(400, _error_code(error), f"{prefix}{_error_message(error)}", rule=rule)
    return body


def _admit(request: HttpRequest, op: Operation, anonymous: bool) -> tuple[int, dict[str, str]]:
    """Who calls and the rate limit's headers: the token's app (401 without one, 403 without the scope), or for an
    `anonymous` operation (a URL that is its own secret) the URL itself."""
    if anonymous:
        return 0, rate_limiter.hit("url:" + request.path, op.operation_id)
    token = authenticate(request)
    request.sandbox_client_id = token.client_id
    headers = rate_limiter.hit(token.client_id, op.operation_id)
    try:
        check_scope(op, token)
    except ApiError as error:
        error.headers = {**headers, **error.headers}
        raise
    return token.client_pk, headers


def operation(
    operation_id: str,
    *,
    field_rules: dict[str, Any] | None = None,
    contract: Contract | None = None,
    anonymous: bool = False,
):
    """Turn ``func(request, **path_params)`` into the handler of ``operation_id``.

    ``field_rules`` maps a body field ("companyName", "administrator.password"), a parameter name or
    "Content-Type" to the rule that a schema violation of that field breaks, so the 400 names the rule.
    ``contract``: the contract the operation is in (default: the Partner API's, ``SANDBOX_CONTRACT``).
    ``anonymous``: no bearer token; the rate limit counts per URL (the Incoming Webhook's).
    """
    spec = contract or load_contract()
    op = spec.operations[operation_id]

    def decorate(func: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        def handler(request: HttpRequest, **path_kwargs: str) -> HttpResponse:
            request.sandbox_operation = operation_id
            rate_headers: dict[str, str] = {}
            try:
                client_pk, rate_headers = _admit(request, op, anonymous)
                fault = _active_fault(operation_id)
                if fault is not None:
                    _apply_fault(request, fault, after=False)
                today = clock.catch_up()
                path_values, query = _validate_parameters(op, request, path_kwargs, field_rules, spec)
                body = _parse_body(op, request, field_rules, spec)
                request.api = ApiContext(
                    operation=op, client_pk=client_pk, today=today, query=query, body=body
                )
                response = func(request, **path_values)
                if fault is not None:
                    _apply_fault(request, fault, after=True)
            except ApiError as error:
                rate_headers = rate_headers or error.headers
                response = error_response(error)
                if error.rule:
                    request.sandbox_rule = error.rule
            for name, value in rate_headers.items():
                response[name] = value
            return response

        handler.operation_id = operation_id
        handler.__name__ = func.__name__
        handler.__doc__ = func.__doc__
        return handler

    return decorate


# --- routing --------------------------------------------------------------------------------------------------


def api_path(template: str, **views: Callable[..., HttpResponse]) -> URLPattern:
    """One URL of the contract (``/partners/customers/{domainId}``) with its handlers per HTTP method."""
    route = template.lstrip("/").replace("{", "<str:").replace("}", ">")
    allowed = {method.upper(): view for method, view in views.items()}

    @csrf_exempt
    def dispatch(request: HttpRequest, **kwargs: str) -> HttpResponse:
        view = allowed.get(request.method or "")
        if view is None:
            response = error_response(
                ApiError(405, "METHOD_NOT_ALLOWED", f"{request.method} is not allowed on this path")
            )
            response["Allow"] = ", ".join(sorted(allowed))
            return response
        return view(request, **kwargs)

    dispatch.__name__ = "dispatch_" + "_".join(v.__name__ for v in views.values())
    dispatch.operation_ids = {getattr(v, "operation_id", "") for v in views.values()} - {""}
    return path(route, dispatch)


def operations_of(patterns: Iterable[URLPattern]) -> set[str]:
    """The operationIds routed by a list of api_path() patterns (for coverage checks)."""
    found: set[str] = set()
    for pattern in patterns:
        found |= getattr(pattern.callback, "operation_ids", set())
    return found
