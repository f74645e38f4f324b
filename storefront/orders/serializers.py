"""JSON shapes of orders (customer-facing and staff)."""

from __future__ import annotations

from typing import Any

from storefront.core.money import money_json
from storefront.orders.models import Order


def order_json(order: Order, *, staff: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {
        "number": order.number,
        "status": order.status,
        "payment_status": order.payment_status,
        "created_at": order.created_at.isoformat(),
        "paid_at": order.paid_at.isoformat() if order.paid_at else None,
        "lines": [{
            "item_id": line.item_id, "name": line.name, "variation_name": line.variation_name,
            "quantity": line.quantity, "unit_price": money_json(line.unit_amount, line.currency),
            "line_total": money_json(line.line_total, line.currency),
        } for line in order.lines],
        "subtotal": money_json(order.subtotal_amount, order.currency),
        "discount": money_json(order.discount_amount, order.currency),
        "shipping": money_json(order.shipping_amount, order.currency),
        "tax": money_json(order.tax_amount, order.currency),
        "total": money_json(order.total_amount, order.currency),
        "refunded": money_json(order.refunded_amount, order.currency),
        "coupon_code": order.coupon_code or None,
        "shipping_method": order.shipping_method or None,
        "shipping_address": dict(order.shipping_address) if order.shipping_address else None,
        "carrier": order.carrier or None,
        "tracking_number": order.tracking_number or None,
        "shipped_at": order.shipped_at.isoformat() if order.shipped_at else None,
    }
    if order.status == "pending_payment" and order.payment_url:
        body["payment_url"] = order.payment_url
    if staff:
        body.update({
            "id": order.id, "email": order.email, "customer_id": order.customer_id,
            "ecs_order_id": order.ecs_order_id, "staff_note": order.staff_note,
            "reserved_until": order.reserved_until.isoformat() if order.reserved_until else None,
            "stock_recorded": order.stock_recorded_at is not None,
        })
    return body
