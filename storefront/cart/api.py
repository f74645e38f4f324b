"""/api/v1/cart — the same cart services, found by the X-Cart-Token header."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from storefront.api.blueprint import bp
from storefront.api.body import json_object
from storefront.cart.models import Cart
from storefront.cart.services import (
    CartView,
    add_item,
    create_cart,
    find_cart,
    parse_quantity,
    remove_item,
    resolve_variation,
    set_quantity,
    view_cart,
)
from storefront.core.errors import NotFound
from storefront.core.money import money_json

CART_HEADER = "X-Cart-Token"


def cart_json(view: CartView) -> dict[str, Any]:
    return {
        "lines": [{
            "variation_id": line.variation_id, "item_id": line.item_id, "name": line.name,
            "variation_name": line.variation_name, "quantity": line.quantity,
            "unit_price": money_json(line.unit_amount, line.currency),
            "line_total": money_json(line.line_total, line.currency),
            "available": line.available,
            "flags": {"out_of_stock": line.out_of_stock, "exceeds_stock": line.exceeds_stock,
                      "price_changed": line.price_changed, "unavailable": line.is_deleted},
            "price_when_added": (money_json(line.added_at_amount, line.currency)
                                 if line.added_at_amount is not None else None),
        } for line in view.lines],
        "count": view.count,
        "subtotal": money_json(view.subtotal, view.currency),
        "problems": view.problems,
        "can_check_out": view.can_check_out,
    }


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
    variation = resolve_variation(variation_id=payload.get("variation_id"), item_id=payload.get("item_id"))
    view = add_item(cart, variation, parse_quantity(payload.get("quantity", 1)))
    return jsonify({"cart": cart_json(view)})


@bp.put("/cart/items/<int:variation_id>")
def api_set_cart_quantity(variation_id: int) -> Response:
    cart = _cart()
    payload = json_object()
    view = set_quantity(cart, variation_id, parse_quantity(payload.get("quantity"), allow_zero=True))
    return jsonify({"cart": cart_json(view)})


@bp.delete("/cart/items/<int:variation_id>")
def api_remove_from_cart(variation_id: int) -> Response:
    return jsonify({"cart": cart_json(remove_item(_cart(), variation_id))})
