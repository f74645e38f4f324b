"""``GET /media/photos/<key>/<name>``: a staff photo's stored file (``full.jpg`` or a page size)."""

from __future__ import annotations

import hashlib

from flask import Blueprint, Response, request

from storefront.catalog.media import PHOTO_PREFIX
from storefront.extensions import limiter
from storefront.photos.storage import storage, valid

bp = Blueprint("photos", __name__, url_prefix=PHOTO_PREFIX)
limiter.exempt(bp)  # a listing asks for two dozen covers at once
ONE_YEAR = 365 * 24 * 3600


@bp.get("/<key>/<name>")
def photo_file(key: str, name: str) -> Response:
    data = storage().get(key, name) if valid(key, name) else None
    if data is None:
        response = Response("No such photo.\n", status=404, mimetype="text/plain")
        response.cache_control.no_store = True
        return response
    response = Response(data, mimetype="image/jpeg")
    response.set_etag(hashlib.sha256(data).hexdigest()[:20])
    response.cache_control.public = True
    response.cache_control.max_age = ONE_YEAR
    response.cache_control.immutable = True  # a key's files never change: a new photo gets a new key
    return response.make_conditional(request)
