"""Wishlist JSON: the token's customer's list (GET/POST/DELETE) and a shared list by its token."""

from __future__ import annotations

from flask import Response, g, jsonify, request, url_for

from storefront.api.auth import customer_token_required
from storefront.api.blueprint import bp
from storefront.api.body import json_object
from storefront.core.errors import NotFound
from storefront.web.pagination import page_request, pagination_dict
from storefront.wishlist import services
from storefront.wishlist.serializers import wishlist_line_json


@bp.get("/wishlist")
@customer_token_required
def wishlist_list() -> Response:
    """The customer's wishlist, newest first, paginated (``page``, ``limit`` ≤ 200)."""
    page = page_request(request.args, default_limit=50, max_limit=200)
    lines, total = services.list_lines(g.api_customer_id, page)
    return jsonify({"items": [wishlist_line_json(line) for line in lines],
                    "pagination": pagination_dict(page, total)})


@bp.post("/wishlist")
@customer_token_required
def wishlist_add() -> tuple[Response, int, dict[str, str]]:
    """{item_id} → 201 when added, 200 when it was already there."""
    payload = json_object()
    item_id = services.parse_item_id(payload.get("item_id"))
    line, created = services.add_item(g.api_customer_id, item_id)
    return (jsonify({"item": wishlist_line_json(line)}), 201 if created else 200,
            {"Location": url_for("api.wishlist_list")})


@bp.delete("/wishlist/<item_id>")
@customer_token_required
def wishlist_remove(item_id: str) -> tuple[str, int]:
    """204 when removed; 404 when the item is not on this customer's list."""
    if not services.remove_item(g.api_customer_id, services.parse_item_id(item_id)):
        raise NotFound("That item is not on your wishlist.")
    return "", 204


@bp.get("/wishlist/shared/<token>")
def wishlist_shared(token: str) -> Response:
    """A shared wishlist, read-only: items still sold, nothing about the owner."""
    lines = services.shared_wishlist(token)
    response = jsonify({"items": [wishlist_line_json(line, with_added_at=False) for line in lines]})
    response.headers["Cache-Control"] = "private, no-cache"
    return response
