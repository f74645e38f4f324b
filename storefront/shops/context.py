"""The shop a request, job or command runs for."""

from __future__ import annotations

DEFAULT_SHOP = "default"


def current_shop_code() -> str:
    """The code of the shop in context (the single default shop for now)."""
    return DEFAULT_SHOP
