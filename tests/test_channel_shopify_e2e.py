"""Three systems over HTTP, as in production: the ECS sandbox (stock), the Discogs and Shopify
sandboxes (channels), and the shop on a real socket receiving Shopify's signed ``orders/create``.

Full syncs put every graded copy on Discogs once and on Shopify as inventory; a copy sold on Discogs
is recorded in the ECS once within one poll and Shopify's inventory for it reaches zero; a copy sold
on Shopify arrives by webhook, is recorded once (a redelivery and the safety-net poll change
nothing) and its Discogs listing is taken down."""

from __future__ import annotations

import json
from collections import Counter

import pytest
import requests
from sqlalchemy import select

from storefront.channels import mappings
from storefront.channels.connectors import create_connector
from storefront.channels.models import ChannelConnector, ChannelListing, ChannelSaleRecord
from storefront.channels.offers import current_offers, variation_of
from storefront.channels.sales import poll_all
from storefront.channels.syncing import start_sync
from storefront.extensions import db
from tests.support.channels import (
    SHOPIFY_SECRET,
    discogs_connector_payload,
    give_release_ids,
    hmac_header,
    shopify_connector_payload,
)
from tests.support.ecs import ecs_config
from tests.support.live_server import live_server
from tests.support.sync import run_sync


def _connector(code: str) -> ChannelConnector:
    return db.session.scalar(select(ChannelConnector).where(ChannelConnector.code == code))


@pytest.fixture
def everywhere(make_app, sandbox, discogs_sandbox, shopify_sandbox):
    def build(base_url: str):
        return make_app(**ecs_config(sandbox), PUBLIC_BASE_URL=base_url, CHANNEL_DISCOGS_RATE_WINDOW=1.0)

    with live_server(build) as (app, base_url):
        with app.app_context():
            run_sync("full")
            give_release_ids()
            create_connector(discogs_connector_payload(discogs_sandbox))
            create_connector(shopify_connector_payload(shopify_sandbox))
            for code in ("discogs", "shopify"):
                job = start_sync(_connector(code), "full", run_now=True)
                db.session.refresh(job)
                assert {f["error_code"] for f in job.failures} <= {"CHN-010"}, job.failures
            offers = list(current_offers(mappings.effective({})))
        shopify_sandbox.control("PUT", "/_sandbox/webhook", {"url": f"{base_url}/webhooks/shopify/shopify"})
        yield app, base_url, sandbox, discogs_sandbox, shopify_sandbox, offers


def _single_copy(discogs) -> tuple[dict, str]:
    listed = discogs.listings("For Sale")
    counts = Counter(variation_of(r["external_id"]) for r in listed)
    row = next(r for r in listed if counts[variation_of(r["external_id"])] == 1)
    return row, variation_of(row["external_id"])


def test_every_copy_is_offered_once_on_each_channel(everywhere):
    _app, _base, _ecs, discogs, shopify, offers = everywhere
    graded = [o for o in offers if o.media_grade or o.condition == "new"]
    assert Counter(r["external_id"] for r in discogs.listings("For Sale")) == Counter(o.key for o in graded)
    assert shopify.available() == dict(Counter(variation_of(o.key) for o in offers))


def test_a_discogs_sale_takes_the_shopify_inventory_to_zero(everywhere):
    app, _base, ecs, discogs, shopify, _offers = everywhere
    row, variation = _single_copy(discogs)
    before = ecs.inventory()[variation]
    discogs.control("POST", "/_sandbox/buy", {"listing_ids": [row["id"]]})
    with app.app_context():
        assert poll_all()["discogs"] == 1
        assert poll_all()["discogs"] == 0
    assert ecs.inventory()[variation] == before - 1
    assert shopify.available()[variation] == 0


def test_a_shopify_sale_arrives_signed_is_recorded_once_and_comes_off_discogs(everywhere):
    app, base_url, ecs, discogs, shopify, _offers = everywhere
    row, variation = _single_copy(discogs)
    variant = next(v for v in shopify.shop.variants.values() if v["sku"] == variation)
    before = ecs.inventory()[variation]
    order = shopify.control("POST", "/_sandbox/buy", {"variant_id": variant["id"], "quantity": 1})
    assert shopify.control("GET", "/_sandbox/stats")["deliveries"] == [200]  # the shop took the webhook
    assert ecs.inventory()[variation] == before - 1
    assert discogs.market.listings.get(row["id"]) is None  # taken down on Discogs
    # Shopify redelivers (it retries until it sees a 2xx), and the safety-net poll finds the order too.
    body = json.dumps(order).encode()
    again = requests.post(f"{base_url}/webhooks/shopify/shopify", data=body, timeout=10,
                          headers={"Content-Type": "application/json", "X-Shopify-Topic": "orders/create",
                                   "X-Shopify-Hmac-Sha256": hmac_header(SHOPIFY_SECRET, body)})
    assert again.status_code == 200 and again.json() == {"received": 1, "new": 0}
    with app.app_context():
        assert poll_all()["shopify"] == 0
        sales = db.session.scalars(select(ChannelSaleRecord)).all()
        assert [(s.order_id, s.offer_key) for s in sales] == [(str(order["id"]), f"{variation}#1")]
        statuses = dict(db.session.execute(select(ChannelConnector.code, ChannelListing.status).join(ChannelConnector)
                                           .where(ChannelListing.offer_key == f"{variation}#1")).all())
    assert statuses == {"shopify": "sold", "discogs": "withdrawn"}
    assert ecs.inventory()[variation] == before - 1  # once
