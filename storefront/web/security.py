"""Security headers on every response."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlsplit

from flask import Flask, Response, request


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


# Where Square's payment links open (a checkout form's redirect goes there, so form-action allows it).
SQUARE_CHECKOUT_ORIGINS = "https://square.link https://checkout.square.site https://sandbox.square.link"


def content_security_policy(app: Flask) -> str:
    """No inline or eval'd script; the hosted checkout origin may receive form redirects."""
    logo = str(app.config.get("SHOP_LOGO_URL") or "")
    return _policy(app.config["ECS_BASE_URL"], _origin(logo) if logo.startswith("https://") else "")


@lru_cache(maxsize=64)
def _policy(ecs_base_url: str, logo_origin: str = "") -> str:
    """Built from the ECS URL as it is when the request runs (``flask demo`` moves the sandbox's port
    after the app is created, and the payment redirect must still be allowed)."""
    checkout = f"{_origin(ecs_base_url)} {SQUARE_CHECKOUT_ORIGINS}".strip()
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        f"img-src 'self' data: https://i.discogs.com https://img.discogs.com {logo_origin}".strip(),
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        f"form-action 'self' {checkout}".strip(),
        "frame-ancestors 'none'",
    ])


def init_app(app: Flask) -> None:
    @app.after_request
    def set_security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", content_security_policy(app))
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
