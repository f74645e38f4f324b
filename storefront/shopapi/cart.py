"""The Shop API's session cart: ``/cart/{session_id}``, a cart the client names with an unguessable
id it made itself (22–128 URL-safe characters, e.g. a UUID4 or ``secrets.token_urlsafe(16)``).

Only the id's hash is stored, as for every cart; the first write creates the cart. The lines are the
same cart services' (stock and per-item limits checked, prices re-read on every view), keyed here by
``product_id`` (an item) and, for a product with several copies, ``variant_id``.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Response, jsonify, request
from sqlalchemy import select

from storefront.api.body import json_object
from storefront.cart.models import Cart
from storefront.cart.services import (
    CartView,
    NotEnoughStock,
    add_to_cart,
    change_quantity,
    clear,
    find_cart,
    hash_token,
    parse_id,
    remove_item,
    view_cart,
)
from storefront.catalog.models import ItemVariation
from storefront.core.errors import DomainError, NotFound, ValidationError
from storefront.extensions import db
from storefront.shopapi.blueprint import bp, current_customer_id
from storefront.shopapi.products import decimal_amount, find_product

SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{22,128}$")


class InsufficientInventory(DomainError):
    code = "insufficient_inventory"
    http_status = 400


def session_cart(session_id: str, *, create: bool) -> Cart | None:
    if not SESSION_ID.fullmatch(session_id):
        raise ValidationError.for_field("session_id", "session_id must be 22–128 letters, digits, - or _ "
                                                      "(make it unguessable: it is the cart's only key)")
    cart = find_cart(session_id)
    if cart is None and create:
        cart = Cart(token_hash=hash_token(session_id), customer_id=current_customer_id(), lines={})
        db.session.add(cart)
        db.session.commit()
    if cart is not None and cart.customer_id is not None and cart.customer_id != current_customer_id():
        raise NotFound("No cart with that session id.", code="cart_not_found")  # someone else's: not here
    return cart


def cart_json(session_id: str, view: CartView) -> dict[str, Any]:
    currency = view.currency
    return {
        "session_id": session_id,
        "items": [{"product_id": line.item_id, "variant_id": line.variation_id, "name": line.name,
                   "variant_name": line.variation_name, "quantity": line.quantity,
                   "unit_price": decimal_amount(line.unit_amount, line.currency),
                   "line_total": decimal_amount(line.line_total, line.currency),
                   "available_inventory": line.available, "price_changed": line.price_changed}
                  for line in view.lines],
        "item_count": view.count, "subtotal": decimal_amount(view.subtotal, currency), "currency": currency,
        "can_check_out": view.can_check_out, "problems": view.problems,
    }


def _line_for(cart: Cart, product_id: int, variant: object) -> int:
    """The variation of the cart's line for ``product_id`` (``variant_id`` names one of several)."""
    lines = [line for line in view_cart(cart).lines if line.item_id == product_id]
    if variant is not None:
        wanted = parse_id(variant, "variant_id")
        lines = [line for line in lines if line.variation_id == wanted]
    if not lines:
        raise NotFound("That product is not in the cart.", code="item_not_in_cart")
    if len(lines) > 1:
        raise ValidationError.for_field("variant_id", "The cart holds several copies of this product: "
                                                      "say which with variant_id.")
    return lines[0].variation_id


@bp.get("/cart/<session_id>")
def shop_cart(session_id: str) -> Response:
    return jsonify(cart_json(session_id, view_cart(session_cart(session_id, create=False))))


@bp.post("/cart/<session_id>/items")
def shop_cart_add(session_id: str) -> tuple[Response, int]:
    """{product_id, quantity, variant_id?} → 201 and the cart; 404 unknown product, 400 not enough left."""
    payload = json_object()
    product_id = parse_id(payload.get("product_id"), "product_id")
    find_product(product_id)
    variant = payload.get("variant_id")
    if variant is not None and db.session.scalar(select(ItemVariation.item_id).where(
            ItemVariation.id == parse_id(variant, "variant_id"))) != product_id:
        raise ValidationError.for_field("variant_id", "variant_id is not a variant of that product.")
    cart = session_cart(session_id, create=True)
    assert cart is not None
    try:
        added = add_to_cart(cart, variation_id=payload.get("variant_id"), item_id=product_id,
                            quantity=payload.get("quantity", 1))
    except NotEnoughStock as exc:
        raise InsufficientInventory(exc.message, details=exc.details) from None
    return jsonify(cart_json(session_id, added.cart)), 201


@bp.put("/cart/<session_id>/items/<int:product_id>")
def shop_cart_update(session_id: str, product_id: int) -> Response:
    """{quantity, variant_id?}: set the line's quantity (0 removes it); 400 beyond what is left."""
    payload = json_object()
    cart = session_cart(session_id, create=False)
    if cart is None:
        raise NotFound("No cart with that session id.", code="cart_not_found")
    variation_id = _line_for(cart, product_id, payload.get("variant_id"))
    try:
        view = change_quantity(cart, variation_id, payload.get("quantity"))
    except NotEnoughStock as exc:
        raise InsufficientInventory(exc.message, details=exc.details) from None
    return jsonify(cart_json(session_id, view))


@bp.delete("/cart/<session_id>/items/<int:product_id>")
def shop_cart_remove(session_id: str, product_id: int) -> Response:
    cart = session_cart(session_id, create=False)
    if cart is None:
        raise NotFound("No cart with that session id.", code="cart_not_found")
    variation_id = _line_for(cart, product_id, request.args.get("variant_id"))
    return jsonify(cart_json(session_id, remove_item(cart, variation_id)))


@bp.delete("/cart/<session_id>")
def shop_cart_clear(session_id: str) -> Response:
    cart = session_cart(session_id, create=False)
    if cart is not None:
        clear(cart)
    return jsonify(cart_json(session_id, view_cart(cart)))
