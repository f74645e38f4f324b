"""The cart as JSON (the /api/v1 cart endpoints and checkout answers)."""

from __future__ import annotations

from typing import Any

from storefront.cart.services import CartView
from storefront.core.money import money_json


def cart_json(view: CartView) -> dict[str, Any]:
    """A cart view: lines with their flags, count, subtotal, problems and whether it can check out."""
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
