"""Enrichment JSON for staff: product details (read / replace), Discogs search and release lookups."""

from __future__ import annotations

from flask import Response, jsonify, request

from storefront.api.auth import staff_token_required
from storefront.api.blueprint import bp
from storefront.api.body import json_object
from storefront.core.errors import FieldError, ValidationError
from storefront.enrichment import discogs
from storefront.enrichment.serializers import product_details_json
from storefront.enrichment.services import current_payload, get_item, save_enrichment
from storefront.staff.auth import acting_staff


@bp.get("/staff/product-details/<int:item_id>")
@staff_token_required
def staff_product_details_get(item_id: int) -> Response:
    """The item's staff enrichment."""
    return jsonify(product_details_json(item_id))


@bp.put("/staff/product-details/<int:item_id>")
@staff_token_required
def staff_product_details_put(item_id: int) -> Response:
    """Replace the item's enrichment (omitted fields are cleared); 422 lists every bad field."""
    get_item(item_id)  # 404 before looking at the body
    _detail, changed = save_enrichment(item_id, json_object(), actor=acting_staff())
    return jsonify({**product_details_json(item_id), "changed": changed})


def _page_arg() -> int:
    raw = request.args.get("page", "1")
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise ValidationError("Invalid page", details=[FieldError("page", "page must be 1 to 100")])
    return int(raw)


@bp.get("/staff/discogs-search")
@staff_token_required
def staff_discogs_search() -> Response:
    """Discogs releases for ``q``/``catno``/``barcode``/``artist``/``title`` (at least one), normalised."""
    criteria = discogs.search_criteria(request.args)
    found = discogs.search_discogs(criteria, page=_page_arg())
    return jsonify({"results": [discogs.search_result_json(r) for r in found.results],
                    "pagination": {"page": found.page, "pages": found.pages, "items": found.items}})


@bp.get("/staff/product-details/<int:item_id>/discogs/<int:release_id>")
@staff_token_required
def staff_discogs_suggestion(item_id: int, release_id: int) -> Response:
    """A Discogs release, normalised, and the enrichment it suggests for the item (not saved: PUT it)."""
    item = get_item(item_id)
    release = discogs.fetch_release(release_id)
    suggestion = discogs.release_suggestion(release, current_payload(item))
    return jsonify({"release": discogs.release_json(release), "suggested": suggestion.payload,
                    "notes": suggestion.notes})
