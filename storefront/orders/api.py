"""/api/v1 checkout, order status, order history and staff order endpoints."""

from __future__ import annotations

from flask import Response, g, jsonify, request

from storefront.accounts.models import Customer
from storefront.api.auth import customer_token_required, staff_token_required
from storefront.api.blueprint import bp
from storefront.api.body import json_object
from storefront.cart.models import Cart
from storefront.cart.services import find_cart
from storefront.core.errors import FieldError, NotFound, ValidationError
from storefront.extensions import db, limiter
from storefront.orders.checkout import Buyer
from storefront.orders.limits import order_number_key, order_status_limit
from storefront.orders.serializers import order_json
from storefront.orders.services import (
    check_out_cart,
    get_order,
    lookup_order,
    order_history,
    parse_order_filters,
    staff_orders,
    staff_update_order,
)
from storefront.web.pagination import page_request, pagination_dict


def _customer():  # noqa: ANN202

    customer = db.session.get(Customer, g.api_customer_id)
    if customer is None:
        raise NotFound("Customer not found.")
    return customer


@bp.post("/checkout")
@customer_token_required
@limiter.limit("20 per minute")
def api_checkout() -> tuple[Response, int]:
    """Create (or return the existing) pending order for a cart and its hosted payment link."""
    payload = json_object()
    token = payload.get("cart_token")
    if not isinstance(token, str) or not token:
        raise ValidationError("cart_token is required.", details=[FieldError("cart_token", "required")])
    cart: Cart | None = find_cart(token)
    if cart is None:
        raise NotFound("No cart matches that cart_token.", code="cart_not_found")
    customer = _customer()
    order = check_out_cart(cart, Buyer(customer.id, customer.email))
    return jsonify({"order": order_json(order), "payment_url": order.payment_url}), 201


@bp.get("/order/status")
@limiter.limit(order_status_limit)
@limiter.limit(order_status_limit, key_func=order_number_key)
def api_order_status() -> Response:
    """Public lookup; an unknown number and a wrong email give the same 404."""
    order = lookup_order(request.args.get("number", ""), request.args.get("email", ""))
    return jsonify({"order": order_json(order)})


@bp.get("/orders/history")
@customer_token_required
def api_order_history() -> Response:
    page = page_request(request.args, default_limit=10, max_limit=50)
    orders, total = order_history(g.api_customer_id, page)
    return jsonify({"orders": [order_json(o) for o in orders], "pagination": pagination_dict(page, total)})


@bp.get("/staff/orders")
@staff_token_required()
def api_staff_orders() -> Response:
    page = page_request(request.args, default_limit=25, max_limit=100)
    orders, total = staff_orders(parse_order_filters(request.args), page)
    return jsonify({"orders": [order_json(o, staff=True) for o in orders], "pagination": pagination_dict(page, total)})


@bp.get("/staff/orders/<int:order_id>")
@staff_token_required()
def api_staff_order(order_id: int) -> Response:
    return jsonify({"order": order_json(get_order(order_id), staff=True)})


@bp.put("/staff/orders/<int:order_id>")
@staff_token_required()
def api_staff_update_order(order_id: int) -> Response:
    """Change status (valid transitions only), tracking number or add a note; each change is audited."""
    order = get_order(order_id)
    payload = json_object()
    unknown = set(payload) - {"status", "tracking_number", "note"}
    if unknown:
        raise ValidationError("Unknown fields.", details=[FieldError(k, "not a field you can change")
                                                          for k in sorted(unknown)])
    for key in ("status", "tracking_number", "note"):
        if key in payload and not isinstance(payload[key], str):
            raise ValidationError.for_field(key, f"{key} must be a string")
    changes = staff_update_order(order, actor=g.api_staff, status=payload.get("status"),
                                 tracking_number=payload.get("tracking_number"), note=payload.get("note"))
    return jsonify({"order": order_json(order, staff=True), "changes": changes})
