"""Adding, listing and removing staff photos; keeping the pages' copy (``ItemDetail.photos``) and the
ECS's (a CatalogImage per photo, sent by a job after the commit) in step."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from storefront.audit.services import actor_from, record
from storefront.catalog import revision as catalog_revision
from storefront.catalog.models import Item, ItemDetail, ItemVariation
from storefront.core.errors import DomainError, FieldError, NotFound, ValidationError
from storefront.discogs.errors import DiscogsError
from storefront.ecs.errors import ECSNotFound
from storefront.ecs.provider import ecs_client
from storefront.enrichment.discogs import DiscogsOff, discogs_client
from storefront.enrichment.validation import is_allowed_image
from storefront.extensions import db
from storefront.photos.images import PhotoRejected, PreparedPhoto, prepare
from storefront.photos.models import ECS_FAILED, ECS_OFF, ECS_PENDING, ECS_PUSHED, ItemPhoto
from storefront.photos.storage import storage
from storefront.tasks.queue import enqueue

log = logging.getLogger(__name__)
MAX_PHOTOS_PER_ITEM = 24
MAX_CAPTION = 255
MAX_ID = 2**31 - 1
SYSTEM_ACTOR = "system:photos"


class PhotoTooLarge(DomainError):
    code = "payload_too_large"
    http_status = 413


def _item(item_id: int, *, live: bool = True) -> Item:
    """The item (a deleted one only with ``live=False``: its photos can still be listed), or NotFound."""
    item = db.session.get(Item, item_id) if 1 <= item_id <= MAX_ID else None
    if item is None or (live and item.is_deleted):
        raise NotFound(f"There is no item {item_id}.")
    return item


def _variation(item: Item, variation_id: Any) -> ItemVariation | None:
    """The copy a photo is of (a variation of this item), None for the release; ValidationError otherwise."""
    if variation_id in (None, "", "item"):
        return None
    raw = str(variation_id)
    found = next((v for v in item.variations if raw.isdigit() and v.id == int(raw) and not v.is_deleted), None)
    if found is None:
        raise ValidationError.for_field("variation_id", "That copy is not one of this item's variations.")
    return found


def list_photos(item_id: int) -> list[ItemPhoto]:
    _item(item_id, live=False)
    return list(db.session.scalars(select(ItemPhoto).where(ItemPhoto.item_id == item_id)
                                   .order_by(ItemPhoto.position, ItemPhoto.id)))


def get_photo(item_id: int, photo_id: int) -> ItemPhoto:
    photo = db.session.get(ItemPhoto, photo_id) if 1 <= photo_id <= MAX_ID else None
    if photo is None or photo.item_id != item_id:
        raise NotFound("That photo is not one of this item's.")
    return photo


def checked(data: bytes) -> PreparedPhoto:
    """The files to keep of ``data``; ValidationError / PhotoTooLarge with the reason (nothing stored)."""
    cfg = current_app.config
    try:
        return prepare(data, max_bytes=int(cfg["PHOTO_MAX_BYTES"]), max_megapixels=int(cfg["PHOTO_MAX_MEGAPIXELS"]))
    except PhotoRejected as exc:
        if exc.status == 413:
            raise PhotoTooLarge(exc.message, details=[FieldError("file", exc.message)]) from None
        raise ValidationError(exc.message, details=[FieldError("file", exc.message)]) from None


def add_photo(item_id: int, data: bytes, *, variation_id: Any = None, caption: str = "", actor: object,
              source: str = "upload", source_url: str = "") -> ItemPhoto:
    """Check, store and record one photo; its push to the ECS is queued after the commit."""
    item = _item(item_id)
    variation = _variation(item, variation_id)
    caption = " ".join(str(caption or "").split())
    if len(caption) > MAX_CAPTION:
        raise ValidationError.for_field("caption", f"Captions are at most {MAX_CAPTION} characters.")
    count = db.session.scalar(select(func.count()).select_from(ItemPhoto).where(ItemPhoto.item_id == item.id)) or 0
    if count >= MAX_PHOTOS_PER_ITEM:
        raise ValidationError.for_field("file", f"An item has at most {MAX_PHOTOS_PER_ITEM} photos; remove one first.")
    prepared = checked(data)
    key = secrets.token_hex(16)
    storage().put(key, prepared.files)  # files first: a row never points at nothing
    push = bool(current_app.config["PHOTO_PUSH_TO_ECS"]) and source == "upload"
    photo = ItemPhoto(item_id=item.id, variation_id=variation.id if variation else None, key=key,
                      width=prepared.width, height=prepared.height, size_bytes=len(prepared.master),
                      caption=caption, position=count, source=source, source_url=source_url[:500],
                      ecs_status=ECS_PENDING if push else ECS_OFF, created_by=_label(actor))
    db.session.add(photo)
    try:
        db.session.flush()
        refresh_page_copy(item)
        record(actor, "photo.add", target_type="item", target_id=item.id,
               details={"photo_id": photo.id, "variation_id": photo.variation_id, "source": source,
                        "bytes": photo.size_bytes})
        db.session.commit()
    except Exception:
        db.session.rollback()
        storage().delete(key)
        raise
    if push:
        enqueue("jobs.photos.push_photo", photo.id, queue="sync", job_id=f"photo-push-{photo.id}")
    return photo


def remove_photo(item_id: int, photo_id: int, *, actor: object) -> None:
    """Delete a photo (its files, and its CatalogImage in the ECS by a job)."""
    photo = get_photo(item_id, photo_id)
    item = _item(item_id, live=False)
    key, ecs_image_id = photo.key, photo.ecs_image_id
    db.session.delete(photo)
    db.session.flush()
    refresh_page_copy(item)
    record(actor, "photo.remove", target_type="item", target_id=item_id, details={"photo_id": photo_id})
    db.session.commit()
    storage().delete(key)
    if ecs_image_id:
        enqueue("jobs.photos.delete_ecs_image", ecs_image_id, queue="sync", job_id=f"photo-unpush-{ecs_image_id}")


def refresh_page_copy(item: Item) -> None:
    """Rewrite ``ItemDetail.photos`` (what cards and the product page read) and renew cached pages."""
    rows = db.session.execute(
        select(ItemPhoto.key, ItemPhoto.caption, ItemPhoto.ecs_image_id, ItemPhoto.width, ItemPhoto.height,
               ItemPhoto.source_url, ItemVariation.ecs_id)
        .outerjoin(ItemVariation, ItemVariation.id == ItemPhoto.variation_id)
        .where(ItemPhoto.item_id == item.id).order_by(ItemPhoto.position, ItemPhoto.id)).all()
    detail = item.detail
    if detail is None:
        detail = ItemDetail(item_id=item.id)
        db.session.add(detail)
        item.detail = detail
    detail.photos = [{"key": r.key, "caption": r.caption, "ecs_image_id": r.ecs_image_id, "width": r.width,
                      "height": r.height, "variation_id": r.ecs_id or "", "source_url": r.source_url or ""}
                     for r in rows]
    catalog_revision.bump()


def _label(actor: object) -> str:
    return actor_from(actor).label[:255]


# --- the ECS's copy ---------------------------------------------------------------------------------
def push_photo(photo_id: int) -> str:
    """Send a photo to the ECS as a CatalogImage of its item (or copy); idempotent (keyed by the photo)."""
    photo = db.session.get(ItemPhoto, photo_id)
    if photo is None or photo.ecs_status not in (ECS_PENDING, ECS_FAILED):
        return "nothing to send"
    item = db.session.get(Item, photo.item_id)
    variation = db.session.get(ItemVariation, photo.variation_id) if photo.variation_id else None
    master = storage().get(photo.key, "full.jpg")
    if item is None or master is None:
        return "gone"
    object_id = variation.ecs_id if variation is not None else item.ecs_id
    try:
        image = ecs_client().create_catalog_image(f"photo-{photo.key}", object_id=object_id, data=master,
                                                  filename=f"{photo.key}.jpg", caption=photo.caption or item.name)
    except Exception as exc:
        photo.ecs_status, photo.ecs_error = ECS_FAILED, f"{type(exc).__name__}: {exc}"[:255]
        db.session.commit()
        raise
    photo.ecs_status, photo.ecs_error, photo.ecs_image_id = ECS_PUSHED, "", str(image.get("id") or "")[:64]
    refresh_page_copy(item)
    db.session.commit()
    return photo.ecs_image_id or ""


def delete_ecs_image(ecs_image_id: str) -> bool:
    """Delete a removed photo's CatalogImage in the ECS (a retried delete that already happened is done)."""
    try:
        ecs_client().batch_delete_catalog_objects([ecs_image_id])
    except ECSNotFound:
        return False
    return True


