"""Square's CreateCatalogImage (``POST /v2/catalog/images``), and where the sandbox's CatalogImage
URLs lead: ``GET /images/<image_id>.jpg`` — the uploaded file, or a generated sleeve.

Like Square's image host the file URLs need no token. Sleeves are drawn on first request and kept
in memory (:class:`~storefront.ecs.sandbox.covers.CoverCache`); the ETag follows the image's
version, so a client revalidating gets a 304.

CreateCatalogImage takes multipart/form-data: a JSON ``request`` part (CreateCatalogImageRequest:
``idempotency_key`` ≤ 128, ``image`` of type IMAGE, optional ``object_id`` and ``is_primary``) and an
``image_file`` part in JPEG, PJPEG, PNG or GIF of at most 15 MB, as Square documents it.
"""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

from flask import Blueprint, Response, abort, request
from PIL import Image, UnidentifiedImageError

from storefront.ecs.sandbox.catalog_edits import CatalogEditError
from storefront.ecs.sandbox.context import current_sandbox
from storefront.ecs.sandbox.covers import CoverCache
from storefront.ecs.sandbox.demo_catalog import IMAGE_URL_BASE
from storefront.ecs.sandbox.wire import SquareError, fingerprint, json_response, require_idempotency_key

bp = Blueprint("sandbox_images", __name__)
covers = CoverCache()


IDEMPOTENCY_KEY_MAX = 128
MAX_IMAGE_BYTES = 15 * 1024 * 1024
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "GIF": "image/gif"}


def _request_part() -> dict[str, Any]:
    if request.mimetype != "multipart/form-data":
        raise SquareError(400, "INVALID_CONTENT_TYPE", "CreateCatalogImage takes multipart/form-data.")
    raw = request.form.get("request")
    if raw is None and "request" in request.files:
        raw = request.files["request"].read().decode("utf-8", "replace")
    if not raw:
        raise SquareError(400, "MISSING_REQUIRED_PARAMETER", "Field must be set", "request")
    try:
        body = json.loads(raw)
    except ValueError as exc:
        raise SquareError(400, "BAD_REQUEST", f"invalid JSON in the request part: {exc}") from None
    if not isinstance(body, dict):
        raise SquareError(400, "EXPECTED_JSON_BODY", "The request part must be a JSON object.")
    return body


def _image_file() -> bytes:
    upload = request.files.get("image_file")
    if upload is None:
        raise SquareError(400, "MISSING_REQUIRED_PARAMETER", "Field must be set", "image_file")
    data = upload.read(MAX_IMAGE_BYTES + 1)
    if len(data) > MAX_IMAGE_BYTES:
        raise SquareError(400, "INVALID_VALUE", "The image file is larger than 15MB.", "image_file")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in IMAGE_FORMATS:
                raise SquareError(400, "INVALID_VALUE", "Image files must be JPEG, PJPEG, PNG or GIF.", "image_file")
            probe.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise SquareError(400, "INVALID_VALUE", "The image file could not be read.", "image_file") from None
    return data


@bp.post("/v2/catalog/images")
def create_catalog_image() -> Response:
    body = _request_part()
    key = require_idempotency_key(body, IDEMPOTENCY_KEY_MAX)
    image = body.get("image")
    if not isinstance(image, dict):
        raise SquareError(400, "MISSING_REQUIRED_PARAMETER", "Field must be set", "image")
    if image.get("type") != "IMAGE":
        raise SquareError(400, "INVALID_VALUE", "The image object must be of type IMAGE.", "image.type")
    object_id = body.get("object_id")
    if object_id is not None and (not isinstance(object_id, str) or not object_id):
        raise SquareError(400, "EXPECTED_STRING", "Expected a string value", "object_id")
    primary = body.get("is_primary", False)
    if not isinstance(primary, bool):
        raise SquareError(400, "EXPECTED_BOOLEAN", "Expected a boolean value", "is_primary")
    data = _image_file()
    store = current_sandbox().store
    image_data = image.get("image_data") if isinstance(image.get("image_data"), dict) else {}

    def run() -> tuple[int, dict[str, Any]]:
        try:
            created = store.create_image(object_id, image_data, data, primary=primary)
        except CatalogEditError as exc:
            raise SquareError(404, "NOT_FOUND", str(exc), "object_id") from None
        return 200, {"image": created}

    seen = fingerprint({**body, "image_file": hashlib.sha256(data).hexdigest()})
    status, payload = store.idempotent("catalog-image", key, seen, run)
    return json_response(payload, status)


@bp.get("/images/<image_id>.jpg")
def cover(image_id: str) -> Response:
    store = current_sandbox().store
    obj, _ = store.catalog_object(image_id)
    data = (obj or {}).get("image_data") or {}
    if obj is None or obj["type"] != "IMAGE" or not str(data.get("url") or "").startswith(IMAGE_URL_BASE + "/"):
        abort(404)
    uploaded = store.uploads.get(image_id)
    if uploaded is not None:
        with Image.open(io.BytesIO(uploaded)) as probe:
            mimetype = IMAGE_FORMATS.get(probe.format or "", "application/octet-stream")
        response = Response(uploaded, mimetype=mimetype)
        response.set_etag(f"{image_id}-{obj['version']}")
        response.cache_control.public = True
        response.cache_control.max_age = 86400
        return response.make_conditional(request)
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
