"""``GET /media/ecs/<image_id>/<width>.jpg``: a catalog image at one of the allowed widths."""

from __future__ import annotations

from flask import Blueprint, Response, request

from storefront.catalog.media import MEDIA_PREFIX, MediaError, rendition
from storefront.extensions import limiter

bp = Blueprint("media", __name__, url_prefix="/media")
limiter.exempt(bp)  # a listing asks for two dozen covers at once
ONE_YEAR = 365 * 24 * 3600


@bp.get(MEDIA_PREFIX.removeprefix("/media") + "/<image_id>/<int:width>.jpg")
def ecs_image(image_id: str, width: int) -> Response:
    try:
        found = rendition(image_id, width)
    except MediaError as exc:
        response = Response(exc.message + "\n", status=exc.status, mimetype="text/plain")
        response.cache_control.no_store = True
        return response
    response = Response(found.data, mimetype="image/jpeg")
    response.set_etag(found.etag)
    response.cache_control.public = True
    response.cache_control.max_age = ONE_YEAR
    response.cache_control.immutable = True
    return response.make_conditional(request)
