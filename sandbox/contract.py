"""The contract (openapi.yaml), loaded once: operations by id, request validators, business-rule lines.

Used to validate requests (parameters and JSON bodies) and to tie each named rule to its contract line.
Response validation for tests lives in ``sandbox.testing`` and uses the same loader.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from django.conf import settings
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

HTTP_METHODS = ("get", "post", "put", "patch", "delete")
FORMAT_CHECKER = FormatChecker()


@dataclass
class Operation:
    operation_id: str
    method: str
    path: str  # contract path template, e.g. /partners/customers/{domainId}
    tag: str
    scopes: list[str]
    parameters: list[dict[str, Any]]
    body_schema: dict[str, Any] | None
    body_required: bool
    business_rules: list[str]
    responses: dict[str, Any]
    raw: dict[str, Any] = field(repr=False)

    @property
    def is_write(self) -> bool:
        return self.method != "get"


class Contract:
    def __init__(self, document: dict[str, Any]):
        self.document = document
        self.registry = Registry().with_resource(
            "urn:contract", Resource.from_contents(document, default_specification=DRAFT202012)
        )
        self.operations: dict[str, Operation] = {}
        for path, item in document["paths"].items():
            shared_params = item.get("parameters", [])
            for method in HTTP_METHODS:
                op = item.get(method)
                if not op:
                    continue
                params = {(p["in"], p["name"]): p for p in map(self.deref, shared_params)}
                params.update({(p["in"], p["name"]): p for p in map(self.deref, op.get("parameters", []))})
                body = op.get("requestBody")
                body_schema = None
                if body:
                    body = self.deref(body)
                    body_schema = body.get("content", {}).get("application/json", {}).get("schema")
                security = op.get("security") or document.get("security") or []
                scopes = sorted({s for req in security for s in req.get("oauth2", [])})
                self.operations[op["operationId"]] = Operation(
                    operation_id=op["operationId"],
                    method=method,
                    path=path,
                    tag=(op.get("tags") or [""])[0],
                    scopes=scopes,
                    parameters=list(params.values()),
                    body_schema=body_schema,
                    body_required=bool(body and body.get("required")),
                    business_rules=list(op.get("x-business-rules", [])),
                    responses=op.get("responses", {}),
                    raw=op,
                )

    def deref(self, node: Any) -> Any:
        """Follow a local $ref (one or more levels)."""
        while isinstance(node, dict) and "$ref" in node and node["$ref"].startswith("#/"):
            target: Any = self.document
            for part in node["$ref"][2:].split("/"):
                target = target[part]
            node = target
        return node

    @functools.cache  # noqa: B019 - one Contract per process
    def validator(self, schema_key: str) -> Draft202012Validator:
        """A validator for a schema given as a JSON pointer into the contract (``#/components/...``)."""
        return Draft202012Validator(
            {"$ref": f"urn:contract{schema_key}"}, registry=self.registry, format_checker=FORMAT_CHECKER
        )

    def schema_validator(self, schema: dict[str, Any]) -> Draft202012Validator:
        """A validator for an inline schema that may hold local $refs."""
        return Draft202012Validator(_rebase(schema), registry=self.registry, format_checker=FORMAT_CHECKER)

    def match(self, method: str, path: str) -> Operation | None:
        """The operation for a concrete path below /v1.0 (e.g. /partners/customers/123)."""
        for op in self.operations.values():
            if op.method == method.lower() and _template_regex(op.path).fullmatch(path):
                return op
        return None


def _rebase(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {
            k: (
                f"urn:contract{v}"
                if k == "$ref" and isinstance(v, str) and v.startswith("#/")
                else _rebase(v)
            )
            for k, v in schema.items()
        }
    if isinstance(schema, list):
        return [_rebase(v) for v in schema]
    return schema


@functools.cache
def _template_regex(template: str) -> re.Pattern[str]:
    # Literal segments win over parameters: {subscriptionId} must not match "pre-orders".
    parts = []
    for segment in template.strip("/").split("/"):
        if segment.startswith("{"):
            parts.append(r"(?!pre-orders$)[^/]+")
        else:
            parts.append(re.escape(segment))
    return re.compile("/" + "/".join(parts))


@functools.cache
def load_contract(path: str | None = None) -> Contract:
    source = path or str(settings.SANDBOX_CONTRACT)
    with open(source, encoding="utf-8") as fh:
        document = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return Contract(document)


def load_messaging_contract() -> Contract:
    """contract/messaging.yaml: the bot message operations and the Incoming Webhook (not the Partner API's)."""
    return load_contract(str(settings.SANDBOX_MESSAGING_CONTRACT))
