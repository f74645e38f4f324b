"""Dated events: their time read from the catalog in the shop's time zone, sold as tickets like
records, shown with their date, and gone from the shop once they have happened; the space itself
is still booked by inquiry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from storefront.catalog import revision as catalog_revision
from storefront.catalog.events import retire_past_events
from storefront.catalog.models import Item, ItemVariation
from storefront.db.timestamps import utcnow
from storefront.extensions import db
from storefront.sync.mapping import parse_local_time
from tests.support.ecs import ecs_config
from tests.support.factories import make_item
from tests.support.sync import run_sync


@pytest.mark.parametrize("text, zone, expected", [
    ("2026-12-10 19:30", "America/New_York", datetime(2026, 12, 11, 0, 30, tzinfo=UTC)),
    ("2026-12-10T19:30", "Europe/London", datetime(2026, 12, 10, 19, 30, tzinfo=UTC)),
    ("2026-07-10 19:30", "Europe/London", datetime(2026, 7, 10, 18, 30, tzinfo=UTC)),  # summer time
    ("2026-12-10 19:30+01:00", "America/New_York", datetime(2026, 12, 10, 18, 30, tzinfo=UTC)),
    ("2026-12-10", "UTC", datetime(2026, 12, 10, 19, 0, tzinfo=UTC)),  # a date alone: the evening
    ("next Thursday", "UTC", None), ("", "UTC", None), ("2026-12-10 19:30", "Not/AZone", datetime(
        2026, 12, 10, 19, 30, tzinfo=UTC)),
])
def test_an_event_time_is_read_in_the_shops_time_zone(text, zone, expected):
    assert parse_local_time(text, zone) == expected


def test_the_seller_demos_dated_events_sell_tickets_and_the_past_one_is_not_listed(make_app, sandbox):
    sandbox.reset(items=40, shape="seller")
    app = make_app(**ecs_config(sandbox), SHOP_TIMEZONE="America/New_York")
    with app.app_context():
        assert run_sync().status == "succeeded"
        events = db.session.execute(select(Item.id, Item.name, Item.starts_at, Item.stock, Item.is_deleted)
                                    .where(Item.kind == "event")).all()
    dated = [e for e in events if e.starts_at is not None]
    assert len(dated) == 4 and all(e.starts_at > utcnow() and not e.is_deleted for e in dated)
    assert all(e.stock > 0 for e in dated)  # seats Square counts
    hire = [e for e in events if e.starts_at is None]
    assert hire  # the space's own hires, booked by inquiry

    client = app.test_client()
    first = min(dated, key=lambda e: e.starts_at)
    page = client.get(f"/catalog/{first.id}").get_data(as_text=True)
    assert "at the shop" in page and "Add to cart" in page
    with app.app_context():
        ticket = db.session.scalar(select(ItemVariation.id).where(ItemVariation.item_id == first.id))
        hire_variation = db.session.scalar(select(ItemVariation.id).where(ItemVariation.item_id == hire[0].id))
    cart = client.post("/api/v1/cart").get_json()["cart_token"]
    added = client.post("/api/v1/cart/items", json={"variation_id": ticket, "quantity": 2},
                        headers={"X-Cart-Token": cart})
    assert added.status_code == 200, added.get_data(as_text=True)
    refused = client.post("/api/v1/cart/items", json={"variation_id": hire_variation, "quantity": 1},
                          headers={"X-Cart-Token": cart})
    assert refused.status_code == 422 and "inquiry" in refused.get_json()["error"]["message"]
    hire_page = client.get(f"/catalog/{hire[0].id}").get_data(as_text=True)
    assert "Ask about booking the space" in hire_page and "Add to cart" not in hire_page


def test_an_event_leaves_the_shop_once_it_has_started(app):
    with app.app_context():
        soon = make_item(artist="", title="Tonight", kind="event", format="", starts_at=utcnow() + timedelta(hours=2))
        over = make_item(artist="", title="Last week", kind="event", format="",
                         starts_at=utcnow() - timedelta(days=7))
        hire = make_item(artist="", title="Evening hire", kind="event", format="")
        db.session.commit()
        before = catalog_revision.current()
        assert retire_past_events() == 1
        assert [db.session.get(Item, i).is_deleted for i in (soon.id, over.id, hire.id)] == [False, True, False]
        assert catalog_revision.current() > before
        assert retire_past_events() == 0
        assert retire_past_events(now=utcnow() + timedelta(hours=3)) == 1  # "Tonight" has begun
