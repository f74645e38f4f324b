"""Builds the configured ECS client; the one place that reads ECS settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app, has_request_context

from storefront.ecs.client import SquareClient


def ecs_client(app: Flask | None = None, *, quick: bool = False) -> SquareClient:
    """The app's Square client. ``quick`` gives a short-timeout, no-retry client for probes. Inside a
    web request the client has a total deadline (ECS_WEB_DEADLINE_SECONDS) across its retries, so a
    shopper never waits long on the ECS; jobs and the CLI keep the patient client."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    web = not quick and has_request_context()
    key = "ecs_client_quick" if quick else ("ecs_client_web" if web else "ecs_client")
    client = app.extensions.get(key)
    if client is None:
        client = build_client(app.config, quick=quick, web=web)
        app.extensions[key] = client
    return client


def build_client(config: Mapping[str, Any], *, quick: bool = False, web: bool = False) -> SquareClient:
    """A new Square client from the app's settings (``ecs_client`` keeps one per app)."""
    deadline = float(config["ECS_WEB_DEADLINE_SECONDS"]) if web else None
    return SquareClient(
        config["ECS_BASE_URL"],
        config["ECS_ACCESS_TOKEN"],
        square_version=config["ECS_SQUARE_VERSION"],
        timeout=2.0 if quick else config["ECS_TIMEOUT_SECONDS"],
        max_retries=0 if quick else config["ECS_MAX_RETRIES"],
        deadline=deadline,
    )


def shop_location_id(app: Flask | None = None) -> str:
    """The configured ECS location, or the first one the ECS lists (looked up once)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    configured = app.config["ECS_LOCATION_ID"]
    if configured:
        return configured
    cached = app.extensions.get("ecs_location_id")
    if cached is None:
        locations = ecs_client(app).list_locations()
        if not locations:
            raise RuntimeError("the ECS lists no locations; set STOREFRONT_ECS_LOCATION_ID")
        cached = app.extensions["ecs_location_id"] = str(locations[0]["id"])
    return cached
