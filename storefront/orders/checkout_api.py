"""/api/v1 checkout for customers and guests, the pre-payment quote, and one order for its owner."""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify

from storefront.accounts.models import Customer
from storefront.api.auth import customer_token_optional, customer_token_required
from storefront.api.blueprint import bp
from storefront.api.body import json_object
from storefront.cart.models import Cart
from storefront.cart.services import find_cart, view_cart
from storefront.core.errors import FieldError, NotFound, ValidationError
from storefront.core.money import money_json
from storefront.extensions import db, limiter
from storefront.orders.checkout import Buyer
from storefront.orders.lifecycle import poll_if_due
from storefront.orders.quote import CheckoutQuote, cart_ecs_ids, parse_details, quote
from storefront.orders.serializers import order_json
from storefront.orders.services import check_out_cart, customer_order
from storefront.shipping.services import shipping_enabled


def _cart(payload: dict[str, Any]) -> Cart:
    token = payload.get("cart_token")
    if not isinstance(token, str) or not token:
        raise ValidationError("cart_token is required.", details=[FieldError("cart_token", "required")])
    cart = find_cart(token)
    if cart is None:
        raise NotFound("No cart matches that cart_token.", code="cart_not_found")
    return cart


def _buyer_email() -> tuple[int | None, str | None]:
    if g.api_customer_id is None:
        return None, None
    customer = db.session.get(Customer, g.api_customer_id)
    if customer is None:
        raise NotFound("Customer not found.")
    return customer.id, customer.email


def _details(payload: dict[str, Any]):  # noqa: ANN202
    for key in ("email", "coupon_code"):
        if key in payload and not isinstance(payload[key], str | type(None)):
            raise ValidationError.for_field(key, f"{key} must be a string")
    if "shipping_address" in payload and not isinstance(payload["shipping_address"], dict | type(None)):
        raise ValidationError.for_field("shipping_address", "shipping_address must be an object")
    if "shipping_method_id" in payload and not isinstance(payload["shipping_method_id"], int | type(None)):
        raise ValidationError.for_field("shipping_method_id", "shipping_method_id must be an integer")
    customer_id, email = _buyer_email()
    details = parse_details({**payload, "shipping_address": payload.get("shipping_address") or {}},
                            email=email, require_address=shipping_enabled())
    return customer_id, details


def quote_json(priced: CheckoutQuote) -> dict[str, Any]:
    currency = priced.currency
    return {
        "rates": [{"shipping_method_id": r.method_id, "name": r.name, "pickup": r.is_pickup,
                   "amount": money_json(r.amount, currency)} for r in priced.rates],
        "shipping_method_id": priced.rate.method_id if priced.rate else None,
        "coupon_code": priced.coupon.code if priced.coupon else None,
        "subtotal": money_json(priced.subtotal, currency), "discount": money_json(priced.discount, currency),
        "shipping": money_json(priced.shipping, currency), "tax": money_json(priced.tax, currency),
        "total": money_json(priced.total, currency), "computed_by_ecs": priced.from_ecs,
        "problems": [{"field": k, "message": v} for k, v in priced.errors.items()],
    }


@bp.post("/checkout/quote")
@customer_token_optional
@limiter.limit("60 per minute")
def api_checkout_quote() -> Response:
    """Delivery options and totals (the ECS's tax and discount where it answers) before paying."""
    payload = json_object()
    cart = _cart(payload)
    customer_id, details = _details(payload)
    view = view_cart(cart)
    return jsonify(quote_json(quote(view, details, customer_id=customer_id, ecs_ids=cart_ecs_ids(view))))


@bp.post("/checkout")
@customer_token_optional
@limiter.limit("20 per minute")
def api_checkout() -> tuple[Response, int]:
    """Create (or resume) the pending order for a cart and its hosted payment link; a customer token,
    or a guest with an email. The same cart and details again return the same order and link."""
    payload = json_object()
    cart = _cart(payload)
    customer_id, details = _details(payload)
    order = check_out_cart(cart, Buyer(customer_id, details.email), details)
    return jsonify({"order": order_json(order), "payment_url": order.payment_url}), 201


@bp.get("/orders/<number>")
@customer_token_required
def api_order(number: str) -> Response:
    """One of the customer's own orders, with its delivery, totals and refunds."""
    return jsonify({"order": order_json(poll_if_due(customer_order(g.api_customer_id, number)))})
