"""Photo JSON for the staff API."""

from __future__ import annotations

from typing import Any

from storefront.catalog.media import ALLOWED_WIDTHS, PHOTO_PREFIX
from storefront.photos.models import ItemPhoto


def photo_json(photo: ItemPhoto) -> dict[str, Any]:
    base = f"{PHOTO_PREFIX}/{photo.key}"
    return {
        "id": photo.id,
        "item_id": photo.item_id,
        "variation_id": photo.variation_id,
        "caption": photo.caption,
        "width": photo.width,
        "height": photo.height,
        "bytes": photo.size_bytes,
        "source": photo.source,
        "url": f"{base}/full.jpg",
        "thumbnails": {str(w): f"{base}/{w}.jpg" for w in ALLOWED_WIDTHS},
        "ecs": {"status": photo.ecs_status, "image_id": photo.ecs_image_id, "error": photo.ecs_error or None},
        "created_at": photo.created_at.isoformat().replace("+00:00", "Z"),
        "created_by": photo.created_by,
    }
