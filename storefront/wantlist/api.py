"""Wantlist JSON: the token's customer's entries (GET/POST/DELETE); another customer's id is a 404."""

from __future__ import annotations

from flask import Response, g, jsonify, request, url_for

from storefront.api.auth import customer_token_required
from storefront.api.blueprint import bp
from storefront.api.body import json_object
from storefront.core.errors import NotFound
from storefront.wantlist import services
from storefront.wantlist.serializers import entry_json
from storefront.web.pagination import page_request, pagination_dict


@bp.get("/wantlist")
@customer_token_required
def wantlist_list() -> Response:
    """The customer's wantlist, newest first, paginated (``page``, ``limit`` ≤ 200)."""
    page = page_request(request.args, default_limit=50, max_limit=200)
    entries, total = services.list_entries(g.api_customer_id, offset=page.offset, limit=page.limit)
    return jsonify({"entries": [entry_json(e) for e in entries], "pagination": pagination_dict(page, total)})


@bp.post("/wantlist")
@customer_token_required
def wantlist_add() -> tuple[Response, int, dict[str, str]]:
    """{kind, item_id | artist | search, min_grade?, max_price?} → 201 when new, 200 when it was there (updated)."""
    wish = services.parse_wish(json_object(), price_units="minor")
    entry, created = services.follow_as_customer(g.api_customer_id, wish)
    return (jsonify({"entry": entry_json(entry)}), 201 if created else 200,
            {"Location": url_for("api.wantlist_list")})


@bp.delete("/wantlist/<int:entry_id>")
@customer_token_required
def wantlist_remove(entry_id: int) -> tuple[str, int]:
    """204 when removed; 404 for an id that is not one of this customer's entries."""
    if not services.remove_entry(g.api_customer_id, entry_id):
        raise NotFound("That entry is not on your wantlist.")
    return "", 204
