"""Wantlist entries as JSON (the /api/v1/wantlist endpoints)."""

from __future__ import annotations

from typing import Any

from storefront.core.money import money_json
from storefront.wantlist.models import WantlistEntry


def entry_json(entry: WantlistEntry) -> dict[str, Any]:
    """The API shape of one entry: what it follows and its conditions (prices in minor units)."""
    item = entry.item if entry.kind == "release" else None
    currency = item.currency if item is not None else "USD"
    return {
        "id": entry.id,
        "kind": entry.kind,
        "item": ({"id": item.id, "name": item.name, "artist": item.artist, "title": item.title,
                  "in_stock": item.in_stock and not item.is_deleted} if item is not None else None),
        "artist": entry.artist or None if entry.kind == "artist" else None,
        "search": entry.search or None if entry.kind == "search" else None,
        "min_grade": entry.min_grade or None,
        "max_price": money_json(entry.max_price, currency) if entry.max_price is not None else None,
        "created_at": entry.created_at.isoformat() if entry.created_at else None,
    }