# --- Discogs images chosen during enrichment ------------------------------------------------------
def import_discogs_images(item_id: int) -> dict[str, int]:
    """Store the Discogs images an item's enrichment lists, the way staff photos are stored (checked,
    re-encoded, the pages' sizes), and drop stored ones the enrichment no longer lists. They stay
    in the shop: Discogs' terms do not let a shop hand its images on, so none goes to the ECS."""
    item = _item(item_id, live=False)
    wanted = [str(i.get("uri")) for i in (item.detail.images if item.detail else None) or []
              if isinstance(i, dict) and is_allowed_image(i.get("uri"))]
    stored = {p.source_url: p for p in db.session.scalars(
        select(ItemPhoto).where(ItemPhoto.item_id == item_id, ItemPhoto.source == "discogs"))}
    counts = {"added": 0, "removed": 0, "failed": 0}
    for url, photo in stored.items():
        if url not in wanted:
            remove_photo(item_id, photo.id, actor=SYSTEM_ACTOR)
            counts["removed"] += 1
    for url in wanted:
        if url in stored:
            continue
        try:
            data = discogs_client().fetch_image(url, max_bytes=int(current_app.config["PHOTO_MAX_BYTES"]))
            add_photo(item_id, data, actor=SYSTEM_ACTOR, source="discogs", source_url=url)
            counts["added"] += 1
        except (DiscogsError, DiscogsOff, ValidationError, PhotoTooLarge) as exc:
            log.warning("Discogs image %s of item %s not stored: %s", url, item_id, exc)
            counts["failed"] += 1
    return counts
