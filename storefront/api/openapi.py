"""The OpenAPI 3.1 document for /api/v1, built from small per-area operation lists, and where it is served.

* ``GET /api/v1/openapi.json`` — the document (built once per app, cached).
* ``GET /api/v1/docs`` — the same document as a server-rendered HTML page.

Each area module (``openapi_shop``, ``openapi_staff``, …) lists ``Op`` entries and its own schemas
(and, for an area with its own error shapes such as ``openapi_channels``, its own ``RESPONSES``);
adding a route means adding one ``Op`` there. The builder fills in what every operation shares:
path parameters (typed from the Flask URL converters), the error responses implied by the
operation's auth and body, 304/ETag on GETs, 429 and the X-Request-ID / X-RateLimit-* headers.
``tests/test_openapi.py`` compares the document with ``app.url_map`` both ways.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template
from werkzeug.routing import IntegerConverter, Rule, UnicodeConverter

from storefront.api.blueprint import bp
from storefront.api.openapi_schemas import (
    COMMON_SCHEMAS,
    ERROR_RESPONSES,
    HEADERS,
    RATE_LIMIT_HEADERS,
    SECURITY_SCHEMES,
    Schema,
    error_response_components,
    header_refs,
    ref,
)

API_PREFIX = "/api/v1"
OPENAPI_VERSION = "3.1.0"
EXTENSION_KEY = "openapi_document"

# What each auth kind requires (OpenAPI security requirement) and the statuses it can add.
SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "customer": [{"customerBearer": []}],
    "customer_optional": [{"customerBearer": []}, {}],
    "staff": [{"staffBearer": []}],
    "admin": [{"staffBearer": []}],
    "dlq": [{"staffBearer": [], "staffSignature": []}],
    "shop_customer": [{"shopBearer": []}, {"shopCookie": []}],
    "shop_optional": [{"shopBearer": []}, {"shopCookie": []}, {}],
}
AUTH_NOTES = {
    "customer": "Customer bearer token.",
    "customer_optional": "A customer bearer token, or none to buy as a guest (then `email` is required).",
    "staff": "Staff bearer token (any role).",
    "admin": "Staff bearer token with the admin role (staff → 403).",
    "dlq": "Staff bearer token and an HMAC-signed request (X-Signature) or an allow-listed IP; "
           "the member also needs two-factor sign-in on, as on the DLQ pages (403 totp_required).",
    "shop_customer": "The Shop API's JWT: `Authorization: Bearer <access_token>` or the `customer_token` cookie.",
    "shop_optional": "The Shop API's JWT (bearer or cookie), or none to buy as a guest (then `email` is required).",
}


@dataclass(frozen=True)
class Op:
    """One documented operation; ``ok`` maps each success status to its JSON schema (None = no body)."""

    method: str
    path: str
    operation_id: str
    tag: str
    summary: str
    ok: dict[int, Schema | None]
    description: str = ""
    auth: str | None = None
    query: tuple[Schema, ...] = ()
    headers: tuple[Schema, ...] = ()
    body: Schema | None = None
    body_required: bool = True
    json_body_errors: bool = True  # the route reads the body with json_object(): 400 invalid_json, 415
    errors: tuple[int, ...] = ()
    ok_headers: dict[int, tuple[str, ...]] = field(default_factory=dict)
    path_params: dict[str, Schema] = field(default_factory=dict)  # descriptions/overrides by name
    content_type: str = "application/json"
    body_content_type: str = "application/json"
    # status → a components.responses name replacing the shared Error one (an area with its own shapes)
    error_responses: dict[int, str] = field(default_factory=dict)
    extensions: dict[str, Any] = field(default_factory=dict)  # x-… keys of the operation object


def query_param(name: str, schema: Schema, description: str = "", *, required: bool = False) -> Schema:
    param: Schema = {"name": name, "in": "query", "required": required, "schema": schema}
    if description:
        param["description"] = description
    return param


def header_param(name: str, schema: Schema, description: str = "", *, required: bool = False) -> Schema:
    param: Schema = {"name": name, "in": "header", "required": required, "schema": schema}
    if description:
        param["description"] = description
    return param


def page_params(default_limit: int, max_limit: int) -> tuple[Schema, Schema]:
    """``page``/``limit`` as storefront.web.pagination.page_request validates them."""
    return (query_param("page", {"type": "integer", "minimum": 1, "maximum": 10_000, "default": 1},
                        "1-based page number."),
            query_param("limit", {"type": "integer", "minimum": 1, "maximum": max_limit, "default": default_limit},
                        "Items per page."))


# --- path parameters from the URL map --------------------------------------------------------

_RULE_ARG = re.compile(r"<(?:(?P<conv>[a-zA-Z_][a-zA-Z0-9_]*)(?:\([^)]*\))?:)?(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)>")


def openapi_path(rule: str) -> str:
    """Flask's ``/cart/items/<int:variation_id>`` → OpenAPI's ``/cart/items/{variation_id}``."""
    return _RULE_ARG.sub(lambda m: "{" + m.group("name") + "}", rule)


def api_rules(app: Flask) -> list[Rule]:
    """The URL rules under /api/v1 (what the document must describe)."""
    return [r for r in app.url_map.iter_rules() if r.rule == API_PREFIX or r.rule.startswith(API_PREFIX + "/")]


def converter_schema(converter: Any) -> Schema:
    """The JSON schema of the values a Werkzeug URL converter accepts."""
    if isinstance(converter, IntegerConverter):
        schema: Schema = {"type": "integer", "minimum": converter.min if converter.min is not None else 0}
        if converter.max is not None:
            schema["maximum"] = converter.max
        return schema
    schema = {"type": "string", "pattern": "^[^/]+$", "minLength": 1}
    if isinstance(converter, UnicodeConverter):
        limits = re.fullmatch(r"\[\^/\]\{(\d+),(\d*)\}", converter.regex)
        if limits:
            schema["minLength"] = int(limits.group(1))
            if limits.group(2):
                schema["maxLength"] = int(limits.group(2))
    return schema


def path_param_schemas(app: Flask) -> dict[str, dict[str, Schema]]:
    """OpenAPI path → {argument: schema} taken from the routes' converters."""
    result: dict[str, dict[str, Schema]] = {}
    for rule in api_rules(app):
        result.setdefault(openapi_path(rule.rule), {}).update(
            {name: converter_schema(conv) for name, conv in (rule._converters or {}).items()})
    return result


