"""Staff API for the catalog field mapping: read it (with what was detected and the presets),
preview a proposed one on the first stored items, save one (which re-maps the catalog)."""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify

from storefront.api.auth import staff_token_required
from storefront.api.blueprint import bp
from storefront.api.body import json_object
from storefront.core.errors import FieldError, ValidationError
from storefront.extensions import db, limiter
from storefront.sync.field_mapping import (
    PREVIEW_ITEMS,
    SAMPLE_ITEMS,
    known_location_id,
    preview,
    save_mapping,
    saved_mapping,
    stored_context,
    stored_items,
)
from storefront.sync.fields import FIELDS, GENRE_SOURCES, PRESETS, SOURCES, FieldMapping, MappingConfigError, detect
from storefront.sync.models import CatalogMapping
from storefront.sync.serializers import sync_run_json


def mapping_overview() -> dict[str, Any]:
    """Everything the page and the API show: the mapping in force, what the catalog suggests,
    the presets, and what can be chosen."""
    context = stored_context()
    detected = detect(context, stored_items(SAMPLE_ITEMS))
    saved = saved_mapping()
    row = db.session.get(CatalogMapping, 1)
    return {
        "mapping": (saved or detected).to_json(),
        "saved": saved is not None,
        "updated_at": row.updated_at.isoformat() if row else None,
        "updated_by": row.updated_by if row else None,
        "detected": detected.to_json(),
        "presets": {name: {"description": text, "mapping": m.to_json()} for name, (text, m) in PRESETS.items()},
        "fields": FIELDS,
        "sources": SOURCES,
        "genre_sources": GENRE_SOURCES,
        "choices": context.choices(),
    }


def parse_mapping(raw: Any) -> FieldMapping:
    try:
        return FieldMapping.from_json(raw)
    except MappingConfigError as exc:
        raise ValidationError("The mapping has problems; nothing was saved.",
                              details=[FieldError(f, m) for f, m in exc.problems]) from None


@bp.get("/staff/catalog-mapping")
@staff_token_required()
def catalog_mapping() -> Response:
    return jsonify(mapping_overview())


@bp.post("/staff/catalog-mapping/preview")
@staff_token_required()
@limiter.limit("30 per minute")
def catalog_mapping_preview() -> Response:
    """The first stored items mapped with the mapping sent (nothing is saved)."""
    mapping = parse_mapping(json_object())
    return jsonify({"items": preview(mapping, known_location_id(), PREVIEW_ITEMS)})


@bp.put("/staff/catalog-mapping")
@staff_token_required("admin")
@limiter.limit("10 per minute")
def save_catalog_mapping() -> Response:
    """Save the mapping; the catalog is re-mapped from the stored ECS objects by a "remap" sync
    run (``remap_run``; null when another sync is running — the re-map follows it)."""
    mapping = parse_mapping(json_object())
    run = save_mapping(mapping, actor=g.api_staff, by=g.api_staff.email)
    return jsonify({"mapping": mapping.to_json(), "remap_run": sync_run_json(run) if run else None})
