"""The ECS's catalog images, served by the shop at the sizes its pages use.

Only an image id that a live catalog item references (``Item.ecs_images``, written by the sync)
is ever fetched, and only from the URL the ECS gave for it: a request names an id, never a URL.
The original is fetched once (timeout, size cap, no redirects), accepted only if Pillow decodes it
as a picture (its bytes decide, not its name or Content-Type), and kept under the instance
folder; each allowed width is cut from it once, as a square JPEG (sleeves are square), and kept
beside it. A cached file is immutable: Square gives a changed image a new id.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import Text, cast, select

from storefront.catalog.models import Item
from storefront.extensions import db

ALLOWED_WIDTHS = (160, 320, 640)
MEDIA_PREFIX = "/media/ecs"
MAX_SOURCE_BYTES = 10 * 1024 * 1024
MAX_SOURCE_PIXELS = 6000 * 6000
FETCH_TIMEOUT = (3.05, 10.0)
DECODABLE = frozenset({"JPEG", "PNG", "WEBP", "GIF"})
_IMAGE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class MediaError(Exception):
    """Why an image cannot be served; ``status`` is always a 4xx."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass(frozen=True, slots=True)
class Rendition:
    data: bytes
    etag: str


# -- which images exist -----------------------------------------------------------------------
def referenced_url(image_id: str) -> str | None:
    """The stored URL of ``image_id`` if a live item references it, else None."""
    if not _IMAGE_ID.fullmatch(image_id):
        return None
    needle = f'%"{image_id}"%'
    rows = db.session.execute(select(Item.ecs_images).where(
        Item.is_deleted.is_(False), cast(Item.ecs_images, Text).like(needle)).limit(20))
    for (images,) in rows:
        for image in images or []:
            if isinstance(image, dict) and image.get("id") == image_id and image.get("url"):
                return str(image["url"])
    return None


# -- fetching and checking --------------------------------------------------------------------
def _fetch(url: str) -> bytes:
    if not url.startswith(("https://", "http://")):
        raise MediaError(404, "That image has no address the shop can fetch.")
    try:
        with requests.get(url, timeout=FETCH_TIMEOUT, stream=True, allow_redirects=False) as response:
            if response.status_code != 200:
                raise MediaError(404, f"The ECS answered {response.status_code} for that image.")
            if int(response.headers.get("Content-Length") or 0) > MAX_SOURCE_BYTES:
                raise MediaError(415, "That image is larger than the shop accepts.")
            data = bytearray()
            for chunk in response.iter_content(64 * 1024):
                data += chunk
                if len(data) > MAX_SOURCE_BYTES:
                    raise MediaError(415, "That image is larger than the shop accepts.")
            return bytes(data)
    except requests.RequestException as exc:
        raise MediaError(404, f"The image could not be fetched ({type(exc).__name__}).") from None


