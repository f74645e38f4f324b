"""Square's wire format: JSON responses, ``{"errors": [...]}`` bodies, request parsing, cursors."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from flask import Response, request

CATEGORY_BY_CODE = {
    "UNAUTHORIZED": "AUTHENTICATION_ERROR",
    "RATE_LIMITED": "RATE_LIMIT_ERROR",
    "INTERNAL_SERVER_ERROR": "API_ERROR",
    "SERVICE_UNAVAILABLE": "API_ERROR",
    "GATEWAY_TIMEOUT": "API_ERROR",
    "BAD_GATEWAY": "API_ERROR",
}


class SquareError(Exception):
    """Raised anywhere in a /v2 handler; rendered as Square's error body with ``status``."""

    def __init__(self, status: int, code: str, detail: str, field: str | None = None,
                 category: str | None = None) -> None:
        super().__init__(detail)
        self.status, self.code, self.detail, self.field = status, code, detail, field
        self.category = category or CATEGORY_BY_CODE.get(code, "INVALID_REQUEST_ERROR")

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"category": self.category, "code": self.code, "detail": self.detail}
        if self.field:
            error["field"] = self.field
        return {"errors": [error]}


def json_response(payload: dict[str, Any], status: int = 200) -> Response:
    """Compact JSON without key sorting (pages of 100 items are serialized often)."""
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return Response(text, status=status, mimetype="application/json")


class JsonCache:
    """Serialized JSON of published (never mutated) objects, keyed by id and checked by identity.

    A catalog walk re-serializes the same objects page after page; caching their text makes a page
    a string join. A stale entry (the id was republished) fails the identity check and is replaced.
    """

    def __init__(self) -> None:
        self._texts: dict[str, tuple[dict[str, Any], str]] = {}

    def dumps(self, obj: dict[str, Any]) -> str:
        entry = self._texts.get(obj["id"])
        if entry is not None and entry[0] is obj:
            return entry[1]
        text = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
        self._texts[obj["id"]] = (obj, text)
        return text

    def array(self, objects: list[dict[str, Any]]) -> RawJson:
        return RawJson("[" + ",".join(self.dumps(obj) for obj in objects) + "]")


class RawJson(str):
    """Text that is already JSON, to be spliced into a response as is."""


def spliced_response(parts: dict[str, Any], status: int = 200) -> Response:
    """A JSON object response whose values may be :class:`RawJson` (inserted verbatim) or plain values."""
    fields = [f"{json.dumps(k)}:{v if isinstance(v, RawJson) else json.dumps(v, ensure_ascii=False)}"
              for k, v in parts.items()]
    return Response("{" + ",".join(fields) + "}", status=status, mimetype="application/json")


def error_response(error: SquareError, headers: dict[str, str] | None = None) -> Response:
    response = json_response(error.body(), error.status)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def json_body() -> dict[str, Any]:
    """The request's JSON object, or Square's 400 for anything else (never a 500).

    Square answers a body it cannot parse with ``INVALID_REQUEST_ERROR`` / ``BAD_REQUEST`` and the
    parser's complaint (its sandbox says e.g. "invalid character 'c' looking for beginning of
    value"), whatever the Content-Type; JSON that is not an object is ``EXPECTED_JSON_BODY``.
    """
    raw = request.get_data(cache=True)
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        where = f" (line {exc.lineno}, character {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise SquareError(400, "BAD_REQUEST", f"The request body is not valid JSON{where}.") from None
    if not isinstance(body, dict):
        raise SquareError(400, "EXPECTED_JSON_BODY", "The request body must be a JSON object.")
    return body


def fingerprint(body: dict[str, Any]) -> str:
    """A stable hash of a request body, for idempotency-key reuse checks."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def optional(body: dict[str, Any], name: str, kind: type | tuple[type, ...], code: str, path: str | None = None) -> Any:
    """``body[name]`` if present and of ``kind`` (bools are not ints); None if absent/null."""
    value = body.get(name)
    if value is None:
        return None
    bad_bool = isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,))
    if not isinstance(value, kind) or bad_bool:
        expected = code.removeprefix("EXPECTED_").lower()
        raise SquareError(400, code, f"Expected `{path or name}` to be of type {expected}.", path or name)
    return value


def string_list(body: dict[str, Any], name: str) -> list[str] | None:
    values = optional(body, name, list, "EXPECTED_ARRAY")
    if values is None:
        return None
    for i, value in enumerate(values):
        if not isinstance(value, str):
            raise SquareError(400, "EXPECTED_STRING", f"Expected `{name}[{i}]` to be a string.", f"{name}[{i}]")
    return values


def require_idempotency_key(body: dict[str, Any], max_length: int = 192) -> str:
    """``idempotency_key``: set, and no longer than the endpoint's documented ``maxLength``."""
    key = optional(body, "idempotency_key", str, "EXPECTED_STRING")
    if not key:
        raise SquareError(400, "MISSING_REQUIRED_PARAMETER", "Field must be set", "idempotency_key")
    if len(key) > max_length:
        raise SquareError(400, "VALUE_TOO_LONG", f"Field must not be longer than {max_length} characters.",
                          "idempotency_key")
    return key


def encode_cursor(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str, epoch: int) -> dict[str, Any]:
    """The payload of a cursor this sandbox issued for ``kind``; 400 INVALID_CURSOR otherwise."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
    except (ValueError, TypeError):
        payload = None
    if not isinstance(payload, dict) or payload.get("k") != kind or payload.get("e") != epoch:
        raise SquareError(400, "INVALID_CURSOR", "The pagination cursor is not valid for this request.", "cursor")
    return payload
