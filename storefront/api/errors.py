"""The one error envelope: {"error": {"code", "message", "details", "request_id"}}."""

from __future__ import annotations

from flask import Response, jsonify

from storefront.web.requestid import current_request_id

# HTTP status -> machine-readable code for errors raised by Flask/Werkzeug itself.
STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}


def error_response(status: int, message: str, *, code: str | None = None,
                   details: list[dict[str, str]] | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    """Build the envelope response every API error uses."""
    body = {
        "error": {
            "code": code or STATUS_CODES.get(status, "error"),
            "message": message,
            "details": details or [],
            "request_id": current_request_id(),
        }
    }
    response = jsonify(body)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def shop_error_response(status: int, message: str, *, code: str | None = None,
                        details: list[dict[str, str]] | dict[str, object] | None = None,
                        headers: dict[str, str] | None = None) -> Response:
    """The Shop API's (/api/v1/shop) own documented error shape:
    ``{"error_code", "message", "status_code", "details"}`` (``details`` carries the request id)."""
    extra: dict[str, object] = {"request_id": current_request_id()}
    if isinstance(details, list):
        extra["fields"] = details
    elif details:
        extra.update(details)
    response = jsonify({"error_code": (code or STATUS_CODES.get(status, "error")).upper(), "message": message,
                        "status_code": status, "details": extra})
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response
