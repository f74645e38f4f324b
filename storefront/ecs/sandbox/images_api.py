"""Where the sandbox's CatalogImage URLs lead: ``GET /images/<image_id>.jpg``, a generated sleeve.

Like Square's image host it needs no token. Sleeves are drawn on first request and kept in
memory (:class:`~storefront.ecs.sandbox.covers.CoverCache`); the ETag follows the image's
version, so a client revalidating gets a 304.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, request

from storefront.ecs.sandbox.context import current_sandbox
from storefront.ecs.sandbox.covers import CoverCache
from storefront.ecs.sandbox.demo_catalog import IMAGE_URL_BASE

bp = Blueprint("sandbox_images", __name__)
covers = CoverCache()


@bp.get("/images/<image_id>.jpg")
def cover(image_id: str) -> Response:
    obj, _ = current_sandbox().store.catalog_object(image_id)
    data = (obj or {}).get("image_data") or {}
    if obj is None or obj["type"] != "IMAGE" or not str(data.get("url") or "").startswith(IMAGE_URL_BASE + "/"):
        abort(404)
    artist, _, title = str(data.get("name") or "").partition(" — ")
    response = Response(covers.get(image_id, artist, title), mimetype="image/jpeg")
    response.set_etag(f"{image_id}-{obj['version']}")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response.make_conditional(request)


def public_image_urls(response: Response) -> Response:
    """Catalog responses carry image URLs against a placeholder: answer with this sandbox's address."""
    if not request.path.startswith("/v2/catalog/") or response.direct_passthrough:
        return response
    body = response.get_data()
    marker = IMAGE_URL_BASE.encode()
    if marker in body:
        response.set_data(body.replace(marker, current_sandbox().base_url().encode()))
    return response
