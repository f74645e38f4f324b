"""The /api/v1/shop blueprint: who the customer is (bearer JWT or the ``customer_token`` cookie),
the rate limits and the cookie's cross-site guard.

Rate limits (Flask-Limiter, ``X-RateLimit-*`` headers on every answer): 100 requests a minute per
IP for anonymous callers, 200 a minute per customer once authenticated, and 20 a minute per IP for
product searches. A JWT is verified once per request (``g.shop_api_claims``) — by the limiter's key
function too, before any view runs.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, g, request
from flask_limiter.util import get_remote_address

from storefront.core.errors import DomainError, Unauthorized
from storefront.extensions import csrf, limiter
from storefront.shopapi.tokens import claims_of, customer_of

bp = Blueprint("shop_api", __name__, url_prefix="/api/v1/shop")
COOKIE_NAME = "customer_token"
View = Callable[..., Any]

# The API's callers are headless front ends: cookie-authenticated writes are guarded by
# SameSite=Lax plus the Origin check below, bearer-authenticated ones need no CSRF token.
csrf.exempt(bp)


class Forbidden(DomainError):
    code = "forbidden"
    http_status = 403


def presented_token() -> tuple[str | None, str]:
    """The JWT the request carries and how: ("…", "bearer"), ("…", "cookie") or (None, "")."""
    scheme, _, token = request.headers.get("Authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip(), "bearer"
    cookie = request.cookies.get(COOKIE_NAME)
    return (cookie, "cookie") if cookie else (None, "")


def _claims() -> dict[str, object] | None:
    if "shop_api_claims" not in g:
        token, _how = presented_token()
        g.shop_api_claims = claims_of(token)
    return g.shop_api_claims  # type: ignore[no-any-return]


def _customer_key() -> str:
    claims = _claims()
    return f"shop-customer:{claims['sub']}" if claims else (get_remote_address() or "unknown")


def _anonymous() -> bool:
    return _claims() is None


def _signed_in() -> bool:
    return _claims() is not None


def _public_limit() -> str:
    return str(current_app.config["SHOP_API_RATE_LIMIT"])


def _customer_limit() -> str:
    return str(current_app.config["SHOP_API_CUSTOMER_RATE_LIMIT"])


def _search_limit() -> str:
    return str(current_app.config["SHOP_API_SEARCH_RATE_LIMIT"])


# Shared limits: one budget across every route of the API (per IP, per customer).
limiter.shared_limit(_public_limit, scope="shop-api-public", exempt_when=_signed_in)(bp)
limiter.shared_limit(_customer_limit, scope="shop-api-customer", key_func=_customer_key, exempt_when=_anonymous)(bp)
search_limit = limiter.limit(_search_limit, override_defaults=False, scope="shop-api-search",
                             exempt_when=lambda: not request.args.get("search"))


def _same_origin() -> bool:
    origin = request.headers.get("Origin") or request.headers.get("Referer") or ""
    if not origin:
        return False
    return urlsplit(origin).netloc == request.host


@bp.before_request
def _cookie_writes_come_from_this_site() -> None:
    """A write authenticated by the cookie must come from a page of this site (Origin/Referer)."""
    token, how = presented_token()
    if how == "cookie" and request.method not in ("GET", "HEAD", "OPTIONS") and not _same_origin():
        raise Forbidden("Cookie-authenticated changes must come from this site; send a bearer token instead.",
                        code="cross_site_request")
    del token


def current_customer_id() -> int | None:
    """The signed-in customer (bearer JWT or cookie), verified against the live token; None for a guest."""
    if "shop_api_customer" not in g:
        token, _how = presented_token()
        g.shop_api_customer = customer_of(token) if _claims() is not None else None
    return g.shop_api_customer  # type: ignore[no-any-return]


def customer_required(view: View) -> View:
    """401 unless a live customer token came with the request."""
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_customer_id() is None:
            raise Unauthorized("Log in first: send Authorization: Bearer <access_token> or the customer_token cookie.")
        return view(*args, **kwargs)

    wrapper.customer_only = True  # type: ignore[attr-defined]
    return wrapper


def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


bp.after_request(no_store)
