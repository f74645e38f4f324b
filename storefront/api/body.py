"""Reading JSON request bodies with clear errors."""

from __future__ import annotations

from typing import Any

from flask import request

from storefront.core.errors import DomainError


class BadRequestBody(DomainError):
    code = "invalid_json"
    http_status = 400


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"
    http_status = 415


def json_object() -> dict[str, Any]:
    """The request body as a JSON object, or a 400/415 domain error saying what is wrong."""
    if not request.is_json:
        raise UnsupportedMediaType("Send the request body as JSON (Content-Type: application/json).")
    payload = request.get_json(silent=True)
    if payload is None:
        raise BadRequestBody("The request body is not valid JSON.")
    if not isinstance(payload, dict):
        raise BadRequestBody("The request body must be a JSON object.")
    return payload
