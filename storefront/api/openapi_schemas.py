"""JSON Schema building blocks and the shared components of the /api/v1 OpenAPI document.

Schemas describe what the serializers emit: every key they always write is ``required``, keys
they only sometimes write are listed in ``optional``, and objects are closed
(``additionalProperties: false``) so a renamed or new field fails the contract tests until the
document says so.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]

STR: Schema = {"type": "string"}
INT: Schema = {"type": "integer"}
BOOL: Schema = {"type": "boolean"}
NUM: Schema = {"type": "number"}
DATETIME: Schema = {"type": "string", "format": "date-time"}
DATE: Schema = {"type": "string", "format": "date"}
EMAIL: Schema = {"type": "string", "format": "email"}
ANY_OBJECT: Schema = {"type": "object", "additionalProperties": True}


def ref(name: str) -> Schema:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: Schema) -> Schema:
    """The schema, or null (OpenAPI 3.1 style: a type list, or anyOf for references)."""
    if "$ref" in schema or "type" not in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    widened = {**schema, "type": [*types, "null"]}
    if "enum" in widened:
        widened["enum"] = [*widened["enum"], None]
    return widened


def string(**constraints: Any) -> Schema:
    return {"type": "string", **constraints}


def integer(**constraints: Any) -> Schema:
    return {"type": "integer", **constraints}


def enum(*values: str) -> Schema:
    return {"type": "string", "enum": list(values)}


def array(items: Schema, **constraints: Any) -> Schema:
    return {"type": "array", "items": items, **constraints}


def obj(properties: dict[str, Schema], *, optional: tuple[str, ...] = (), closed: bool = True,
        description: str | None = None) -> Schema:
    """An object whose properties are all required except ``optional``; closed unless told."""
    schema: Schema = {"type": "object", "properties": properties,
                      "required": [name for name in properties if name not in optional],
                      "additionalProperties": not closed}
    if description:
        schema["description"] = description
    return schema


def request_obj(properties: dict[str, Schema], *, required: tuple[str, ...] = (), closed: bool = False,
                description: str | None = None) -> Schema:
    """A request body object: only ``required`` must be sent; open unless the route rejects unknown keys."""
    schema: Schema = {"type": "object", "properties": properties, "required": list(required),
                      "additionalProperties": not closed}
    if description:
        schema["description"] = description
    return schema


# --- shared shapes ---------------------------------------------------------------------------

COMMON_SCHEMAS: dict[str, Schema] = {
    "FieldError": obj({"field": STR, "message": STR}),
    "Error": obj({
        "error": obj({
            "code": string(description="Machine-readable, e.g. not_found, validation_error, rate_limited."),
            "message": string(description="A sentence a person can read."),
            "details": array(ref("FieldError"), description="One entry per problem field (may be empty)."),
            "request_id": string(description="Same as the X-Request-ID response header."),
        }),
    }, description="The one error envelope every non-2xx response uses."),
    "Money": obj({
        "amount": integer(description="Minor units (cents)."),
        "currency": string(pattern="^[A-Z]{3}$", description="ISO 4217 code."),
        "formatted": string(description="For display, e.g. $19.99."),
    }, description="Money as integer minor units, never a float."),
    "Pagination": obj({
        "page": integer(minimum=1), "limit": integer(minimum=1), "total": integer(minimum=0),
        "pages": integer(minimum=1), "has_next": BOOL, "has_prev": BOOL,
    }),
    "Accepted": obj({"status": STR, "message": STR},
                    description="The request was accepted; the outcome is not revealed (no account enumeration)."),
}

SECURITY_SCHEMES: dict[str, Schema] = {
    "shopBearer": {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "The Shop API's `access_token` from POST /api/v1/shop/auth/login. A token minted by "
                       "another shop is refused (401).",
    },
    "shopCookie": {
        "type": "apiKey", "in": "cookie", "name": "customer_token",
        "description": "The same JWT in the HttpOnly cookie the login sets; changes sent with it must come "
                       "from this site (Origin/Referer), else 403.",
    },
    "customerBearer": {
        "type": "http", "scheme": "bearer",
        "description": "A customer token from POST /api/v1/customer/login: `Authorization: Bearer <token>`. "
                       "Missing/invalid/expired → 401 with WWW-Authenticate; a staff token → 403.",
    },
    "staffBearer": {
        "type": "http", "scheme": "bearer",
        "description": "A staff token from POST /api/v1/staff/login. Every /api/v1/staff route needs one "
                       "(except the login). A customer token or a too-low role → 403.",
    },
    "staffSignature": {
        "type": "apiKey", "in": "header", "name": "X-Signature",
        "description": "DLQ routes also need `X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>` over "
                       "`f\"{t}.{METHOD}.{path}.\"` + the raw body, keyed with STAFF_API_HMAC_KEY "
                       "(or a client IP in STAFF_API_IP_ALLOWLIST). Missing/malformed/stale → 401, "
                       "wrong → 403.",
    },
}

HEADERS: dict[str, Schema] = {
    "X-Request-ID": {"description": "The request id (echoed when the client sent a well-formed one); "
                                    "also in error bodies and server logs.",
                     "required": True, "schema": STR},
    "X-RateLimit-Limit": {"description": "Requests allowed in the current window.", "schema": INT},
    "X-RateLimit-Remaining": {"description": "Requests left in the current window.", "schema": INT},
    "X-RateLimit-Reset": {"description": "Unix time when the window resets.", "schema": INT},
    "Retry-After": {"description": "Seconds to wait before retrying.", "schema": INT},
    "ETag": {"description": "Strong validator over the body; send it back as If-None-Match.",
             "required": True, "schema": STR},
    "Location": {"description": "Where the created or started resource can be read.", "schema": STR},
    "WWW-Authenticate": {"description": "The authentication challenge.", "schema": STR},
    "Set-Cookie": {"description": "A cookie the response sets (the Shop API's `customer_token`).", "schema": STR},
}

# Error statuses → (component name, description). Every non-2xx response points at Error.
ERROR_RESPONSES: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "The body is not valid JSON or not a JSON object (code invalid_json), or a link/token "
                        "cannot be used, or the request carries a NUL character (code bad_request)."),
    401: ("Unauthorized", "Authentication is missing, invalid or expired (WWW-Authenticate says how)."),
    403: ("Forbidden", "Authenticated, but not allowed (wrong kind of token, too-low role, bad signature)."),
    404: ("NotFound", "Nothing matches (unknown id, token or path)."),
    409: ("Conflict", "The request conflicts with the current state."),
    413: ("PayloadTooLarge", "The body is larger than the endpoint accepts (the message says the limit)."),
    415: ("UnsupportedMediaType", "Send the body as application/json."),
    422: ("ValidationFailed", "The input is well-formed but invalid; `details` names each field."),
    429: ("RateLimited", "Too many requests; see Retry-After and X-RateLimit-*."),
    502: ("BadGateway", "An upstream service (e.g. Discogs) answered badly."),
    503: ("ServiceUnavailable", "A dependency (database, Redis, the commerce provider) is unavailable."),
}

RATE_LIMIT_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")


def header_refs(*names: str) -> dict[str, Schema]:
    return {name: {"$ref": f"#/components/headers/{name}"} for name in names}


def error_response_components() -> dict[str, Schema]:
    """components.responses: one per error status, each the Error envelope."""
    responses: dict[str, Schema] = {}
    for status, (name, description) in ERROR_RESPONSES.items():
        names = ["X-Request-ID", *RATE_LIMIT_HEADERS]
        if status == 401:
            names.append("WWW-Authenticate")
        if status in (429, 503):
            names.append("Retry-After")
        responses[name] = {"description": description, "headers": header_refs(*names),
                           "content": {"application/json": {"schema": ref("Error")}}}
    responses["NotModified"] = {"description": "The ETag sent in If-None-Match still matches; no body.",
                                "headers": header_refs("X-Request-ID", "ETag")}
    return responses
