"""Back office: upload and remove an item's photos (the form sits on the item's page)."""

from __future__ import annotations

from flask import Response, current_app, flash, redirect, request, url_for

from storefront.core.errors import DomainError
from storefront.photos.services import add_photo, remove_photo
from storefront.staff.auth import acting_staff, staff_blueprint
from storefront.web.uploads import allow_uploads

bp = staff_blueprint("staff_photos", __name__, url_prefix="/staff/items")


def _back(item_id: int) -> Response:
    return redirect(url_for("staff_items.item_page", item_id=item_id) + "#photos", code=303)


@bp.post("/<int:item_id>/photos")
def upload(item_id: int) -> Response:
    """Take the photo, or say exactly why not; nothing is stored when it is refused."""
    upload_file = request.files.get("file")
    if upload_file is None or not upload_file.filename:
        flash("Choose a photo to upload.", "error")
        return _back(item_id)
    try:
        add_photo(item_id, upload_file.read(), variation_id=request.form.get("variation_id"),
                  caption=request.form.get("caption", ""), actor=acting_staff())
    except DomainError as exc:
        if exc.http_status == 404:
            raise
        flash(f"{upload_file.filename[:80]}: {exc.message}", "error")
        return _back(item_id)
    flash("Photo added." + (" It goes to the till (Square) in the background."
                            if current_app.config["PHOTO_PUSH_TO_ECS"] else ""), "success")
    return _back(item_id)


@bp.post("/<int:item_id>/photos/<int:photo_id>/delete")
def delete(item_id: int, photo_id: int) -> Response:
    remove_photo(item_id, photo_id, actor=acting_staff())
    flash("Photo removed.", "success")
    return _back(item_id)


allow_uploads("staff_photos.upload", "PHOTO_MAX_BYTES")
