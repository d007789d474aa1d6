"""The one API object (django-ninja's `NinjaAPI`), made of the areas the apps contribute, and its URLs: each
endpoint's view wrapped so that a body over API_MAX_BODY_BYTES is refused before it is read, a wrong method is
refused in words, and every call made with a token is recorded (`ApiCall`, one narrow row), whatever its answer.

The OpenAPI document is the code's: each endpoint's path, parameters, body and answers are read from its
declaration (the filters from the list's own filter form, the bodies from the change's own form)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI

from portal import logs
from portal.core.api import PREFIX, errors
from portal.core.api.areas import areas
from portal.core.api.auth import CHANGE_ATTRIBUTE, TAKES_QUERY_ATTRIBUTE, TokenAuth, token_of
from portal.core.models import ApiCall

#: The API's version (its URLs are under PREFIX).
VERSION = "1"
#: What the view of each API URL pattern carries: {method: (area key or None, level)}.
OPERATIONS_ATTRIBUTE = "api_operations"

DESCRIPTION = (
    "The Partner Portal's own API: the lists and pages of the portal as JSON, and the changes its forms offer, "
    "through the same checks and the same change pipeline. Every call needs a personal API token "
    "(`Authorization: Bearer ppat_...`), made on the portal's API tokens page, whose level in each area (read, "
    "write) never exceeds its owner's role. An error answers an object `error` with its `code`, `message` and "
    "refused `fields`, in the request's language (Accept-Language) or the token owner's. Writes take `dry_run`, "
    "a `reason`, and an `Idempotency-Key` header; a change answers with its operation, polled at "
    "`/operations/{id}`."
)

_guard = threading.Lock()
_built: dict[str, Any] = {}


def api() -> NinjaAPI:
    """The API, made once from the contributed areas (after every app's `ready()`)."""
    with _guard:
        if "api" not in _built:
            _built["api"] = _make()
        return _built["api"]


def _make() -> NinjaAPI:
    from portal.core.api import operations

    made = NinjaAPI(
        title="Partner Portal API",
        version=VERSION,
        description=DESCRIPTION,
        urls_namespace="api",
        openapi_url=None,
        docs_url=None,
    )
    errors.install(made)
    for area in areas():
        if area.router is not None:
            made.add_router(f"/{area.prefix or area.key}", area.router, tags=[area.key])
    made.add_router("/operations", operations.router, tags=["operations"])
    return made


def enabled() -> bool:
    return bool(settings.API_ENABLED)


def openapi_document() -> dict:
    """The OpenAPI document of the API, as the code declares it (in the active language), with the filters by
    customer each list endpoint marked `CUSTOMER_FILTERS` takes, as contributed now."""
    from django.utils import translation

    from portal.core.api.lists import CUSTOMER_FILTERS
    from portal.core.lists import customer_filters

    # The API is made once, so its document is too, once per language (as text: each answer's own copy is read
    # from it); the customer filters are added afresh.
    key = f"document:{translation.get_language() or settings.LANGUAGE_CODE}"
    if key not in _built:
        _built[key] = json.dumps(api().get_openapi_schema(path_prefix=f"/{PREFIX}"), cls=DjangoJSONEncoder)
    document = json.loads(_built[key])
    for methods in document.get("paths", {}).values():
        for operation in methods.values():
            if operation.pop(CUSTOMER_FILTERS, False):
                operation.setdefault("parameters", []).extend(
                    {
                        "in": "query",
                        "name": found.name,
                        "required": False,
                        "schema": {"type": "string"},
                        "description": str(found.field().label or found.name),
                    }
                    for found in customer_filters()
                )
    return document


def endpoint_patterns() -> list[URLPattern]:
    """The URL patterns of every endpoint, each view wrapped (`recorded`) and carrying its operations."""
    patterns, _app, _namespace = api().urls
    described = _described()
    out = []
    for pattern in patterns:
        if not isinstance(pattern, URLPattern) or pattern.name not in described:
            continue  # ninja's root (a redirect to docs it does not serve here)
        route = "/" + str(pattern.pattern)
        view = recorded(pattern.callback, route=route, takes_query=_takes_query(pattern.name))
        setattr(view, OPERATIONS_ATTRIBUTE, described[pattern.name])
        pattern.callback = view
        out.append(pattern)
    return out


def _described() -> dict[str, dict[str, tuple[str | None, str]]]:
    """Each endpoint's URL name: the methods of its path, each with the area and level its auth asks."""
    described: dict[str, dict[str, tuple[str | None, str]]] = {}
    for router in _routers():
        for path_view in router.path_operations.values():
            methods: dict[str, tuple[str | None, str]] = {}
            for operation in path_view.operations:
                auth = [a for a in operation.auth_callbacks if isinstance(a, TokenAuth)]
                if len(auth) != 1 or not operation.url_name:
                    raise ValueError(
                        f"{operation.view_func.__name__}: give it a url_name and its auth (AREA.reads or .writes)"
                    )
                for method in operation.methods:
                    methods[method] = (auth[0].area.key if auth[0].area else None, auth[0].level.value)
            for operation in path_view.operations:
                described[operation.url_name] = methods
    return described


def _routers() -> list:
    """The routers of the contributed areas, and core's operations."""
    from portal.core.api import operations

    return [a.router for a in areas() if a.router is not None] + [operations.router]


def _takes_query(url_name: str | None) -> set[str]:
    """The methods of an endpoint's path whose operation declares query parameters (a list's filters)."""
    for router in _routers():
        for path_view in router.path_operations.values():
            if any(operation.url_name == url_name for operation in path_view.operations):
                return {
                    method
                    for operation in path_view.operations
                    for method in operation.methods
                    if any(m.__ninja_param_source__ == "query" for m in operation.signature.models)
                }
    return set()


def recorded(view: Callable, *, route: str, takes_query: set[str] | None = None) -> Callable:
    """`view` answering in words when the body is too large or the method wrong, and recording each call
    made with a token. `takes_query`: the methods whose operation declares query parameters; the others refuse
    any (`auth.unknown_query`), where ninja would ignore them."""

    @wraps(view)
    def call(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        setattr(request, TAKES_QUERY_ATTRIBUTE, takes_query is None or request.method in takes_query)
        if _too_large(request):
            response = errors.ApiError(
                413,
                "too_large",
                _("The body is too large: at most %(bytes)s bytes.") % {"bytes": settings.API_MAX_BODY_BYTES},
            ).response()
        else:
            response = view(request, *args, **kwargs)
            if response.status_code == 405:
                response = errors.method_not_allowed().response()
        token = token_of(request)
        if token is not None:
            ApiCall.objects.create(
                token=token,
                method=request.method or "",
                route=route[:200],
                status=response.status_code,
                request_id=logs.request_id() or "",
                operation=getattr(request, CHANGE_ATTRIBUTE, None),
            )
        return response

    return call


def _too_large(request: HttpRequest) -> bool:
    length = request.META.get("CONTENT_LENGTH") or "0"
    return length.isdigit() and int(length) > settings.API_MAX_BODY_BYTES
