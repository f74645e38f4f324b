"""The orders domain's webhook handlers: payments and orders converge on the ECS's state."""

from __future__ import annotations

from typing import Any

from storefront.orders.lifecycle import apply_order_event, apply_payment_event
from storefront.orders.refunds import apply_refund_event
from storefront.webhooks.handlers import HandlerResult, register_handler
from storefront.webhooks.models import IGNORED, WebhookEvent


def _object(event: WebhookEvent) -> dict[str, Any]:
    return ((event.payload or {}).get("data") or {}).get("object") or {}


def on_payment_event(event: WebhookEvent) -> HandlerResult:
    """``payment.created`` / ``payment.updated``: note declines; re-read the ECS order when paid."""
    payment = _object(event).get("payment") or {}
    order = apply_payment_event(payment)
    if order is None:
        return HandlerResult(IGNORED, "payment for an order this shop did not create")
    return HandlerResult(note=f"order {order.number} is {order.status}")


def on_order_event(event: WebhookEvent) -> HandlerResult:
    """``order.created`` / ``order.updated``: whatever their order, converge on RetrieveOrder."""
    obj = _object(event)
    summary = obj.get("order_updated") or obj.get("order_created") or {}
    order_id = summary.get("order_id") or ((event.payload or {}).get("data") or {}).get("id")
    order = apply_order_event(str(order_id)) if order_id else None
    if order is None:
        return HandlerResult(IGNORED, "order this shop did not create")
    return HandlerResult(note=f"order {order.number} is {order.status}")


def on_refund_event(event: WebhookEvent) -> HandlerResult:
    """``refund.created`` / ``refund.updated``: follow the status of refunds this shop made."""
    refund = apply_refund_event(_object(event).get("refund") or {})
    if refund is None:
        return HandlerResult(IGNORED, "refund this shop did not make")
    return HandlerResult(note=f"refund of order {refund.order.number} is {refund.status}")


def register() -> None:
    register_handler("payment.*", on_payment_event)
    register_handler("refund.*", on_refund_event)
    register_handler("order.*", on_order_event)
