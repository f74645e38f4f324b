"""Photo jobs: staff photos to and from the ECS."""

from __future__ import annotations

from jobs.runtime import job
from storefront.photos.services import delete_ecs_image as _delete_ecs_image
from storefront.photos.services import import_discogs_images as _import_discogs_images
from storefront.photos.services import push_photo as _push_photo


@job
def push_photo(photo_id: int) -> str:
    """Send a staff photo to the ECS as a CatalogImage (retried by the queue when the ECS fails)."""
    return _push_photo(photo_id)


@job
def delete_ecs_image(ecs_image_id: str) -> bool:
    """Delete a removed photo's CatalogImage in the ECS."""
    return _delete_ecs_image(ecs_image_id)


@job
def import_discogs_images(item_id: int) -> dict[str, int]:
    """Store the Discogs images an item's enrichment lists (and drop those it no longer lists)."""
    return _import_discogs_images(item_id)
