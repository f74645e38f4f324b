"""Photo jobs: staff photos to and from the ECS."""

from __future__ import annotations

from jobs.runtime import job
from storefront.photos.services import delete_ecs_image as _delete_ecs_image
from storefront.photos.services import push_photo as _push_photo


@job
def push_photo(photo_id: int) -> str:
    """Send a staff photo to the ECS as a CatalogImage (retried by the queue when the ECS fails)."""
    return _push_photo(photo_id)


@job
def delete_ecs_image(ecs_image_id: str) -> bool:
    """Delete a removed photo's CatalogImage in the ECS."""
    return _delete_ecs_image(ecs_image_id)
