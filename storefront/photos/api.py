"""Staff photos over the API: list, upload (multipart ``file``), delete."""

from __future__ import annotations

from flask import Response, jsonify, request

from storefront.api.auth import staff_token_required
from storefront.api.blueprint import bp
from storefront.core.errors import ValidationError
from storefront.photos.serializers import photo_json
from storefront.photos.services import add_photo, list_photos, remove_photo
from storefront.staff.auth import acting_staff
from storefront.web.uploads import allow_uploads


@bp.get("/staff/items/<int:item_id>/images")
@staff_token_required
def staff_item_images(item_id: int) -> Response:
    """The item's staff photos in order."""
    return jsonify({"images": [photo_json(p) for p in list_photos(item_id)]})


@bp.post("/staff/items/<int:item_id>/images")
@staff_token_required
def staff_item_image_upload(item_id: int) -> Response:
    """Upload a JPEG, PNG or WebP (``file``), optionally of one copy (``variation_id``) with a ``caption``."""
    upload = request.files.get("file")
    if upload is None:
        raise ValidationError.for_field("file", "Send the photo as multipart/form-data in a field named file.")
    photo = add_photo(item_id, upload.read(), variation_id=request.form.get("variation_id"),
                      caption=request.form.get("caption", ""), actor=acting_staff())
    response = jsonify(photo_json(photo))
    response.status_code = 201
    return response


@bp.delete("/staff/items/<int:item_id>/images/<int:photo_id>")
@staff_token_required
def staff_item_image_delete(item_id: int, photo_id: int) -> Response:
    """Remove a photo (and its CatalogImage in the ECS)."""
    remove_photo(item_id, photo_id, actor=acting_staff())
    return Response(status=204)


allow_uploads("api.staff_item_image_upload", "PHOTO_MAX_BYTES")
