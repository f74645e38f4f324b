"""A webhook's stock quantities are checked before they touch stock: a negative or non-numeric count
sends the event straight to the DLQ (retrying cannot fix it) and changes nothing."""

from __future__ import annotations

import pytest

from storefront.catalog.models import Item, ItemVariation
from storefront.catalog.webhooks import valid_quantity
from storefront.extensions import db
from storefront.webhooks.handlers import PoisonEvent
from storefront.webhooks.models import WebhookEvent
from storefront.webhooks.services import process

LOCATION = "L-QTY"


def count_event(quantity: object, event_id: str) -> WebhookEvent:
    payload = {"type": "inventory.count.updated", "event_id": event_id,
               "data": {"type": "inventory", "id": event_id, "object": {"inventory_counts": [
                   {"catalog_object_id": "QTY-VAR", "catalog_object_type": "ITEM_VARIATION", "state": "IN_STOCK",
                    "location_id": LOCATION, "quantity": quantity, "calculated_at": "2026-12-02T10:00:00Z"}]}}}
    row = WebhookEvent(event_id=event_id, event_type="inventory.count.updated", payload=payload, status="received")
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def shop(make_app):
    app = make_app(ECS_LOCATION_ID=LOCATION, WEBHOOK_MAX_ATTEMPTS=5)
    with app.app_context():
        item = Item(ecs_id="QTY-ITEM", name="Qty – Test", artist="Qty", title="Test", price_amount=1000,
                    currency="USD", stock=3)
        db.session.add(item)
        db.session.flush()
        db.session.add(ItemVariation(ecs_id="QTY-VAR", item_id=item.id, ordinal=0, name="LP", price_amount=1000,
                                     currency="USD"))
        db.session.commit()
        yield app


@pytest.mark.parametrize("quantity", ["-5", -1, "abc", "NaN", "Infinity", True, None, {"n": 1}, "1" * 60])
def test_a_bad_quantity_goes_straight_to_the_dlq_and_changes_no_stock(shop, quantity):
    row = count_event(quantity, "bad-qty")
    with pytest.raises(PoisonEvent):
        process(row.id)
    db.session.expire_all()
    stored = db.session.get(WebhookEvent, row.id)
    assert stored.status == "dead" and stored.attempts == 1  # no retries: the event itself is bad
    assert "not a non-negative number" in stored.last_error
    assert db.session.query(Item).filter_by(ecs_id="QTY-ITEM").one().stock == 3


def test_a_good_quantity_is_applied(shop):
    row = count_event("0", "good-qty")
    assert process(row.id) == "processed"
    assert db.session.query(Item).filter_by(ecs_id="QTY-ITEM").one().stock == 0


@pytest.mark.parametrize(("raw", "ok"), [("0", True), ("12", True), (7, True), ("1.5", True), (" 3 ", True),
                                         ("-0.1", False), ("", False), ("1e400", True), ("-1e-9", False)])
def test_valid_quantity(raw, ok):
    assert valid_quantity(raw) is ok
