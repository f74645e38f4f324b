"""Jinja globals shared by every page."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, request, url_for
from werkzeug.routing import BuildError

from storefront.core.addresses import format_address
from storefront.core.money import format_money
from storefront.web import assets

HTMX_VERSION = "2.0.8"


def url_if(endpoint: str, **values: object) -> str | None:
    """URL of ``endpoint`` or None when that feature is not installed (nav hides the link).

    Argument-less URLs (the navigation, on every page) are remembered per app and script root.
    """
    if values:
        try:
            return url_for(endpoint, **values)
        except BuildError:
            return None
    known: dict[tuple[str, str], str | None] = current_app.extensions.setdefault("nav_urls", {})
    key = (endpoint, request.script_root if has_request_context() else "")
    if key not in known:
        try:
            known[key] = url_for(endpoint)
        except BuildError:
            known[key] = None
    return known[key]


def init_app(app: Flask) -> None:
    assets.init_app(app)
    app.jinja_env.globals.update(url_if=url_if, htmx_version=HTMX_VERSION, format_address=format_address)
    app.jinja_env.filters["money"] = format_money

    @app.context_processor
    def shop_context() -> dict[str, object]:
        return {"shop_name": current_app.config["SHOP_NAME"]}
