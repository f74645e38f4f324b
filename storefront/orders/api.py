"""/api/v1 checkout, order status, order history and staff order endpoints."""

from __future__ import annotations

from typing import Any

from flask import Response, g, jsonify, request

from storefront.accounts.models import Customer
from storefront.api.auth import customer_token_required, staff_token_required
from storefront.api.blueprint import bp
from storefront.api.body import json_object
from storefront.core.errors import FieldError, NotFound, ValidationError
from storefront.core.money import money_json
from storefront.extensions import db, limiter
from storefront.orders.fulfilment import cancel_unpaid, carrier_name, mark_shipped, refund
from storefront.orders.limits import order_number_key, order_status_limit
from storefront.orders.models import Refund
from storefront.orders.serializers import order_json
from storefront.orders.services import (
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
    """Change status (valid transitions only), tracking number or add a note; each change is audited.

    With ``carrier`` (and ``tracking_number``) the order is marked shipped as on the order page."""
    order = get_order(order_id)
    payload = json_object()
    unknown = set(payload) - {"status", "tracking_number", "note", "carrier"}
    if unknown:
        raise ValidationError("Unknown fields.", details=[FieldError(k, "not a field you can change")
                                                          for k in sorted(unknown)])
    for key in ("status", "tracking_number", "note", "carrier"):
        if key in payload and not isinstance(payload[key], str):
            raise ValidationError.for_field(key, f"{key} must be a string")
    changes: list[str] = []
    if "carrier" in payload:
        if payload.get("status") not in (None, "fulfilled"):
            raise ValidationError.for_field("status", "With a carrier the order becomes fulfilled (shipped).")
        if mark_shipped(order, actor=g.api_staff, carrier=payload["carrier"],
                        tracking_number=payload.get("tracking_number")):
            changes.append(f"shipped with {carrier_name(order)}"
                           + (f" (tracking {order.tracking_number})" if order.tracking_number else ""))
        payload = {k: v for k, v in payload.items() if k not in ("carrier", "tracking_number", "status")}
    changes += staff_update_order(order, actor=g.api_staff, status=payload.get("status"),
                                  tracking_number=payload.get("tracking_number"), note=payload.get("note"))
    return jsonify({"order": order_json(order, staff=True), "changes": changes})


def refund_json(row: Refund) -> dict[str, Any]:
    return {"id": row.id, "amount": money_json(row.amount, row.currency), "status": row.status,
            "reason": row.reason, "ecs_refund_id": row.ecs_refund_id, "created_at": row.created_at.isoformat()}


def _restock_lines(value: object) -> dict[int, int]:
    """``[{line_id, quantity}]`` → {line id: quantity} (422 naming the entry that is wrong)."""
    if value is None:
        return {}
    if not isinstance(value, list):
        raise ValidationError.for_field("restock", "restock must be a list of {line_id, quantity}")
    wanted: dict[int, int] = {}
    for n, entry in enumerate(value):
        line_id = entry.get("line_id") if isinstance(entry, dict) else None
        quantity = entry.get("quantity") if isinstance(entry, dict) else None
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (line_id, quantity)) \
                or line_id in wanted or set(entry) - {"line_id", "quantity"}:
            raise ValidationError.for_field(f"restock[{n}]", "each entry is {line_id, quantity}, one per line")
        wanted[line_id] = quantity  # type: ignore[index]
    return wanted


@bp.post("/staff/orders/<int:order_id>/refunds")
@staff_token_required()
def api_staff_refund_order(order_id: int) -> tuple[Response, int]:
    """{amount, reason, restock?} → 201 with the refund; the same Idempotency-Key returns the same refund."""
    order = get_order(order_id)
    payload = json_object()
    unknown = sorted(set(payload) - {"amount", "reason", "restock"})
    if unknown:
        raise ValidationError("Unknown fields.", details=[FieldError(k, "not a refund field") for k in unknown])
    amount = payload.get("amount")
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise ValidationError.for_field("amount", "amount must be an integer (minor units, e.g. cents)")
    if not isinstance(payload.get("reason"), str):
        raise ValidationError.for_field("reason", "reason must be a string")
    done = refund(order, actor=g.api_staff, amount=amount, reason=payload["reason"],
                  restock_lines=_restock_lines(payload.get("restock")),
                  nonce=request.headers.get("Idempotency-Key"))
    return jsonify({"refund": refund_json(done), "order": order_json(order, staff=True)}), 201


@bp.post("/staff/orders/<int:order_id>/cancel")
@staff_token_required()
def api_staff_cancel_order(order_id: int) -> Response:
    """{reason} → the cancelled order (an unpaid order only; a second call changes nothing)."""
    order = get_order(order_id)
    payload = json_object()
    if not isinstance(payload.get("reason"), str):
        raise ValidationError.for_field("reason", "reason must be a string")
    changed = cancel_unpaid(order, actor=g.api_staff, reason=payload["reason"])
    return jsonify({"order": order_json(order, staff=True), "changed": changed})

