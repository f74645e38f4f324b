"""An item's enrichment as JSON (the staff /api/v1 product-details endpoints)."""

from __future__ import annotations

from typing import Any

from storefront.enrichment.services import current_payload, get_item, item_genres


def product_details_json(item_id: int) -> dict[str, Any]:
    """An item's enrichment as the API shows it (empty values and ``enriched: false`` when none)."""
    item = get_item(item_id)
    detail = item.detail
    genres = item_genres(item.id)
    return {
        "item_id": item.id,
        "enriched": detail is not None,
        **current_payload(item),
        "genres": [{"id": g.id, "name": g.name, "slug": g.slug, "source": source}
                   for source in ("ecs", "staff") for g in genres[source]],
        "updated_at": detail.updated_at.isoformat() if detail else None,
        "updated_by": detail.updated_by if detail else None,
    }
