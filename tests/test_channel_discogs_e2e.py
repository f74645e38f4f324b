"""End to end over HTTP: the ECS sandbox (the source of stock), the Discogs sandbox and a Google feed.

Connect Discogs, save mappings, run full syncs: every graded copy in stock is on Discogs exactly once.
Buy a copy on the Discogs sandbox: one poll records it in the ECS once (IN_STOCK → SOLD), marks it sold
here and takes it off the feed; replaying the order changes nothing. A price change in the ECS reaches
both channels through one incremental job each."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from storefront.catalog.models import ItemVariation
from storefront.channels import mappings
from storefront.channels.automation import push_catalog_changes
from storefront.channels.connectors import create_connector, set_mappings
from storefront.channels.models import ChannelConnector, ChannelListing, ChannelSaleRecord, ChannelSyncJob
from storefront.channels.offers import current_offers, variation_of
from storefront.channels.sales import poll_all
from storefront.channels.syncing import start_sync
from storefront.extensions import db
from tests.support.channels import discogs_connector_payload, give_release_ids
from tests.support.ecs import ecs_config
from tests.support.sync import run_sync


def _connector(code: str) -> ChannelConnector:
    return db.session.scalar(select(ChannelConnector).where(ChannelConnector.code == code))


def _status(app, code: str, key: str) -> str | None:
    with app.app_context():
        db.session.remove()
        return db.session.scalar(select(ChannelListing.status).join(ChannelConnector).where(
            ChannelConnector.code == code, ChannelListing.offer_key == key))


@pytest.fixture
def channels(make_app, sandbox, discogs_sandbox):
    app = make_app(**ecs_config(sandbox), PUBLIC_BASE_URL="https://shop.example", CHANNEL_DISCOGS_RATE_WINDOW=1.0)
    with app.app_context():
        run_sync("full")
        give_release_ids()
        discogs, result = create_connector(discogs_connector_payload(discogs_sandbox, location="Crate 4"))
        assert result["success"], result
        set_mappings(discogs, {"price": {"markup_percent": 10, "rounding": "x.99"}, "comments": "copy"})
        create_connector({"code": "feed", "name": "Google", "channel_type": "google_feed"})
        offers = list(current_offers(mappings.effective(_connector("discogs").mappings)))
        for code in ("discogs", "feed"):
            job = start_sync(_connector(code), "full", run_now=True)
            db.session.refresh(job)
            assert job.status in ("completed", "completed_with_errors"), job.failures
            assert {f["error_code"] for f in job.failures} <= {"CHN-010"}  # used copies nobody graded
    return app, sandbox, discogs_sandbox, offers


def test_every_graded_copy_is_on_discogs_exactly_once_with_the_mapped_price(channels):
    app, _ecs, discogs, offers = channels
    graded = [o for o in offers if o.media_grade or o.condition == "new"]
    listed = discogs.listings("For Sale")
    assert len(graded) >= 10
    assert Counter(row["external_id"] for row in listed) == Counter(o.key for o in graded)
    one = next(o for o in graded if o.key == listed[0]["external_id"])
    assert f"{listed[0]['price']:.2f}".endswith(".99")  # 10 % markup, rounded to x.99
    assert abs(listed[0]["price"] - one.price_amount / 100) < 0.005 and listed[0]["location"] == "Crate 4"


def test_a_discogs_sale_sells_once_in_the_ecs_and_comes_off_the_feed(channels):
    app, ecs, discogs, _offers = channels
    listed = discogs.listings("For Sale")
    keys = Counter(variation_of(row["external_id"]) for row in listed)
    row = next(r for r in listed if keys[variation_of(r["external_id"])] == 1)  # a one-copy record
    key, variation = row["external_id"], variation_of(row["external_id"])
    before = ecs.inventory()[variation]
    order = discogs.control("POST", "/_sandbox/buy", {"listing_ids": [row["id"]]})
    with app.app_context():
        assert poll_all() == {"discogs": 1, "feed": 0}  # within one poll
    assert ecs.inventory()[variation] == before - 1
    assert _status(app, "discogs", key) == "sold" and _status(app, "feed", key) == "withdrawn"
    with app.app_context():
        _connector("discogs").sales_cursor = None  # replay every order from the start
        db.session.commit()
        assert poll_all() == {"discogs": 0, "feed": 0}
        sales = db.session.scalars(select(ChannelSaleRecord)).all()
        assert [(s.order_id, s.offer_key) for s in sales] == [(order["id"], key)]
        ours = db.session.scalar(select(ItemVariation).where(ItemVariation.ecs_id == variation))
        assert sum(level.quantity for level in ours.stock_levels) == before - 1
    assert ecs.inventory()[variation] == before - 1  # the ECS count dropped once


def test_an_ecs_price_change_reaches_both_channels_in_one_incremental_job_each(channels):
    app, ecs, discogs, _offers = channels
    row = discogs.listings("For Sale")[0]
    variation = variation_of(row["external_id"])
    copies = sum(1 for r in discogs.listings() if variation_of(r["external_id"]) == variation)
    ecs.control("POST", f"catalog/{variation}/price", json={"amount": 5000})
    with app.app_context():
        jobs_before = db.session.scalar(select(db.func.count()).select_from(ChannelSyncJob))
        run_sync("incremental")  # the committed change pushes to each connector on its own…
        assert push_catalog_changes() == {"discogs": "current", "feed": "current"}  # …so the timer finds nothing
        jobs = db.session.scalars(select(ChannelSyncJob).order_by(ChannelSyncJob.id.desc()).limit(2)).all()
        assert db.session.scalar(select(db.func.count()).select_from(ChannelSyncJob)) == jobs_before + 2
        assert {j.sync_type for j in jobs} == {"incremental"}
        assert [(j.updated_count, j.created_count) for j in jobs] == [(copies, 0), (copies, 0)]  # its copies only
        feed_price = db.session.scalar(select(ChannelListing.price_amount).join(ChannelConnector).where(
            ChannelConnector.code == "feed", ChannelListing.offer_key == row["external_id"]))
    assert feed_price == 5000
    assert discogs.market.listings[row["id"]]["price"] == 54.99  # 50.00 + 10 %, rounded to x.99


def test_selling_one_of_two_copies_keeps_the_other_listing(channels):
    """Copies are numbered by count: selling #1 of two leaves #1 for sale. The remaining copy keeps
    its Discogs listing (no delete and re-create), and the next sync renames its external_id."""
    app, ecs, discogs, _offers = channels
    listed = discogs.listings("For Sale")
    keys = Counter(variation_of(row["external_id"]) for row in listed)
    variation = next(v for v, n in keys.items() if n == 2)
    first = next(r for r in listed if r["external_id"] == f"{variation}#1")
    second = next(r for r in listed if r["external_id"] == f"{variation}#2")
    total = len(discogs.listings())
    discogs.control("POST", "/_sandbox/buy", {"listing_ids": [first["id"]]})
    with app.app_context():
        assert poll_all()["discogs"] == 1
        rows = {r.listing_id: (r.offer_key, r.status) for r in db.session.scalars(
            select(ChannelListing).join(ChannelConnector).where(ChannelConnector.code == "discogs",
                                                                ChannelListing.offer_key.like(f"{variation}#%")))}
        assert rows == {str(first["id"]): (f"{variation}#2", "sold"), str(second["id"]): (f"{variation}#1", "listed")}
        start_sync(_connector("discogs"), "incremental", run_now=True)
        assert poll_all()["discogs"] == 0
    assert len(discogs.listings()) == total  # nothing deleted and re-created
    assert discogs.market.listings[second["id"]]["status"] == "For Sale"
    assert discogs.market.listings[second["id"]]["external_id"] == f"{variation}#1"
    assert _status(app, "feed", f"{variation}#2") == "withdrawn" and _status(app, "feed", f"{variation}#1") == "listed"
