"""Wishlist items as JSON (the /api/v1 wishlist endpoints)."""

from __future__ import annotations

from typing import Any

from storefront.core.money import money_json
from storefront.wishlist import services


def wishlist_line_json(line: services.WishlistLine, *, with_added_at: bool = True) -> dict[str, Any]:
    """The API shape of one wishlist item: current price and stock state."""
    item = line.item
    body: dict[str, Any] = {
        "item_id": item.id,
        "name": item.name,
        "artist": item.artist,
        "title": item.title,
        "format": item.format,
        "available": line.available,
        "in_stock": line.in_stock,
        "price": money_json(item.price_amount, item.currency) if line.available else None,
    }
    if with_added_at:
        body["added_at"] = line.added_at.isoformat() if line.added_at else None
    return body