def decode(data: bytes, *, formats: frozenset[str] = DECODABLE,
           max_pixels: int = MAX_SOURCE_PIXELS) -> Image.Image:
    """The picture in ``data`` (RGB, upright, transparency on white); MediaError 415 if the bytes
    are not a picture in one of ``formats``, or it has more than ``max_pixels`` (checked from the
    header, before anything is decompressed: a decompression bomb never gets decoded)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in formats:
                    raise MediaError(415, "That file is not an image the shop can show.")
                if probe.width * probe.height > max_pixels:
                    raise MediaError(415, f"That picture is {probe.width}×{probe.height} pixels; the shop "
                                          f"takes at most {max_pixels // 1_000_000} megapixels.")
                probe.verify()
            image = Image.open(io.BytesIO(data))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise MediaError(415, f"That picture has far more pixels than a photo (a decompression bomb?); the shop "
                              f"takes at most {max_pixels // 1_000_000} megapixels.") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise MediaError(415, "That file is not an image the shop can show.") from None
    image = ImageOps.exif_transpose(image)
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        flat = Image.new("RGB", image.size, (255, 255, 255))
        flat.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        return flat
    return image.convert("RGB")


def resized_jpeg(image: Image.Image, width: int) -> bytes:
    out = io.BytesIO()
    square = ImageOps.fit(image, (width, width), Image.Resampling.LANCZOS)
    square.save(out, "JPEG", quality=84, optimize=True, progressive=True)
    return out.getvalue()


# -- the cache --------------------------------------------------------------------------------
def _folder(image_id: str) -> Path:
    return Path(current_app.instance_path) / "media-cache" / "ecs" / image_id


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(handle, "wb") as out:
        out.write(data)
    os.replace(temp, path)  # readers see the whole file or none


def rendition(image_id: str, width: int) -> Rendition:
    """The ``width``-pixel JPEG of ``image_id``, from the cache or made now."""
    if width not in ALLOWED_WIDTHS:
        raise MediaError(400, f"Width must be one of {', '.join(map(str, ALLOWED_WIDTHS))}.")
    if not _IMAGE_ID.fullmatch(image_id):
        raise MediaError(404, "No such image in the catalog.")
    folder = _folder(image_id)
    cached = folder / f"{width}.jpg"
    if not cached.exists():
        source_path = folder / "source"
        if source_path.exists():
            image = decode(source_path.read_bytes())
        else:
            url = referenced_url(image_id)
            if url is None:
                raise MediaError(404, "No such image in the catalog.")
            source = _fetch(url)
            image = decode(source)
            _write(source_path, source)
        _write(cached, resized_jpeg(image, width))
    data = cached.read_bytes()
    return Rendition(data, hashlib.sha256(data).hexdigest()[:20])


# -- what pages show --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Cover:
    """An <img>'s attributes: ``srcset`` only for the shop's own renditions."""

    src: str
    width: int
    height: int
    srcset: str = ""
    variation_id: str = ""


def media_path(image_id: str, width: int) -> str:
    """The shop's URL of a rendition (``media_views.ecs_image``'s rule; built here without a request)."""
    return f"{MEDIA_PREFIX}/{image_id}/{width}.jpg"


def ecs_cover(image: dict[str, Any], width: int) -> Cover:
    srcset = ", ".join(f"{media_path(image['id'], w)} {w}w" for w in ALLOWED_WIDTHS)
    return Cover(media_path(image["id"], width), width, width, srcset, str(image.get("variation_id") or ""))


def enrichment_cover(image: dict[str, Any], *, thumbnail: bool) -> Cover | None:
    """A staff/Discogs image (https only), at its own size where known."""
    uri = str(image.get("uri150") if thumbnail and str(image.get("uri150") or "").startswith("https://")
              else image.get("uri") or "")
    if not uri.startswith("https://"):
        return None
    size = 150 if thumbnail and uri == image.get("uri150") else None
    return Cover(uri, size or int(image.get("width") or 600), size or int(image.get("height") or 600))


PHOTO_PREFIX = "/media/photos"


def photo_cover(photo: dict[str, Any], width: int) -> Cover:
    """A staff photo (``ItemDetail.photos`` entry) at the shop's own renditions."""
    key = str(photo["key"])
    srcset = ", ".join(f"{PHOTO_PREFIX}/{key}/{w}.jpg {w}w" for w in ALLOWED_WIDTHS)
    return Cover(f"{PHOTO_PREFIX}/{key}/{width}.jpg", width, width, srcset, str(photo.get("variation_id") or ""))


def covers(ecs_images: Any, enrichment_images: Any, *, width: int, thumbnail: bool = False,
           photos: Any = None) -> list[Cover]:
    """Every image of an item: the ECS's first (a card shows the first one), then staff photos not
    yet in the ECS (and Discogs images the shop stored), then Discogs images not stored yet, which
    are the cover when there is nothing else. A staff photo the ECS holds too is shown from the
    shop's own files, in the ECS's place."""
    own = [p for p in photos or [] if isinstance(p, dict) and p.get("key")]
    by_ecs_id = {str(p["ecs_image_id"]): p for p in own if p.get("ecs_image_id")}
    found = [photo_cover(by_ecs_id[i["id"]], width) if i["id"] in by_ecs_id else ecs_cover(i, width)
             for i in ecs_images or [] if isinstance(i, dict) and i.get("id")]
    shown = {i["id"] for i in ecs_images or [] if isinstance(i, dict) and i.get("id")}
    found += [photo_cover(p, width) for p in own if str(p.get("ecs_image_id") or "") not in shown]
    kept = {p.get("source_url") for p in own if p.get("source_url")}  # Discogs images the shop stored
    usable = [i for i in enrichment_images or [] if isinstance(i, dict) and i.get("uri") not in kept]
    usable.sort(key=lambda i: i.get("type") != "primary")
    return found + [c for c in (enrichment_cover(i, thumbnail=thumbnail) for i in usable) if c is not None]
