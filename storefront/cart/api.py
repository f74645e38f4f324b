"""/api/v1/cart — the same cart services, found by the X-Cart-Token header."""

from __future__ import annotations

from flask import Response, jsonify, request

from storefront.api.blueprint import bp
from storefront.api.body import json_object
from storefront.cart.models import Cart
from storefront.cart.serializers import cart_json
from storefront.cart.services import add_to_cart, change_quantity, create_cart, find_cart, remove_item, view_cart
from storefront.core.errors import NotFound

CART_HEADER = "X-Cart-Token"


def _cart() -> Cart:
    cart = find_cart(request.headers.get(CART_HEADER))
    if cart is None:
        raise NotFound("No cart matches that X-Cart-Token; create one with POST /api/v1/cart.",
                       code="cart_not_found")
    return cart


@bp.post("/cart")
def api_create_cart() -> tuple[Response, int]:
    token, cart = create_cart()
    return jsonify({"cart_token": token, "cart": cart_json(view_cart(cart))}), 201


@bp.get("/cart")
def api_get_cart() -> Response:
    return jsonify({"cart": cart_json(view_cart(_cart()))})


@bp.post("/cart/items")
def api_add_to_cart() -> Response:
    cart = _cart()
    payload = json_object()
    added = add_to_cart(cart, variation_id=payload.get("variation_id"), item_id=payload.get("item_id"),
                        quantity=payload.get("quantity", 1))
    return jsonify({"cart": cart_json(added.cart)})


@bp.put("/cart/items/<int:variation_id>")
def api_set_cart_quantity(variation_id: int) -> Response:
    cart = _cart()
    payload = json_object()
    view = change_quantity(cart, variation_id, payload.get("quantity"))
    return jsonify({"cart": cart_json(view)})


@bp.delete("/cart/items/<int:variation_id>")
def api_remove_from_cart(variation_id: int) -> Response:
    return jsonify({"cart": cart_json(remove_item(_cart(), variation_id))})