# --- building --------------------------------------------------------------------------------

def _error_statuses(op: Op) -> list[int]:
    # 400: any request may be refused before routing (a NUL character anywhere: input_guard)
    statuses = set(op.errors) | {400, 429}
    if op.auth:
        statuses |= {401, 403}
    if op.body is not None and op.json_body_errors:
        statuses |= {400, 415}
    if "{" in op.path:
        statuses.add(404)
    return sorted(statuses)


def _success_response(op: Op, status: int, schema: Schema | None) -> Schema:
    names = ["X-Request-ID", *RATE_LIMIT_HEADERS, *op.ok_headers.get(status, ())]
    if op.method == "GET" and status == 200 and op.content_type == "application/json":
        names.append("ETag")
    response: Schema = {"description": schema.get("description", "Success.") if schema else "Success, no body.",
                        "headers": header_refs(*names)}
    if schema is not None:
        response["content"] = {op.content_type: {"schema": schema}}
    return response


def operation_object(op: Op, path_schemas: dict[str, Schema]) -> Schema:
    """The OpenAPI operation object for ``op``."""
    params: list[Schema] = []
    for name in re.findall(r"{([^}]+)}", op.path):
        schema = {**path_schemas.get(name, {"type": "string"}), **op.path_params.get(name, {})}
        description = schema.pop("description", None)
        param: Schema = {"name": name, "in": "path", "required": True, "schema": schema}
        if description:
            param["description"] = description
        params.append(param)
    params += [*op.query, *op.headers]
    responses: dict[str, Schema] = {str(s): _success_response(op, s, schema) for s, schema in op.ok.items()}
    if op.method == "GET" and op.content_type == "application/json":
        responses["304"] = {"$ref": "#/components/responses/NotModified"}
    for status in sorted(set(_error_statuses(op)) | set(op.error_responses)):
        name = op.error_responses.get(status) or ERROR_RESPONSES[status][0]
        responses[str(status)] = {"$ref": f"#/components/responses/{name}"}
    operation: Schema = {"operationId": op.operation_id, "tags": [op.tag], "summary": op.summary,
                         **op.extensions}
    description = op.description
    if op.auth:
        operation["security"] = SECURITY[op.auth]
        description = f"{description}\n\n**Auth:** {AUTH_NOTES[op.auth]}".strip()
    else:
        operation["security"] = []
    if description:
        operation["description"] = description
    if params:
        operation["parameters"] = params
    if op.body is not None:
        operation["requestBody"] = {"required": op.body_required,
                                    "content": {op.body_content_type: {"schema": op.body}}}
    operation["responses"] = responses
    return operation


