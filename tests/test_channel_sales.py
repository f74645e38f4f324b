"""A copy sold on a channel is recorded in the ECS exactly once: the sale goes through the webhook
inbox (a replayed order is a duplicate), the ECS's IN_STOCK count drops by one over real HTTP to
the sandbox (keyed to the order and copy, so a retried recording cannot sell twice), our stock
follows the ECS, the listing is marked sold and the other connectors withdraw the copy."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.catalog.models import ItemVariation
from storefront.channels.adapters import ChannelSale
from storefront.channels.connectors import create_connector
from storefront.channels.models import ChannelConnector, ChannelListing, ChannelSaleRecord
from storefront.channels.sales import SALE_EVENT, announce, record_sale
from storefront.channels.syncing import start_sync
from storefront.extensions import db
from storefront.webhooks.models import WebhookEvent
from tests.support.ecs import ecs_config
from tests.support.sync import run_sync


@pytest.fixture
def synced(make_app, sandbox):
    app = make_app(**ecs_config(sandbox), PUBLIC_BASE_URL="https://shop.example")
    with app.app_context():
        run_sync("full")
        for code in ("feed-a", "feed-b"):
            connector, _ = create_connector({"code": code, "name": code, "channel_type": "google_feed"})
            job = start_sync(connector, "full", run_now=True)
            db.session.refresh(job)
            assert job.status == "completed" and job.created_count > 0
    return app, sandbox


def _a_listed_copy(app) -> tuple[str, str]:
    """(offer key, variation ECS id) of a copy listed on feed-a whose variation has exactly one copy."""
    with app.app_context():
        rows = db.session.scalars(select(ChannelListing).join(ChannelConnector)
                                  .where(ChannelConnector.code == "feed-a", ChannelListing.status == "listed")
                                  .order_by(ChannelListing.id)).all()
        keys = [r.offer_key for r in rows]
        single = next(k for k in keys if k.endswith("#1") and f"{k[:-2]}#2" not in keys)
        return single, single[:-2]


def _listing_status(app, code: str, key: str) -> str | None:
    with app.app_context():
        db.session.remove()
        return db.session.scalar(select(ChannelListing.status).join(ChannelConnector)
                                 .where(ChannelConnector.code == code, ChannelListing.offer_key == key))


def test_a_channel_sale_sells_once_in_the_ecs_and_comes_off_every_channel(synced):
    app, sandbox = synced
    key, variation_ecs_id = _a_listed_copy(app)
    before = sandbox.inventory()[variation_ecs_id]
    sale = ChannelSale(order_id="1234-5", offer_key=key, listing_id="987", price_amount=2500, currency="USD")
    with app.app_context():
        connector = db.session.scalar(select(ChannelConnector).where(ChannelConnector.code == "feed-a"))
        assert announce(connector, [sale]) == 1  # in-process jobs: processed on the spot
        assert announce(connector, [sale]) == 0  # the replayed order is a duplicate in the inbox
        events = db.session.scalars(select(WebhookEvent).where(WebhookEvent.event_type == SALE_EVENT)).all()
        assert len(events) == 1 and events[0].status == "processed"
    assert sandbox.inventory()[variation_ecs_id] == before - 1
    assert _listing_status(app, "feed-a", key) == "sold"
    assert _listing_status(app, "feed-b", key) == "withdrawn"
    with app.app_context():
        # A retried recording (the job ran twice, the inbox row replayed from the DLQ) changes nothing.
        connector = db.session.scalar(select(ChannelConnector).where(ChannelConnector.code == "feed-a"))
        record_sale(connector, sale)
        assert db.session.scalar(select(db.func.count()).select_from(ChannelSaleRecord)) == 1
        variation = db.session.scalar(select(ItemVariation).where(ItemVariation.ecs_id == variation_ecs_id))
        assert variation.stock_levels[0].quantity == before - 1
    assert sandbox.inventory()[variation_ecs_id] == before - 1


def test_a_sale_of_an_unknown_copy_is_kept_for_staff_and_changes_nothing(synced):
    app, sandbox = synced
    counts = sandbox.inventory()
    with app.app_context():
        connector = db.session.scalar(select(ChannelConnector).where(ChannelConnector.code == "feed-a"))
        note = record_sale(connector, ChannelSale(order_id="9", offer_key="NOPE#1", listing_id="1"))
        assert note.startswith("unknown copy")
        row = db.session.scalar(select(ChannelSaleRecord))
        assert row.status == "unknown_copy" and row.ecs_recorded_at is None
    assert sandbox.inventory() == counts
