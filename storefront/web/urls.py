"""Absolute URLs for links that leave the site (emails, ECS redirects), built on PUBLIC_BASE_URL."""

from __future__ import annotations

from typing import Any

from flask import current_app


def public_url(endpoint: str, **values: Any) -> str:
    """Absolute URL of ``endpoint`` on PUBLIC_BASE_URL — never the request's Host header, which a
    client controls; works outside a request (jobs)."""
    config = current_app.config
    adapter = current_app.url_map.bind("localhost", script_name=config.get("APPLICATION_ROOT") or "/")
    return config["PUBLIC_BASE_URL"].rstrip("/") + adapter.build(endpoint, values)
