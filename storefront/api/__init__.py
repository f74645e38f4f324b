"""The single /api/v1 blueprint: JSON only, one error envelope, request ids, ETags."""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, request

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


def register_api(app: Flask) -> None:
    """Import the domain API modules (they add routes to ``bp``) and register the blueprint."""
    from storefront.accounts import api as _accounts_api  # noqa: F401
    from storefront.api import openapi as _openapi  # noqa: F401
    from storefront.audit import api as _audit_api  # noqa: F401
    from storefront.cart import api as _cart_api  # noqa: F401
    from storefront.catalog import api as _catalog_api  # noqa: F401
    from storefront.enrichment import api as _enrichment_api  # noqa: F401
    from storefront.inquiries import api as _inquiries_api  # noqa: F401
    from storefront.lookups import api as _lookups_api  # noqa: F401
    from storefront.orders import api as _orders_api  # noqa: F401
    from storefront.staff import api as _staff_api  # noqa: F401
    from storefront.sync import api as _sync_api  # noqa: F401
    from storefront.system import api as _system_api  # noqa: F401
    from storefront.webhooks import api as _webhooks_api  # noqa: F401
    from storefront.wishlist import api as _wishlist_api  # noqa: F401

    app.register_blueprint(bp)
    app.after_request(conditional_get)
