"""Errors become the API envelope under /api/ and the shop's own pages elsewhere."""

from __future__ import annotations

from flask import Flask, Response, current_app, render_template, request
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from storefront.api.errors import error_response, shop_error_response
from storefront.core.errors import DomainError
from storefront.ecs.errors import ECSUnavailable

API_PREFIX = "/api/"
SHOP_API_PREFIX = "/api/v1/shop"

_PAGE_TEMPLATES = {404: "errors/404.html", 429: "errors/429.html", 500: "errors/500.html"}


def wants_api_error() -> bool:
    return request.path.startswith(API_PREFIX)


def _api_error(status: int, message: str, *, code: str | None = None,
               details: list[dict[str, str]] | None = None) -> Response:
    """The envelope of the API the request went to: the Shop API has its own documented shape."""
    path = request.path
    if path == SHOP_API_PREFIX or path.startswith(SHOP_API_PREFIX + "/"):
        return shop_error_response(status, message, code=code, details=details)
    return error_response(status, message, code=code, details=details)


def _html_error(status: int, title: str, message: str) -> tuple[str, int]:
    template = _PAGE_TEMPLATES.get(status, "errors/generic.html")
    return render_template(template, status=status, title=title, message=message), status


def handle_http_exception(exc: HTTPException) -> Response | tuple[str, int]:
    status = exc.code or 500
    if isinstance(exc, RateLimitExceeded):
        message = f"Too many requests: limit is {exc.description}. Try again shortly."
    elif isinstance(exc, CSRFError):
        message = "The form expired or was sent from another site. Reload the page and try again."
    elif status == 404:
        message = "Nothing lives at this address."
    elif status == 405:
        message = f"{request.method} is not allowed on {request.path}."
    else:
        message = exc.description or exc.name
    if wants_api_error():
        code = "csrf_failed" if isinstance(exc, CSRFError) else None
        response = _api_error(status, message, code=code)
        valid_methods = getattr(exc, "valid_methods", None)
        if status == 405 and valid_methods:
            response.headers["Allow"] = ", ".join(valid_methods)
        return response
    return _html_error(status, exc.name, message)


def handle_domain_error(exc: DomainError) -> Response | tuple[str, int]:
    if wants_api_error():
        return _api_error(exc.http_status, exc.message, code=exc.code, details=[d.as_dict() for d in exc.details])
    return _html_error(exc.http_status, "Something needs attention", exc.message)


def handle_ecs_unreachable(exc: ECSUnavailable) -> Response | tuple[str, int]:
    """The commerce system did not answer (after its retries): 503, never a 500."""
    current_app.logger.warning("ECS unreachable on %s %s: %s", request.method, request.path, exc)
    message = "The shop's commerce system is not answering right now. Please try again in a minute."
    if wants_api_error():
        response = _api_error(503, message)
        response.headers["Retry-After"] = "30"
        return response
    return _html_error(503, "Service unavailable", message)


def handle_unexpected(exc: Exception) -> Response | tuple[str, int]:
    if isinstance(exc, HTTPException):  # pragma: no cover - routed to the handler above
        return handle_http_exception(exc)
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    if wants_api_error():
        return _api_error(500, "Something went wrong on our side. The request id helps us find it.")
    return _html_error(500, InternalServerError.name,
                       "Something went wrong on our side. Please try again in a moment.")


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(ECSUnavailable, handle_ecs_unreachable)
    app.register_error_handler(Exception, handle_unexpected)
