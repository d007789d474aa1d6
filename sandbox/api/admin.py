"""``/_sandbox/*``: health, clock, faults, request log and run-time config (loopback or admin secret only)."""

from __future__ import annotations

import ipaddress
import json
import secrets
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from sandbox import clock
from sandbox.api.common import ApiError, error_response, iso_datetime, ok, rate_limiter
from sandbox.models import Customer, Fault, RequestCount, RequestLog, UpgradeDomain

FAULT_FIELDS = {
    "latencyMs": ("latency_ms", int),
    "errorRate": ("error_rate", float),
    "errorStatus": ("error_status", int),
    "timeoutRate": ("timeout_rate", float),
    "timeoutSeconds": ("timeout_seconds", float),
    "dropRate": ("drop_rate", float),
    "afterHandler": ("after_handler", bool),
    "remaining": ("remaining", lambda v: None if v is None else int(v)),
}


def _is_allowed(request: HttpRequest) -> bool:
    secret = settings.SANDBOX_ADMIN_SECRET
    if secret and secrets.compare_digest(request.META.get("HTTP_X_SANDBOX_ADMIN_SECRET", ""), secret):
        return True
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def admin_view(*methods: str) -> Callable:
    def decorate(func: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @csrf_exempt
        @wraps(func)
        def view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not _is_allowed(request):
                return error_response(
                    ApiError(403, "FORBIDDEN", "/_sandbox/ answers on loopback or with the admin secret")
                )
            if request.method not in methods:
                return error_response(ApiError(405, "METHOD_NOT_ALLOWED", f"use {', '.join(methods)}"))
            try:
                body = json.loads(request.body) if request.body.strip() else {}
                if not isinstance(body, dict):
                    raise ValueError("body must be an object")
                return func(request, body, *args, **kwargs)
            except (ValueError, TypeError, KeyError) as exc:
                return error_response(ApiError(400, "BAD_REQUEST", str(exc)))
            except ApiError as exc:
                return error_response(exc)

        return view

    return decorate


@admin_view("GET")
def health(request: HttpRequest, body: dict) -> HttpResponse:
    return ok({"status": "ok"})


def clock_json() -> dict:
    state = clock.state()
    return {
        "today": clock.today(state.clock_offset_days).isoformat(),
        "now": iso_datetime(clock.now(state.clock_offset_days)),
        "offsetDays": state.clock_offset_days,
        "appliedThrough": state.applied_through.isoformat() if state.applied_through else None,
        "timeZone": settings.SANDBOX_TIME_ZONE,
    }


@admin_view("GET", "POST")
def clock_view(request: HttpRequest, body: dict) -> HttpResponse:
    """POST {"advance": "1d"} or {"date": "YYYY-MM-DD"} moves the clock forward and applies what is due."""
    if request.method == "POST":
        if "advance" in body:
            clock.advance(clock.parse_advance(str(body["advance"])))
        elif "date" in body:
            clock.set_date(clock.dt.date.fromisoformat(body["date"]))
        else:
            raise ValueError("send advance (e.g. '1d') or date (YYYY-MM-DD)")
    else:
        clock.catch_up()
    return ok(clock_json())


def fault_json(fault: Fault) -> dict:
    data = {"operationId": fault.operation_id}
    for name, (attr, _) in FAULT_FIELDS.items():
        data[name] = getattr(fault, attr)
    return data


@admin_view("GET", "DELETE")
def faults(request: HttpRequest, body: dict) -> HttpResponse:
    if request.method == "DELETE":
        Fault.objects.all().delete()
        return HttpResponse(status=204)
    return ok({"faults": [fault_json(f) for f in Fault.objects.order_by("operation_id")]})


@admin_view("GET", "PUT", "DELETE")
def fault(request: HttpRequest, body: dict, operation_id: str) -> HttpResponse:
    """PUT {"errorRate": 1, "errorStatus": 503, "remaining": 2} on an operationId (or "*")."""
    if request.method == "DELETE":
        Fault.objects.filter(operation_id=operation_id).delete()
        return HttpResponse(status=204)
    if request.method == "PUT":
        unknown = set(body) - set(FAULT_FIELDS)
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        values = {attr: convert(body[name]) for name, (attr, convert) in FAULT_FIELDS.items() if name in body}
        if values.get("error_status", 500) not in (429, 500, 503):
            raise ValueError("errorStatus must be 429, 500 or 503")
        Fault.objects.filter(operation_id=operation_id).delete()
        Fault.objects.create(operation_id=operation_id, **values)
    found = Fault.objects.filter(operation_id=operation_id).first()
    if found is None:
        raise ApiError(404, "NOT_FOUND", f"no fault set on {operation_id}")
    return ok(fault_json(found))


@admin_view("GET", "DELETE")
def requests_view(request: HttpRequest, body: dict) -> HttpResponse:
    """GET ?operationId=&since=<id>&limit=100 (newest last); DELETE clears the log."""
    if request.method == "DELETE":
        RequestLog.objects.all().delete()
        RequestCount.objects.all().delete()
        return HttpResponse(status=204)
    qs = RequestLog.objects.order_by("id")
    if request.GET.get("operationId"):
        qs = qs.filter(operation_id=request.GET["operationId"])
    if request.GET.get("since"):
        qs = qs.filter(id__gt=int(request.GET["since"]))
    limit = min(int(request.GET.get("limit", 100)), 5000)
    rows = list(qs.reverse()[:limit])[::-1]
    return ok(
        {
            "requests": [
                {
                    "id": r.id,
                    "at": iso_datetime(r.at),
                    "method": r.method,
                    "path": r.path,
                    "query": r.query,
                    "operationId": r.operation_id,
                    "clientId": r.client_id,
                    "status": r.status,
                    "durationMs": r.duration_ms,
                    "requestBody": r.request_body,
                    "responseBody": r.response_body,
                    "fault": r.fault,
                    "rule": r.rule,
                }
                for r in rows
            ]
        }
    )


@admin_view("GET", "PUT")
def config(request: HttpRequest, body: dict) -> HttpResponse:
    """Run-time knobs: {"rateLimit": 240, "tokenLifetime": 86400}; PUT {"rateLimit": null} restores the default."""
    if request.method == "PUT":
        if "rateLimit" in body:
            rate_limiter.limit = None if body["rateLimit"] is None else int(body["rateLimit"])
            rate_limiter.reset()
        if body.get("resetRateLimits"):
            rate_limiter.reset()
        if "tokenLifetime" in body:
            settings.SANDBOX_TOKEN_LIFETIME = int(body["tokenLifetime"])
    return ok({"rateLimit": rate_limiter.current_limit(), "tokenLifetime": settings.SANDBOX_TOKEN_LIFETIME})


CUSTOMER_FACTS = {
    "adminAcceptedTerms": ("admin_accepted_terms", bool),
    "hasNonRealtimePaidApp": ("has_non_realtime_paid_app", bool),
    "memberCount": ("member_count", int),
    "isPartnerOwn": ("is_partner_own", bool),
    "otherProductIds": ("other_product_ids", list),
}


@admin_view("GET", "PATCH")
def customer_facts(request: HttpRequest, body: dict, domain_id: int) -> HttpResponse:
    """Facts the real service learns outside the API (terms accepted, DNS published, members, paid apps)."""
    customer = Customer.objects.filter(pk=domain_id).first()
    if customer is None:
        raise ApiError(404, "NOT_FOUND", f"no customer {domain_id}")
    if request.method == "PATCH":
        unknown = set(body) - set(CUSTOMER_FACTS) - {"dnsRecordsFound"}
        if unknown:
            raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")
        for name, (attr, convert) in CUSTOMER_FACTS.items():
            if name in body:
                setattr(customer, attr, convert(body[name]))
        customer.save()
        if "dnsRecordsFound" in body:
            UpgradeDomain.objects.filter(customer=customer).update(
                dns_records_found=bool(body["dnsRecordsFound"])
            )
    upgrade = UpgradeDomain.objects.filter(customer=customer).first()
    data = {name: getattr(customer, attr) for name, (attr, _) in CUSTOMER_FACTS.items()}
    data["dnsRecordsFound"] = upgrade.dns_records_found if upgrade else None
    return ok(data)


@admin_view("GET")
def request_counts_view(request: HttpRequest, body: dict) -> HttpResponse:
    """Every request since the log was last cleared, counted by operation and status (not trimmed as the log is):
    {"counts": {"<operationId>": {"<status>": n, ...}, ...}}."""
    counts: dict[str, dict[str, int]] = {}
    for operation_id, status, count in RequestCount.objects.values_list("operation_id", "status", "count"):
        counts.setdefault(operation_id, {})[str(status)] = count
    return ok({"counts": counts})


urlpatterns = [
    path("_sandbox/health", health),
    path("_sandbox/clock", clock_view),
    path("_sandbox/faults", faults),
    path("_sandbox/faults/<str:operation_id>", fault),
    path("_sandbox/requests", requests_view),
    path("_sandbox/requests/counts", request_counts_view),
    path("_sandbox/config", config),
    path("_sandbox/customers/<int:domain_id>", customer_facts),
]


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_response(ApiError(404, "NOT_FOUND", f"no resource at {request.path}"))


def server_error(request: HttpRequest) -> HttpResponse:
    return error_response(ApiError(500, "INTERNAL_SERVER_ERROR", "unexpected error in the sandbox"))
