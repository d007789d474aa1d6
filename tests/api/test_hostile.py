"""No input to the API makes a 500, and none writes anything: every endpoint (from the URL resolver, as the
access matrix has them) is called with hostile values in each of its path arguments, query parameters (read
from the OpenAPI document, so a new parameter is covered without editing this file) and body fields: wrong
types, impossible dates and numbers, control characters, 100,000 characters, unknown parameters, bodies over
the limit or not JSON. A refusal is a 4xx whose body says why in words (`error.code`, `error.message`); a
value that is merely odd (a search for `<script>`) may be answered 200. Nothing reaches the change pipeline or
the audit trail; a replayed Idempotency-Key with another body is refused and sends nothing."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from portal.core.access import Role
from portal.core.api.site import openapi_document
from portal.core.models import AuditEntry, Operation
from tests.api.test_access import MATRIX, OPERATION_ID, _kwargs, body_for, make_rows

pytestmark = pytest.mark.django_db

HOSTILE = {
    "empty": "",
    "nul": "a\x00b",
    "escape": "a\x1b[31mb",
    "direction override": "\u202eabc",
    "huge": "9" * 100_000,
    "impossible date": "2026-02-30",
    "far date": "99999-12-31",
    "negative": "-1",
    "overflow": "1" + "0" * 30,
    "float": "1e309",
    "script": "<script>alert(1)</script>",
    "list": "[1, 2]",
}
#: JSON values a body field may be sent (the body's own types: a text where a number goes...).
HOSTILE_JSON = {
    "text": "abc",
    "nul": "a\x00b",
    "control": "a\x07b",
    "huge number": 10**40,
    "float": 1.5,
    "infinity-ish": 1e308,
    "negative": -5,
    "list": [1, 2],
    "object": {"a": 1},
    "true": True,
    "null": None,
}
WRITES = sorted({name for name, _obj, method, _area, _level in MATRIX if method == "post"})


@pytest.fixture
def world(db):
    return make_rows()


def _written() -> tuple[int, int]:
    return Operation.objects.count(), AuditEntry.objects.count()


def _clear(answer, what) -> None:
    """An answer to hostile input: never a 500; a refusal says why in words."""
    assert answer.status_code < 500, (what, answer.status_code, answer.content[:300])
    if answer.status_code >= 400:
        error = answer.json()["error"]
        assert error["code"] and error["message"], what


def _parameters(url_name: str, method: str) -> list[str]:
    path = "/" + reverse(url_name, kwargs=_PATH_NAMES.get(url_name, {})).lstrip("/")
    for route, operations in openapi_document()["paths"].items():
        if _same_route(route, path):
            return [p["name"] for p in operations[method].get("parameters", []) if p["in"] == "query"]
    raise AssertionError(f"{url_name} is not in the OpenAPI document")


def _same_route(route: str, path: str) -> bool:
    a, b = route.strip("/").split("/"), path.strip("/").split("/")
    return len(a) == len(b) and all(x == y or x.startswith("{") for x, y in zip(a, b, strict=True))


#: Path arguments of each kind of object an endpoint names, to find it in the document.
_OBJECT_PATHS = {
    "section": {"key": "x"},
    "customer": {"domain_id": 1},
    "annual": {"subscription_id": 1},
    "reserved": {"subscription_id": 1},
    "trial": {"subscription_id": 1},
    "pre_order": {"domain_id": 1, "pre_order_id": 1},
    "option": {"domain_id": 1, "option_product_id": "X"},
    "order": {"domain_id": 1, "option_product_id": "X"},
    "month": {"year": 2026, "month": 1},
    "closed_month": {"year": 2026, "month": 1},
    "invoice": {"number": 1},
    "operation": {"operation_id": OPERATION_ID},
}
_PATH_NAMES = {name: _OBJECT_PATHS[obj] for name, obj, *_rest in MATRIX if obj is not None}


@pytest.mark.parametrize(("name", "obj", "method", "area", "needed"), MATRIX, ids=[m[0] for m in MATRIX])
def test_hostile_query_parameters_and_path_arguments(world, api_as, name, obj, method, area, needed):
    api = api_as(Role.ADMIN)
    url = reverse(name, kwargs=_kwargs(name, obj, world, Role.ADMIN))
    before = _written()
    call = (lambda u, q: api.post(f"{u}?{q}", body_for(name))) if method == "post" else None
    for parameter in [*_parameters(name, method), "unknown_parameter"]:
        for label, value in HOSTILE.items():
            query = {parameter: value}
            answer = (
                call(url, "&".join(f"{k}={v}" for k, v in query.items())) if call else api.get(url, query)
            )
            _clear(answer, (name, parameter, label))
    # Every endpoint, a list or not: an unknown parameter is named, not ignored.
    unknown = (
        api.post(f"{url}?unknown_parameter=1", body_for(name))
        if call
        else api.get(url, {"unknown_parameter": "1"})
    )
    assert unknown.status_code == 422 and "unknown_parameter" in unknown.json()["error"]["fields"], name
    for argument in _PATH_NAMES.get(name, {}):
        for label, value in HOSTILE.items():
            if not value or "/" in value:
                continue
            bad = url.replace(str(_kwargs(name, obj, world, Role.ADMIN)[argument]), value.replace("?", ""), 1)
            answer = api.post(bad, body_for(name)) if method == "post" else api.get(bad)
            _clear(answer, (name, argument, label))
    assert _written() == before


@pytest.mark.parametrize("name", WRITES)
def test_hostile_bodies(world, api_as, name):
    api = api_as(Role.ADMIN)
    obj = next(row[1] for row in MATRIX if row[0] == name)
    url = reverse(name, kwargs=_kwargs(name, obj, world, Role.ADMIN))
    body = body_for(name)
    before = _written()
    for field in [*body, "unknown_field"]:
        for label, value in HOSTILE_JSON.items():
            answer = api.post(url, {**body, field: value})
            _clear(answer, (field, label))
            if label in ("list", "object", "nul", "control") and field in body:
                assert answer.status_code == 422, (field, label, answer.content[:300])
        answer = api.post(url, {**body, field: "x" * 100_000})
        assert answer.status_code == 413, field
    for raw in ("", "not json", "[1, 2]", "null", "1", json.dumps(body)[:-1], "[" * 10_000, '{"a": ' * 3000):
        _clear(api.post(url, raw=raw), raw[:20])
        assert api.post(url, raw=raw).status_code in (400, 413, 422), raw[:20]
    wrong_type = api.client.post(
        url,
        "type=STAY",
        content_type="application/x-www-form-urlencoded",
        **{"HTTP_AUTHORIZATION": f"Bearer {api.secret}"},
    )
    _clear(wrong_type, "a form body")
    for key in ("", "a\x00b", "k" * 201, "ключ"):
        answer = api.post(url, {**body, "dry_run": False}, **{"Idempotency-Key": key})
        _clear(answer, ("key", key[:10]))
        assert answer.status_code in (422, 428), key[:10]
    assert _written() == before


def test_a_replayed_key_with_another_body_is_refused_and_sends_nothing(world, api_as, settings):
    from portal.core.partner import reset_clients

    settings.PARTNER_API_BASE_URL = (
        "http://127.0.0.1:9/v1.0"  # nothing listens: a change is refused on the way
    )
    reset_clients()
    api = api_as(Role.ADMIN)
    url = reverse("api:subscription_renewal", args=[world["annual"].subscription_id])
    api.post(url, {"type": "CANCEL"}, **{"Idempotency-Key": "k-1"})
    before = _written()
    for body in (
        {"type": "STAY"},
        {"type": "CANCEL", "reason": "other"},
        {"type": "CANCEL", "dry_run": False},
    ):
        answer = api.post(url, body, **{"Idempotency-Key": "k-1"})
        if body == {"type": "CANCEL", "dry_run": False}:
            assert answer.status_code == 409  # the same request: the first answer again
        else:
            assert answer.status_code == 422 and answer.json()["error"]["code"] == "idempotency_key_reused"
    assert _written() == before
    reset_clients()


def test_a_body_over_the_limit_is_refused_before_it_is_read(world, api_as):
    api = api_as(Role.ADMIN)
    url = reverse("api:subscription_renewal", args=[world["annual"].subscription_id])
    answer = api.post(url, raw="x" * 20_000)
    assert answer.status_code == 413 and answer.json()["error"]["code"] == "too_large"
    whole = api.post(url, raw="x" * 2_000_000)  # past PORTAL_MAX_REQUEST_BYTES: the middleware's, in JSON
    assert whole.status_code == 413 and whole.json()["error"]["code"] == "too_large"
