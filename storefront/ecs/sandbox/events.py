"""Square v2 webhook event bodies (InventoryCountUpdatedEvent, CatalogVersionUpdatedEvent, …)."""

from __future__ import annotations

from typing import Any

from storefront.ecs.sandbox.clock import now_us, rfc3339
from storefront.ecs.sandbox.ids import event_id

EVENT_TYPES: frozenset[str] = frozenset({
    "inventory.count.updated", "catalog.version.updated", "order.created", "order.updated",
    "payment.created", "payment.updated", "refund.created", "refund.updated",
})


def _event(merchant_id: str, event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "merchant_id": merchant_id,
        "type": event_type,
        "event_id": event_id(),
        "created_at": rfc3339(now_us()),
        "data": data,
    }


def inventory_count_updated(merchant_id: str, counts: list[dict[str, Any]]) -> dict[str, Any]:
    """``inventory.count.updated`` carrying the counts one change produced."""
    return _event(merchant_id, "inventory.count.updated", {
        "type": "inventory_counts", "id": event_id(), "object": {"inventory_counts": counts},
    })


def catalog_version_updated(merchant_id: str, updated_at: str) -> dict[str, Any]:
    """``catalog.version.updated``: only a timestamp; receivers search with ``begin_time``.

    ``data.id`` is a UUID as in the spec's example and real deliveries, although the
    CatalogVersionUpdatedEventData schema does not declare it.
    """
    return _event(merchant_id, "catalog.version.updated", {
        "type": "catalog_version", "id": event_id(), "object": {"catalog_version": {"updated_at": updated_at}},
    })


def order_event(merchant_id: str, order: dict[str, Any], *, created: bool) -> dict[str, Any]:
    """``order.created`` / ``order.updated`` with the order's summary (not the whole order, like Square)."""
    summary: dict[str, Any] = {
        "order_id": order["id"],
        "version": order["version"],
        "location_id": order["location_id"],
        "state": order["state"],
        "created_at": order["created_at"],
    }
    if created:
        return _event(merchant_id, "order.created", {
            "type": "order_created", "id": order["id"], "object": {"order_created": summary},
        })
    summary["updated_at"] = order["updated_at"]
    return _event(merchant_id, "order.updated", {
        "type": "order_updated", "id": order["id"], "object": {"order_updated": summary},
    })


def payment_event(merchant_id: str, payment: dict[str, Any], *, created: bool) -> dict[str, Any]:
    """``payment.created`` / ``payment.updated`` with the full Payment."""
    return _event(merchant_id, "payment.created" if created else "payment.updated", {
        "type": "payment", "id": payment["id"], "object": {"payment": payment},
    })


def refund_event(merchant_id: str, refund: dict[str, Any], *, created: bool) -> dict[str, Any]:
    """``refund.created`` / ``refund.updated`` with the full PaymentRefund."""
    return _event(merchant_id, "refund.created" if created else "refund.updated", {
        "type": "refund", "id": refund["id"], "object": {"refund": refund},
    })
