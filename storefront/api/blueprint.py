"""The /api/v1 blueprint object itself: domain ``api.py`` modules add their routes to ``bp``.

It lives apart from :func:`storefront.api.register_api` so a domain's routes import the blueprint
without importing the module that imports every domain (no loop between the API and the domains).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from storefront.extensions import csrf, limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")


def _api_rate_limit() -> str:
    return current_app.config["API_RATE_LIMIT"]


# Registered once at import: the limiter keeps blueprint limits across the apps it serves.
limiter.limit(_api_rate_limit)(bp)
# Clients authenticate with bearer tokens, not cookies, so CSRF does not apply here.
csrf.exempt(bp)


def conditional_get(response: Response) -> Response:
    """API GETs carry a strong ETag over the body and answer If-None-Match with 304."""
    if not request.path.startswith(bp.url_prefix or "/api/v1"):
        return response
    if request.method == "GET" and response.status_code == 200 and response.is_json:
        response.add_etag()
        response.make_conditional(request)
    response.headers.setdefault("Cache-Control", "no-cache")
    return response
