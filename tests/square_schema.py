"""Validate JSON against Square's own OpenAPI spec (../shared/reference/square/api.json).

    from square_schema import validate
    validate(response.json(), "ListCatalogResponse")          # raises jsonschema.ValidationError
    validate(request_body, "CreatePaymentLinkRequest")

OpenAPI 3.0 ``nullable`` becomes ``anyOf [..., null]``; ``strict`` (the default) also refuses
properties a schema does not declare, so a misspelled field fails instead of slipping through.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

ROOT_URI = "urn:square-api"


def spec_path() -> Path:
    if os.environ.get("SQUARE_SPEC_PATH"):
        return Path(os.environ["SQUARE_SPEC_PATH"])
    return Path(__file__).resolve().parents[2] / "shared" / "reference" / "square" / "api.json"


@cache
def spec() -> dict[str, Any]:
    return json.loads(spec_path().read_text())


def _convert(node: Any, strict: bool) -> Any:
    if isinstance(node, list):
        return [_convert(n, strict) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _convert(v, strict) for k, v in node.items()
           if k not in ("nullable", "example", "x-release-status", "x-is-deprecated", "readOnly", "deprecated")}
    if "$ref" in out:
        out["$ref"] = ROOT_URI + out["$ref"]
        return out
    if strict and out.get("type") == "object" and "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


@cache
def _validators(strict: bool) -> tuple[Registry, Any]:
    schemas = {name: _convert(schema, strict) for name, schema in spec()["components"]["schemas"].items()}
    root = {"components": {"schemas": schemas}}
    registry = Registry().with_resource(ROOT_URI, Resource.from_contents(root, default_specification=DRAFT7))
    return registry, jsonschema.Draft7Validator


def validate(instance: Any, schema_name: str, *, strict: bool = True) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``instance`` matches ``components.schemas[schema_name]``."""
    if schema_name not in spec()["components"]["schemas"]:
        raise KeyError(f"no schema {schema_name!r} in the Square spec")
    registry, validator_class = _validators(strict)
    validator = validator_class({"$ref": f"{ROOT_URI}#/components/schemas/{schema_name}"}, registry=registry)
    error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
    if error is not None:
        raise error


def operation(method: str, path: str) -> dict[str, Any]:
    """The spec's operation object for e.g. ``("post", "/v2/catalog/search")``."""
    return spec()["paths"][path][method.lower()]


def request_schema_name(method: str, path: str) -> str:
    ref = operation(method, path)["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    return ref.rsplit("/", 1)[-1]


def response_schema_name(method: str, path: str, status: str = "200") -> str:
    ref = operation(method, path)["responses"][status]["content"]["application/json"]["schema"]["$ref"]
    return ref.rsplit("/", 1)[-1]