def area_modules() -> list[Any]:
    """The modules that hold the operation lists (imported lazily: they use the helpers above)."""
    from storefront.api import openapi_channels, openapi_shop, openapi_shopapi, openapi_staff, openapi_staff_catalog

    return [openapi_shop, openapi_staff, openapi_staff_catalog, openapi_channels, openapi_shopapi]


def all_operations() -> list[Op]:
    return [op for module in area_modules() for op in module.OPERATIONS]


def build_document(app: Flask) -> dict[str, Any]:
    """The whole OpenAPI 3.1 document for this app's /api/v1 routes."""
    params_by_path = path_param_schemas(app)
    schemas = dict(COMMON_SCHEMAS)
    responses = error_response_components()
    tags: list[Schema] = []
    for module in area_modules():
        schemas.update(module.SCHEMAS)
        responses.update(getattr(module, "RESPONSES", {}))
        tags += module.TAGS
    paths: dict[str, dict[str, Schema]] = {}
    for op in all_operations():
        paths.setdefault(op.path, {})[op.method.lower()] = operation_object(op, params_by_path.get(op.path, {}))
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": f"{app.config.get('SHOP_NAME') or 'Storefront'} API",
            "version": "1.0.0",
            "summary": "JSON API of the storefront: catalog, cart, checkout, orders, accounts, wishlist, "
                       "event inquiries and the staff back office.",
            "description": (
                "JSON only. Every response carries `X-Request-ID`; rate-limited routes carry "
                "`X-RateLimit-Limit/Remaining/Reset`. Errors use the `Error` envelope, except the "
                "channel-connector API (`/api/v1/staff/channel-connectors`) and the Shop API "
                "(`/api/v1/shop`), which answer their own documented shapes (see their tags). "
                "List endpoints paginate with `page`/`limit` and return a `pagination` object. "
                "GETs send a strong `ETag` and answer `If-None-Match` with 304."),
        },
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "tags": tags,
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": schemas,
            "responses": responses,
            "headers": HEADERS,
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


def document(app: Flask) -> dict[str, Any]:
    """The cached document of ``app`` (built on first use)."""
    cached = app.extensions.get(EXTENSION_KEY)
    if cached is None:
        cached = app.extensions[EXTENSION_KEY] = build_document(app)
    return cached


@bp.get("/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI 3.1 document describing every /api/v1 route."""
    return jsonify(document(current_app._get_current_object()))  # type: ignore[attr-defined]


@bp.get("/docs")
def api_docs() -> str:
    """The API reference as a server-rendered page (no scripts, no CDN)."""
    from storefront.api.openapi_docs import docs_context

    return render_template("api/docs.html", **docs_context(document(current_app._get_current_object())))  # type: ignore[attr-defined]


__all__ = ["Op", "build_document", "document", "header_param", "page_params", "query_param", "ref"]
