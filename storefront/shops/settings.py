"""Per-shop settings: ``app.config[...]`` answers the value of the shop in context for the settings
a shop may set for itself (its name, accent colour, ECS credentials and webhook keys, Discogs
token …), and the deployment's value otherwise. Every existing ``current_app.config["X"]`` read is
therefore per shop without knowing it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Config

from storefront.shops.context import DEFAULT_SHOP, explicit_shop

OVERRIDABLE = frozenset({
    "SHOP_NAME", "SHOP_ACCENT_COLOUR", "SHOP_LOGO_URL", "SHOP_TIMEZONE", "ECS_BASE_URL", "ECS_LOCATION_ID",
    "ECS_CHANNEL_ID", "ECS_WEBHOOK_NOTIFICATION_URL", "PUBLIC_BASE_URL", "INQUIRY_NOTIFY_EMAIL",
    "ORDER_NOTIFY_EMAIL", "TAX_PERCENT", "TAX_NAME", "TAX_INCLUSIVE", "CART_MAX_PER_ITEM", "MAIL_FROM",
    "ECS_ACCESS_TOKEN", "ECS_WEBHOOK_SIGNATURE_KEYS", "DISCOGS_TOKEN",
})


class ShopConfig(Config):
    """Flask's Config, with the shop in context's own values of :data:`OVERRIDABLE` settings."""

    shop_settings: Callable[[str], Mapping[str, Any]] | None = None

    def __getitem__(self, key: str) -> Any:
        if key in OVERRIDABLE and self.shop_settings is not None:
            code = explicit_shop()
            if code is not None and code != DEFAULT_SHOP:
                own = self.shop_settings(code)
                if key in own:
                    return own[key]
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:  # noqa: ANN401
        try:
            return self[key]
        except KeyError:
            return default
