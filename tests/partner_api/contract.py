"""The Partner API contract (`openapi.yaml`), loaded for checking the client at the wire.

The contract is the repository's own `contract/openapi.yaml` (the sandbox reads the same file).
Request bodies are validated with jsonschema (draft 2020-12, as OpenAPI 3.1) against a strict copy of the
contract in which request objects admit no properties the contract does not name.
"""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

REPO = Path(__file__).resolve().parents[2]
CONTRACT = REPO / "contract" / "openapi.yaml"
METHODS = ("get", "post", "put", "patch", "delete")
_BASE = "urn:partner-api"


@functools.cache
def spec() -> dict[str, Any]:
    if not CONTRACT.exists():
        raise FileNotFoundError(f"The Partner API contract is expected at {CONTRACT}")
    # libyaml's loader when PyYAML has it: the pure-Python one takes seconds over the contract, and every test
    # process reads it while collecting.
    return yaml.load(
        CONTRACT.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    )


@functools.cache
def operations() -> dict[str, dict[str, Any]]:
    """operationId → {"method", "path", "op" (the operation object), "parameters" (resolved)}."""
    found: dict[str, dict[str, Any]] = {}
    for path, item in spec()["paths"].items():
        for method in METHODS:
            if method not in item:
                continue
            op = item[method]
            params = [resolve(p) for p in item.get("parameters", []) + op.get("parameters", [])]
            found[op["operationId"]] = {
                "method": method.upper(),
                "path": path,
                "op": op,
                "parameters": {(p["in"], p["name"]): p for p in params},
            }
    return found


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local `$ref` (one level at a time, until none is left)."""
    while "$ref" in node:
        target: Any = spec()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _strict(node: Any) -> Any:
    if isinstance(node, dict):
        node = {key: _strict(value) for key, value in node.items()}
        if node.get("type") == "object" and "properties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        return node
    if isinstance(node, list):
        return [_strict(value) for value in node]
    return node


@functools.cache
def _registry() -> Registry:
    strict = _strict(copy.deepcopy(spec()))
    return Registry().with_resource(_BASE, Resource.from_contents(strict, default_specification=DRAFT202012))


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def validate_request_body(operation_id: str, body: Any) -> None:
    """Raise jsonschema.ValidationError unless `body` is what the contract's request schema accepts."""
    info = operations()[operation_id]
    pointer = _pointer(
        "paths", info["path"], info["method"].lower(), "requestBody", "content", "application/json", "schema"
    )
    validator = jsonschema.Draft202012Validator(
        {"$ref": f"{_BASE}#/{pointer}"},
        registry=_registry(),
        format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
    )
    validator.validate(body)


def has_request_body(operation_id: str) -> bool:
    return "requestBody" in operations()[operation_id]["op"]


def validate_query(operation_id: str, query: dict[str, list[str]]) -> None:
    """Every query parameter is declared, required ones are present, values match their schema."""
    params = {
        name: p for (where, name), p in operations()[operation_id]["parameters"].items() if where == "query"
    }
    unknown = set(query) - set(params)
    assert not unknown, f"{operation_id}: undeclared query parameters {sorted(unknown)}"
    for name, param in params.items():
        if param.get("required"):
            assert name in query, f"{operation_id}: required query parameter {name} missing"
        if name not in query:
            continue
        (raw,) = query[name]
        schema = resolve(param["schema"])
        value: Any = int(raw) if schema.get("type") == "integer" else raw
        jsonschema.validate(value, schema)


def path_for(operation_id: str, path_params: dict[str, Any]) -> str:
    return operations()[operation_id]["path"].format(**path_params)


def _example_values(content: dict[str, Any]) -> list[tuple[str, Any]]:
    values = []
    if "example" in content:
        values.append(("example", content["example"]))
    for name, example in content.get("examples", {}).items():
        values.append((name, resolve(example)["value"]))
    return values


def request_examples(operation_id: str) -> list[tuple[str, Any]]:
    op = operations()[operation_id]["op"]
    return _example_values(op.get("requestBody", {}).get("content", {}).get("application/json", {}))


def success_status(operation_id: str) -> int:
    return min(int(s) for s in operations()[operation_id]["op"]["responses"] if s.startswith("2"))


def _success_content(operation_id: str) -> dict[str, Any] | None:
    responses = operations()[operation_id]["op"]["responses"]
    for status in sorted(s for s in responses if s.startswith("2")):
        content = resolve(responses[status]).get("content", {}).get("application/json")
        if content:
            return content
    return None


def response_examples(operation_id: str) -> list[tuple[str, Any]]:
    content = _success_content(operation_id)
    return _example_values(content) if content else []


def response_schema_ref(operation_id: str) -> str | None:
    content = _success_content(operation_id)
    return content["schema"].get("$ref") if content else None


def sample_response(operation_id: str) -> Any:
    """A documented body for the operation's success response: its own example, else one of another
    operation that returns the same schema. None when the operation has no response body."""
    own = response_examples(operation_id)
    if own:
        return own[0][1]
    ref = response_schema_ref(operation_id)
    if ref is None:
        return None
    for other in operations():
        if response_schema_ref(other) == ref and response_examples(other):
            return response_examples(other)[0][1]
    raise LookupError(f"No documented example of {ref} for {operation_id}")
