"""The shop's field mapping, stored: read it, detect one, preview one, save one (and re-map the
catalog from the ECS objects already stored, with no download)."""

from __future__ import annotations

import json
from typing import Any

from flask import current_app
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from storefront.audit.services import record
from storefront.catalog.models import Item
from storefront.db.timestamps import utcnow
from storefront.extensions import db
from storefront.sync.fields import FIELDS, CatalogContext, FieldMapping, Mapper, detect
from storefront.sync.mapping import MappingError, parse_item
from storefront.sync.models import CatalogMapping, EcsReference, SyncRun
from storefront.sync.services import SyncAlreadyRunning, start_sync, sync_state

PREVIEW_ITEMS = 20
SAMPLE_ITEMS = 200


def saved_mapping() -> FieldMapping | None:
    row = db.session.get(CatalogMapping, 1)
    return FieldMapping.from_json(row.config) if row is not None else None


def shop_mapper(mapping: FieldMapping, context: CatalogContext) -> Mapper:
    """``mapping`` over ``context``, checking the shop's sales channel when one is configured."""
    return Mapper(mapping, context, channel_id=current_app.config.get("ECS_CHANNEL_ID") or None,
                  timezone=current_app.config["SHOP_TIMEZONE"])


def stored_context() -> CatalogContext:
    """The options, attribute definitions and categories the last syncs stored."""
    return CatalogContext.from_objects(db.session.scalars(select(EcsReference.data)))


def store_references(objects: list[dict[str, Any]], *, dry_run: bool = False) -> bool:
    """Keep the reference objects (CATEGORY, ITEM_OPTION, CUSTOM_ATTRIBUTE_DEFINITION) among
    ``objects``; a deleted one is dropped. True if any changed. No commit."""
    changed = False
    for obj in objects:
        if obj.get("type") not in CatalogContext.REFERENCE_TYPES or not obj.get("id"):
            continue
        ecs_id, version = str(obj["id"])[:64], int(obj.get("version") or 0)
        row = db.session.get(EcsReference, ecs_id)
        if obj.get("is_deleted"):
            if row is not None:
                changed = True
                if not dry_run:
                    db.session.execute(delete(EcsReference).where(EcsReference.ecs_id == ecs_id))
            continue
        if row is not None and row.version == version and row.data == obj:
            continue
        changed = True
        if dry_run:
            continue
        if row is None:
            db.session.add(EcsReference(ecs_id=ecs_id, type=str(obj["type"]), version=version, data=obj))
        else:
            row.type, row.version, row.data = str(obj["type"]), version, obj
    if changed and not dry_run:
        db.session.flush()
    return changed


def stored_items(limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` listed items as the ECS sent them (the preview's and detection's sample)."""
    raws = db.session.scalars(select(Item.ecs_object).where(Item.ecs_object != "", Item.is_deleted.is_(False))
                              .order_by(Item.id).limit(limit))
    return [json.loads(raw) for raw in raws]


def mapping_for_sync(context: CatalogContext, sample: list[dict[str, Any]], *, dry_run: bool = False) -> FieldMapping:
    """The saved mapping; on the first sync none is saved yet, so one is detected from the
    catalog's first items and saved (staff can change it in the back office)."""
    mapping = saved_mapping()
    if mapping is not None:
        return mapping
    mapping = detect(context, sample)
    if not dry_run:
        db.session.add(CatalogMapping(id=1, config=mapping.to_json(), updated_by="detected on the first sync"))
        try:
            db.session.commit()
        except IntegrityError:  # saved meanwhile by staff: theirs wins
            db.session.rollback()
            return saved_mapping() or mapping
    return mapping


def known_location_id() -> str | None:
    """The shop's location if known without asking the ECS (configured, or looked up already)."""
    return current_app.config["ECS_LOCATION_ID"] or current_app.extensions.get("ecs_location_id") or None


def preview(mapping: FieldMapping, location_id: str | None, limit: int = PREVIEW_ITEMS) -> list[dict[str, Any]]:
    """The first ``limit`` stored items mapped with ``mapping``, nothing saved."""
    mapper = shop_mapper(mapping, stored_context())
    rows = []
    for obj in stored_items(limit):
        try:
            values = parse_item(obj, location_id, mapper, keep_raw=False)
        except MappingError as exc:
            rows.append({"ecs_id": str(obj.get("id")), "name": str((obj.get("item_data") or {}).get("name") or ""),
                         "error": str(exc)})
            continue
        genres = [mapper.context.categories[c][0] for c in values.category_ids if c in mapper.context.categories]
        rows.append({"ecs_id": values.ecs_id, "name": values.name, "kind": values.kind,
                     **{name: (str(getattr(values, name)) if getattr(values, name) is not None else "")
                        for name in FIELDS}, "genres": genres})
    return rows


def save_mapping(mapping: FieldMapping, *, actor: Any, by: str) -> SyncRun | None:
    """Save the mapping and re-map the stored catalog with it (a "remap" sync run). If another
    sync is running, the re-map runs when it finishes; returns the new run, or None then."""
    row = db.session.get(CatalogMapping, 1)
    if row is None:
        row = CatalogMapping(id=1, config=mapping.to_json())
        db.session.add(row)
    row.config, row.updated_at, row.updated_by = mapping.to_json(), utcnow(), by[:255]
    record(actor, "catalog_mapping.save", target_type="catalog_mapping", target_id=1,
           details={"preset": mapping.preset})
    db.session.commit()
    return request_remap(started_by=by)


def request_remap(*, started_by: str = "system") -> SyncRun | None:
    """Start a re-map now, or note that one is wanted once the running sync finishes."""
    try:
        return start_sync("remap", started_by=started_by)
    except SyncAlreadyRunning:
        state = sync_state()
        state.remap_requested = True
        db.session.commit()
        return None
