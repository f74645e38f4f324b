"""The demo's second shop, so many-shop hosting is visible: "Basement Tapes" at /vendors/basement/,
its own database (SQLite file), customers, orders, pages and accent colour, synced from the same
sandbox catalog."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Flask

from storefront.shops import registry
from storefront.shops.context import use_shop
from storefront.shops.services import create_shop, migrate_shop

SECOND_SHOP = "basement"
SECOND_NAME = "Basement Tapes"
SECOND_ACCENT = "#2f6f4e"


def ensure_second_shop(app: Flask) -> Iterator[str]:
    """Create (first run) or migrate (later runs) the second shop, then set it up like the first."""
    from storefront.demo.setup import prepare_demo

    public = str(app.config["PUBLIC_BASE_URL"]).rstrip("/")
    if registry.get_shop(SECOND_SHOP) is None:
        create_shop(SECOND_SHOP, SECOND_NAME, {"SHOP_ACCENT_COLOUR": SECOND_ACCENT,
                                               "PUBLIC_BASE_URL": f"{public}/vendors/{SECOND_SHOP}"})
    else:
        migrate_shop(SECOND_SHOP)
    with use_shop(SECOND_SHOP):
        for line in prepare_demo(app):
            if line.startswith("catalog:"):
                yield f"{SECOND_NAME}: {line}"
    yield f"second shop: {public}/vendors/{SECOND_SHOP}/ ({SECOND_NAME}: its own database, customers, orders, " \
          f"pages and colours; the same demo logins)"
