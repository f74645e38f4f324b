"""Helpers for the webhook tests: Square-shaped events, signed deliveries, catalog rows to update."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from storefront.catalog.models import Item, ItemVariation, StockLevel
from storefront.ecs.signature import sign
from storefront.extensions import db
from storefront.webhooks.models import WebhookEvent

KEY = "whsec-current"
OLD_KEY = "whsec-previous"
NOTIFICATION_URL = "https://shop.example/webhooks/square"
LOCATION = "LSANDBOXMAIN1"
SIGNATURE_HEADER = "x-square-hmacsha256-signature"


def webhook_config(**extra: Any) -> dict[str, Any]:
    """App settings for webhook tests (two signature keys, a public notification URL)."""
    return {"ECS_WEBHOOK_SIGNATURE_KEYS": [KEY, OLD_KEY], "ECS_WEBHOOK_NOTIFICATION_URL": NOTIFICATION_URL,
            "ECS_LOCATION_ID": LOCATION, **extra}


def stamp(seconds: float = 0.0) -> str:
    """An RFC 3339 timestamp ``seconds`` after a fixed base time."""
    base = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    return (base + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")


def event(event_type: str, data: dict[str, Any] | None = None, *, event_id: str | None = None) -> dict[str, Any]:
    return {"merchant_id": "MLSANDBOX0000001", "type": event_type, "event_id": event_id or str(uuid.uuid4()),
            "created_at": stamp(), "data": data or {"type": "thing", "id": "X1", "object": {}}}


def count(variation: str, quantity: int, at: float, location: str = LOCATION) -> dict[str, Any]:
    return {"catalog_object_id": variation, "catalog_object_type": "ITEM_VARIATION", "state": "IN_STOCK",
            "location_id": location, "quantity": str(quantity), "calculated_at": stamp(at)}


def inventory_event(*counts: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    return event("inventory.count.updated", {"type": "inventory_counts", "id": str(uuid.uuid4()),
                                             "object": {"inventory_counts": list(counts)}}, event_id=event_id)


def body_of(payload: dict[str, Any] | bytes) -> bytes:
    return payload if isinstance(payload, bytes) else json.dumps(payload).encode()


def deliver(client: FlaskClient, payload: dict[str, Any] | bytes, *, key: str = KEY,
            url: str = NOTIFICATION_URL, signature: str | None = None, tamper: bool = False) -> Any:
    """POST a delivery signed like Square would (``signature`` overrides; ``tamper`` changes the body after)."""
    body = body_of(payload)
    header = signature if signature is not None else sign(key, url, body)
    if tamper:
        body = body.replace(b'"quantity": "', b'"quantity": "9', 1) if b'"quantity": "' in body else body + b" "
    headers = {SIGNATURE_HEADER: header} if header else {}
    return client.post("/webhooks/square", data=body, headers=headers, content_type="application/json")


def make_catalog(variations: int = 3) -> list[str]:
    """One item per variation (ECS ids V1…Vn, items I1…In); returns the variation ECS ids."""
    ids = []
    for n in range(1, variations + 1):
        item = Item(ecs_id=f"I{n}", name=f"Record {n}", artist="Artist", title=f"Record {n}")
        item.variations.append(ItemVariation(ecs_id=f"V{n}", name="LP", ordinal=0, price_amount=1999))
        db.session.add(item)
        ids.append(f"V{n}")
    db.session.commit()
    return ids


def stock_of(variation: str) -> int | None:
    row = db.session.execute(db.select(StockLevel.quantity).join(ItemVariation)
                             .where(ItemVariation.ecs_id == variation)).scalar_one_or_none()
    return row


def item_stock(item_ecs_id: str) -> int:
    return db.session.execute(db.select(Item.stock).where(Item.ecs_id == item_ecs_id)).scalar_one()


def rows() -> list[WebhookEvent]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(WebhookEvent).order_by(WebhookEvent.id)))


def add_row(app: Flask, *, status: str = "dead", event_type: str = "payment.updated",
            payload: dict[str, Any] | None = None, **fields: Any) -> int:
    """Insert an inbox row directly (for DLQ tests); returns its id."""
    payload = payload or event(event_type)
    with app.app_context():
        row = WebhookEvent(event_id=payload["event_id"], event_type=event_type, payload=payload, status=status,
                           attempts=fields.pop("attempts", 5 if status == "dead" else 0),
                           last_error=fields.pop("last_error", "RuntimeError: boom" if status == "dead" else None),
                           **fields)
        db.session.add(row)
        db.session.commit()
        return row.id
