"""Validate JSON against Square's own OpenAPI spec (tests/reference/square/api.json).

    from tests.support.square_schema import validate, request_schema_name, response_schema_name
    validate(response.json(), "ListCatalogResponse")          # raises jsonschema.ValidationError
    validate(body, request_schema_name("POST", "/v2/online-checkout/payment-links"))
    validate(body, response_schema_name("GET", "/v2/orders/{order_id}"))

The spec is read once. OpenAPI 3.0 ``nullable`` (also next to
a ``$ref``) becomes ``anyOf [..., null]``; ``required`` lists, types, enums and lengths are enforced.
``strict`` (the default) also refuses properties a schema does not declare, so a misspelled field
fails instead of slipping through; pass ``strict=False`` to accept unknown (e.g. newer) fields.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from tests.support import REFERENCE_DIR

ROOT_URI = "urn:square-api"
# OpenAPI-only annotations with no JSON Schema meaning (readOnly is advisory; examples are data).
_DROPPED = frozenset({"nullable", "example", "x-release-status", "x-is-deprecated", "readOnly", "deprecated"})


def spec_path() -> Path:
    """Where api.json lives: ``tests/reference/square/api.json`` (see tests/reference/README.md)."""
    return REFERENCE_DIR / "square" / "api.json"


@cache
def spec() -> dict[str, Any]:
    """The parsed spec (loaded once per process)."""
    return json.loads(spec_path().read_text(encoding="utf-8"))


def _convert(node: Any, strict: bool) -> Any:
    """One OpenAPI 3.0 schema node → JSON Schema draft 7."""
    if isinstance(node, list):
        return [_convert(n, strict) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _DROPPED:
            continue
        if key == "properties" and isinstance(value, dict):  # property names are data, never dropped
            out[key] = {name: _convert(sub, strict) for name, sub in value.items()}
        elif key == "$ref":
            out[key] = ROOT_URI + value
        else:
            out[key] = _convert(value, strict)
    if "$ref" in out:
        out = {"$ref": out["$ref"]}  # draft 7 ignores siblings of $ref anyway
    elif strict and out.get("type") == "object" and "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if node.get("nullable") is True:
        return {"anyOf": [out, {"type": "null"}]}
    return out


@cache
def _registry(strict: bool) -> Registry:
    schemas = {name: _convert(schema, strict) for name, schema in spec()["components"]["schemas"].items()}
    root = {"components": {"schemas": schemas}}
    return Registry().with_resource(ROOT_URI, Resource.from_contents(root, default_specification=DRAFT7))


def errors(instance: Any, schema_name: str, *, strict: bool = True) -> list[jsonschema.ValidationError]:
    """Every way ``instance`` breaks ``components.schemas[schema_name]`` (empty when it validates)."""
    if schema_name not in spec()["components"]["schemas"]:
        raise KeyError(f"no schema {schema_name!r} in the Square spec")
    ref = {"$ref": f"{ROOT_URI}#/components/schemas/{schema_name}"}
    return list(jsonschema.Draft7Validator(ref, registry=_registry(strict)).iter_errors(instance))


def validate(instance: Any, schema_name: str, *, strict: bool = True) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``instance`` matches ``components.schemas[schema_name]``."""
    error = jsonschema.exceptions.best_match(errors(instance, schema_name, strict=strict))
    if error is not None:
        raise error


def operation(method: str, path: str) -> dict[str, Any]:
    """The spec's operation object for e.g. ``("post", "/v2/catalog/search")`` (a path template)."""
    return spec()["paths"][path][method.lower()]


def request_schema_name(method: str, path: str) -> str:
    """The schema name of an operation's JSON request body, e.g. ``SearchCatalogObjectsRequest``."""
    ref = operation(method, path)["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return ref.rsplit("/", 1)[-1]


def response_schema_name(method: str, path: str, status: str = "200") -> str:
    """The schema name of an operation's JSON response, e.g. ``ListCatalogResponse``."""
    ref = operation(method, path)["responses"][status]["content"]["application/json"]["schema"]["$ref"]
    return ref.rsplit("/", 1)[-1]


def example(schema_name: str) -> Any:
    """The spec's own ``example`` for a schema (a deep copy, safe to mutate)."""
    return json.loads(json.dumps(spec()["components"]["schemas"][schema_name]["example"]))
