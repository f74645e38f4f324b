"""Shop API orders: check out a session cart (the same checkout service as the pages, so payment
still happens on the ECS's hosted page), and the signed-in customer's own orders."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from storefront.accounts.models import Customer
from storefront.api.body import json_object
from storefront.core.addresses import clean_address
from storefront.core.errors import FieldError, NotFound, ValidationError
from storefront.extensions import db, limiter
from storefront.orders.checkout import Buyer
from storefront.orders.lifecycle import poll_if_due
from storefront.orders.models import Order
from storefront.orders.quote import parse_details
from storefront.orders.serializers import order_json
from storefront.orders.services import check_out_cart, order_history
from storefront.shipping.services import shipping_enabled
from storefront.shopapi.blueprint import bp, current_customer_id, customer_required
from storefront.shopapi.cart import session_cart
from storefront.shopapi.products import MAX_LIMIT, MAX_SKIP, decimal_amount, whole_arg
from storefront.web.pagination import Window


def shop_order_json(order: Order) -> dict[str, Any]:
    body = order_json(order)
    body["id"] = order.id
    body["total_amount"] = decimal_amount(order.total_amount, order.currency)
    body["currency"] = order.currency
    return body


def _checked_payload() -> dict[str, Any]:
    payload = json_object()
    errors: list[FieldError] = []
    for key in ("session_id", "email", "coupon_code"):
        if key in payload and not isinstance(payload[key], str | type(None)):
            errors.append(FieldError(key, f"{key} must be a string"))
    for key in ("shipping_address", "billing_address"):
        if key in payload and not isinstance(payload[key], dict | type(None)):
            errors.append(FieldError(key, f"{key} must be an object"))
    if "shipping_method_id" in payload and not isinstance(payload["shipping_method_id"], int | type(None)):
        errors.append(FieldError("shipping_method_id", "shipping_method_id must be an integer"))
    if not payload.get("session_id"):
        errors.append(FieldError("session_id", "session_id (the cart's) is required"))
    if errors:
        raise ValidationError("Check the highlighted fields.", details=errors)
    if payload.get("billing_address"):  # checked here; the ECS's hosted page takes the card's own
        try:
            clean_address(payload["billing_address"])
        except ValidationError as exc:
            raise ValidationError("Check the billing address.", details=[
                FieldError(f"billing_address.{d.field}", d.message) for d in exc.details]) from None
    return payload


@bp.post("/orders")
@limiter.limit("20 per minute", override_defaults=False)
def shop_create_order() -> tuple[Response, int]:
    """{session_id, shipping_address, billing_address?, email (guests), shipping_method_id?, coupon_code?}
    → 201 {order, payment_url}. The same cart and details again give the same order and link."""
    payload = _checked_payload()
    cart = session_cart(str(payload["session_id"]), create=False)
    if cart is None or not cart.lines:
        raise ValidationError.for_field("session_id", "That cart is empty.")
    customer_id = current_customer_id()
    email = None
    if customer_id is not None:
        customer = db.session.get(Customer, customer_id)
        email = customer.email if customer else None
    details = parse_details({**payload, "shipping_address": payload.get("shipping_address") or {}},
                            email=email, require_address=shipping_enabled())
    order = check_out_cart(cart, Buyer(customer_id, details.email), details)
    return jsonify({"order": shop_order_json(order), "payment_url": order.payment_url}), 201


def _window() -> tuple[int, int]:
    errors: list[FieldError] = []
    skip, limit = whole_arg("skip", 0, 0, MAX_SKIP, errors), whole_arg("limit", 20, 1, MAX_LIMIT, errors)
    if errors:
        raise ValidationError("Check the query parameters.", details=errors)
    return skip, limit


@bp.get("/orders")
@customer_required
def shop_orders() -> Response:
    skip, limit = _window()
    orders, total = order_history(int(current_customer_id() or 0), Window(skip, limit))
    return jsonify({"orders": [shop_order_json(o) for o in orders], "total": total, "skip": skip, "limit": limit})


@bp.get("/orders/<order_id>")
@customer_required
def shop_order(order_id: str) -> Response:
    """One of the customer's orders, by id or number; anyone else's is the same 404 as none."""
    match = Order.id == int(order_id) if order_id.isdigit() and len(order_id) < 10 else Order.number == order_id[:40]
    order = db.session.scalar(select(Order).options(selectinload(Order.lines), selectinload(Order.refunds))
                              .where(match, Order.customer_id == current_customer_id()))
    if order is None:
        raise NotFound("No such order in your account.", code="order_not_found")
    return jsonify(shop_order_json(poll_if_due(order)))
