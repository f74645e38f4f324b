"""Jinja globals shared by every page."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app, has_request_context, request, url_for
from werkzeug.routing import BuildError

from storefront.core.addresses import format_address
from storefront.core.money import format_money
from storefront.web import assets

HTMX_VERSION = "2.0.8"
_HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


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


def local_time(value: datetime | None, style: str = "long") -> str:
    """A UTC time in the shop's time zone: "Thu 10 Dec, 19:30" (``style="iso"``: for <time datetime>)."""
    if value is None:
        return ""
    try:
        zone = ZoneInfo(current_app.config["SHOP_TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone)
    if style == "iso":
        return local.isoformat(timespec="minutes")
    return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"


def init_app(app: Flask) -> None:
    assets.init_app(app)
    app.jinja_env.globals.update(url_if=url_if, htmx_version=HTMX_VERSION, format_address=format_address)
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.globals["today"] = date.today

    @app.context_processor
    def shop_context() -> dict[str, object]:
        accent = str(current_app.config.get("SHOP_ACCENT_COLOUR") or "")
        return {"shop_name": current_app.config["SHOP_NAME"],
                "shop_accent": accent if _HEX_COLOUR.fullmatch(accent) else "",
                "shop_logo_url": str(current_app.config.get("SHOP_LOGO_URL") or "")}
