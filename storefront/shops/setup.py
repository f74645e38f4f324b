"""Wiring the shops into the app: the registry-backed settings, the database routing, the CLI and
the WSGI resolver (called by :func:`storefront.create_app`)."""


from __future__ import annotations

import os
from typing import Any

from flask import Flask

from storefront.shops.context import set_shop, valid_code


def init_app(app: Flask) -> None:
    from storefront.shops import databases, registry
    from storefront.shops.admin_views import bp as platform_bp
    from storefront.shops.cli import shops_cli

    def own_settings(code: str) -> dict[str, Any]:
        return registry.settings_for(code, app)

    app.config.shop_settings = own_settings  # type: ignore[attr-defined]
    databases.init_app(app)
    app.cli.add_command(shops_cli)
    app.register_blueprint(platform_bp)
    cli_shop = os.environ.get("STOREFRONT_SHOP", "").strip().lower()
    if cli_shop:  # `STOREFRONT_SHOP=x flask …`: the command's edge
        if not valid_code(cli_shop):
            raise ValueError(f"STOREFRONT_SHOP: not a shop code: {cli_shop!r}")
        set_shop(cli_shop)


def wrap_wsgi(app: Flask) -> None:
    """Put the shop resolver in front of Flask (inside any ProxyFix, so it sees the real host)."""
    from storefront.shops.resolver import ShopResolver

    app.wsgi_app = ShopResolver(app, app.wsgi_app)  # type: ignore[method-assign]
