"""Builds the configured ECS client; the one place that reads ECS settings."""

from __future__ import annotations

from flask import Flask, current_app

from storefront.ecs.client import SquareClient


def ecs_client(app: Flask | None = None, *, quick: bool = False) -> SquareClient:
    """The app's Square client. ``quick`` gives a short-timeout, no-retry client for probes."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    key = "ecs_client_quick" if quick else "ecs_client"
    client = app.extensions.get(key)
    if client is None:
        cfg = app.config
        client = SquareClient(
            cfg["ECS_BASE_URL"],
            cfg["ECS_ACCESS_TOKEN"],
            square_version=cfg["ECS_SQUARE_VERSION"],
            timeout=2.0 if quick else cfg["ECS_TIMEOUT_SECONDS"],
            max_retries=0 if quick else cfg["ECS_MAX_RETRIES"],
        )
        app.extensions[key] = client
    return client
