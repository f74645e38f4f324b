"""Turn the OpenAPI document into plain view data for the server-rendered docs page (templates/api/docs.html)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

Schema = dict[str, Any]
METHOD_ORDER = {"get": 0, "post": 1, "put": 2, "patch": 3, "delete": 4}
_CONSTRAINTS = (("minimum", "≥ {}"), ("maximum", "≤ {}"), ("minLength", "min length {}"),
                ("maxLength", "max length {}"), ("minItems", "min {} items"), ("maxItems", "max {} items"),
                ("pattern", "pattern {}"), ("format", "{}"), ("default", "default {}"))


def inline_markdown(text: str) -> Markup:
    """The bits of CommonMark the descriptions use (**bold**, `code`), after escaping everything else."""
    html = str(escape(text))
    html = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html)
    html = re.sub(r"`([^`]+)`", r"<code>\1</code>", html)
    return Markup(html)  # noqa: S704 - built from escaped text


def ref_name(schema: Schema) -> str | None:
    target = schema.get("$ref", "")
    return target.rsplit("/", 1)[-1] if target.startswith("#/components/") else None


@dataclass
class SchemaRow:
    """One line of a schema table: a property (or the root) with its type and constraints."""

    depth: int
    name: str
    type: str
    link: str | None = None
    required: bool = False
    notes: str = ""
    description: str = ""


def _types(schema: Schema) -> tuple[str, str | None, Schema | None]:
    """(label, linked component, schema whose properties to expand) for one schema."""
    name = ref_name(schema)
    if name:
        return name, name, None
    for key in ("anyOf", "oneOf"):
        if key in schema:
            parts = [_types(s) for s in schema[key]]
            link = next((p[1] for p in parts if p[1]), None)
            inner = next((p[2] for p in parts if p[2]), None)
            return " or ".join(p[0] for p in parts), link, inner
    kind = schema.get("type", "any")
    kinds = kind if isinstance(kind, list) else [kind]
    if "array" in kinds:
        item_label, link, inner = _types(schema.get("items", {}))
        label = f"array of {item_label}"
        return " or ".join([label if k == "array" else k for k in kinds]), link, inner
    if "enum" in schema:
        values = ", ".join("null" if v is None else repr(v) for v in schema["enum"])
        return f"{' or '.join(kinds)}: one of {values}", None, None
    expand = schema if "object" in kinds and "properties" in schema else None
    if "object" in kinds and isinstance(schema.get("additionalProperties"), dict):
        value_label, link, inner = _types(schema["additionalProperties"])
        return f"map of string → {value_label}", link, inner
    return " or ".join(kinds), None, expand


def _notes(schema: Schema) -> str:
    return "; ".join(template.format(schema[key]) for key, template in _CONSTRAINTS if key in schema)


def schema_rows(schema: Schema, name: str = "body", depth: int = 0, required: bool = True) -> list[SchemaRow]:
    """The schema as indented rows; component references are linked, not expanded."""
    label, link, expand = _types(schema)
    rows = [SchemaRow(depth, name, label, link, required, _notes(schema), schema.get("description", ""))]
    if expand is not None and depth < 6:
        wanted = set(expand.get("required", []))
        for prop, sub in expand.get("properties", {}).items():
            rows += schema_rows(sub, prop, depth + 1, prop in wanted)
    return rows


@dataclass
class ResponseView:
    status: str
    description: str
    link: str | None
    rows: list[SchemaRow] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)


@dataclass
class OperationView:
    method: str
    path: str
    anchor: str
    summary: str
    description: Markup
    security: list[str]
    parameters: list[dict[str, Any]]
    body_rows: list[SchemaRow]
    body_required: bool
    responses: list[ResponseView]


def _param_view(param: Schema) -> dict[str, Any]:
    label, _link, _expand = _types(param.get("schema", {}))
    return {"name": param["name"], "in": param["in"], "required": param.get("required", False),
            "type": label, "notes": _notes(param.get("schema", {})), "description": param.get("description", "")}


def _response_view(status: str, response: Schema, components: Schema) -> ResponseView:
    link = ref_name(response)
    if link:
        response = components["responses"][link]
    content = response.get("content", {})
    schema = next(iter(content.values()), {}).get("schema") if content else None
    return ResponseView(status=status, description=response.get("description", ""), link=None,
                        rows=schema_rows(schema, "body") if schema else [],
                        headers=[ref_name(h) or name for name, h in response.get("headers", {}).items()])


def _operation_view(path: str, method: str, op: Schema, components: Schema) -> OperationView:
    body = op.get("requestBody", {})
    body_schema = next(iter(body.get("content", {}).values()), {}).get("schema") if body else None
    security = [" + ".join(requirement) for requirement in op.get("security", []) if requirement]
    return OperationView(
        method=method.upper(), path=path, anchor=op["operationId"], summary=op.get("summary", ""),
        description=inline_markdown(op.get("description", "")), security=security,
        parameters=[_param_view(p) for p in op.get("parameters", [])],
        body_rows=schema_rows(body_schema) if body_schema else [], body_required=bool(body.get("required")),
        responses=[_response_view(s, r, components) for s, r in op["responses"].items()],
    )


def docs_context(doc: dict[str, Any]) -> dict[str, Any]:
    """Everything the docs template shows: operations grouped by tag, then the shared components."""
    components = doc["components"]
    groups = [{"name": t["name"], "description": t.get("description", ""), "operations": []} for t in doc["tags"]]
    by_tag = {g["name"]: g for g in groups}
    for path, methods in doc["paths"].items():
        for method, op in sorted(methods.items(), key=lambda kv: METHOD_ORDER.get(kv[0], 9)):
            by_tag[op["tags"][0]]["operations"].append(_operation_view(path, method, op, components))
    return {
        "info": doc["info"],
        "info_description": inline_markdown(doc["info"].get("description", "")),
        "openapi_version": doc["openapi"],
        "groups": [g for g in groups if g["operations"]],
        "schemas": [(name, schema_rows(schema, name)) for name, schema in components["schemas"].items()],
        "security_schemes": [(name, s, inline_markdown(s.get("description", "")))
                             for name, s in components["securitySchemes"].items()],
        "headers": [(name, h.get("description", "")) for name, h in components["headers"].items()],
    }
