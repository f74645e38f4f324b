"""The demo's second shop, so many-shop hosting is visible: "Basement Tapes" at /vendors/basement/,
its own database (SQLite file), customers, orders, pages and accent colour, synced from the same
sandbox catalog — and kept in step with it by the sandbox's webhooks, delivered to its own,
separately signed URL ``/webhooks/square/basement`` (as two storefronts over one Square location)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Flask

from storefront.shops import registry
from storefront.shops.context import use_shop
from storefront.shops.services import create_shop, migrate_shop, update_shop

SECOND_SHOP = "basement"
SECOND_NAME = "Basement Tapes"
SECOND_ACCENT = "#2f6f4e"


def ensure_second_shop(app: Flask, sandbox: Any = None) -> Iterator[str]:  # noqa: ANN401
    """Create (first run) or migrate (later runs) the second shop, subscribe it to the sandbox's
    webhooks, then set it up like the first."""
    from storefront.demo.setup import prepare_demo

    public = str(app.config["PUBLIC_BASE_URL"]).rstrip("/")
    notify = str(app.config["ECS_WEBHOOK_NOTIFICATION_URL"]).rstrip("/") + f"/{SECOND_SHOP}"
    settings = {"SHOP_ACCENT_COLOUR": SECOND_ACCENT, "PUBLIC_BASE_URL": f"{public}/vendors/{SECOND_SHOP}",
                "ECS_WEBHOOK_NOTIFICATION_URL": notify}
    if registry.get_shop(SECOND_SHOP) is None:
        create_shop(SECOND_SHOP, SECOND_NAME, settings)
    else:
        update_shop(SECOND_SHOP, settings=settings)  # the demo's port may have moved since the last run
        migrate_shop(SECOND_SHOP)
    if sandbox is not None:
        webhooks = sandbox.app.extensions["ecs_sandbox"].webhooks
        webhooks.configure(urls=[*[u for u in webhooks.config.urls if u != notify], notify])
    with use_shop(SECOND_SHOP):
        for line in prepare_demo(app):
            if line.startswith("catalog:"):
                yield f"{SECOND_NAME}: {line}"
    yield f"second shop: {public}/vendors/{SECOND_SHOP}/ ({SECOND_NAME}: its own database, customers, orders, " \
          f"pages and colours; the same demo logins)"
