"""Sales-channel tests: a shop with graded records in stock at its location (the ``shop`` fixture)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import select

from storefront.catalog.models import Item, ItemDetail, ItemVariation, StockLevel
from storefront.discogs.sandbox import create_discogs_sandbox
from storefront.ecs.sandbox.server import serve_in_thread
from storefront.extensions import db
from storefront.shopify.sandbox import create_shopify_sandbox
from tests.support.factories import make_item

LOCATION = "LTEST"
API = "/api/v1/staff/channel-connectors"


def stock(item, quantity: int, *, grade: str = "VG+") -> None:  # noqa: ANN001
    """``quantity`` copies of each of the item's variations at the shop's location, graded ``grade``."""
    for variation in db.session.scalars(select(ItemVariation).where(ItemVariation.item_id == item.id)):
        db.session.add(StockLevel(variation_id=variation.id, location_id=LOCATION, quantity=quantity))
        variation.media_grade, variation.condition = grade, "used" if grade else "new"


@pytest.fixture
def shop(make_app):  # noqa: ANN001, ANN201
    """Three records: two copies of one, one of another, none of the third."""
    app = make_app(ECS_LOCATION_ID=LOCATION, PUBLIC_BASE_URL="https://shop.example")
    with app.app_context():
        stock(make_item(artist="Nina Simone", title="Pastel Blues", price=2500), 2)
        stock(make_item(artist="Can", title="Tago Mago", price=3200, barcode="4006381333931"), 1)
        stock(make_item(artist="Sold Out", title="Nothing Left", price=1000), 0)
        db.session.commit()
    return app


DISCOGS_TOKEN = "sandbox-discogs-token-7f3a9c"  # distinctive, so the credential scans can find any leak


class DiscogsSandbox:
    """The Discogs Marketplace sandbox on a real socket: ``base_url``, its state and control calls."""

    def __init__(self, server) -> None:  # noqa: ANN001
        self.server = server
        self.base_url = server.base_url
        self.market = server.app.extensions["discogs_sandbox"]

    def control(self, method: str, path: str, body=None):  # noqa: ANN001, ANN201
        return self.server.json(method, path, body)

    def listings(self, status: str | None = None) -> list[dict]:
        with self.market.lock:
            return [dict(row) for row in self.market.listings.values() if status is None or row["status"] == status]

    def stats(self) -> dict:
        return self.control("GET", "/_sandbox/stats")


@pytest.fixture
def discogs_sandbox():  # noqa: ANN201
    """A fresh Discogs sandbox whose clock runs 60 times fast: 60 requests per 1-second window
    (the app under test is set to the same window with ``CHANNEL_DISCOGS_RATE_WINDOW``)."""
    server = serve_in_thread(create_discogs_sandbox(token=DISCOGS_TOKEN, limit=60, window=1.0))
    try:
        yield DiscogsSandbox(server)
    finally:
        server.shutdown()


def discogs_connector_payload(sandbox: DiscogsSandbox, code: str = "discogs", **settings) -> dict:  # noqa: ANN003
    return {"code": code, "name": "Discogs Marketplace", "channel_type": "discogs",
            "settings": {"api_base": sandbox.base_url, **settings}, "credentials": {"token": DISCOGS_TOKEN}}


def give_release_ids(first: int = 1001) -> int:
    """Every record a Discogs release id (enrichment's match), as staff would before listing there."""
    items = db.session.scalars(select(Item).where(Item.kind == "record").order_by(Item.id)).all()
    for number, item in enumerate(items):
        if item.detail is None:
            item.detail = ItemDetail()
        item.detail.discogs_release_id = first + number
    db.session.commit()
    return len(items)


SHOPIFY_TOKEN = "shpat_sandbox_5b1e0c7d"  # noqa: S105 (distinctive, so the credential scans can find any leak)
SHOPIFY_SECRET = "shopify-webhook-secret-42a"  # noqa: S105
SHOPIFY_LOCATION = 655441491


class ShopifySandbox:
    """The Shopify sandbox on a real socket."""

    def __init__(self, server) -> None:  # noqa: ANN001
        self.server = server
        self.base_url = server.base_url
        self.shop = server.app.extensions["shopify_sandbox"]

    def control(self, method: str, path: str, body=None):  # noqa: ANN001, ANN201
        return self.server.json(method, path, body)

    def available(self) -> dict[str, int]:
        """SKU (our variation's ECS id) → copies for sale at the location."""
        return self.control("GET", "/_sandbox/stats")["available"]


@contextmanager
def serve_shopify(**options) -> Iterator[ShopifySandbox]:  # noqa: ANN003
    """The sandbox's bucket leaks 20 times fast unless told otherwise (40 a second, not 2): the bucket
    and its 429s are real, a test just need not wait minutes for them."""
    options.setdefault("leak_rate", 40.0)
    server = serve_in_thread(create_shopify_sandbox(token=SHOPIFY_TOKEN, secret=SHOPIFY_SECRET,
                                                    location_id=SHOPIFY_LOCATION, **options))
    try:
        yield ShopifySandbox(server)
    finally:
        server.shutdown()


@pytest.fixture
def shopify_sandbox() -> Iterator[ShopifySandbox]:
    with serve_shopify() as sandbox:
        yield sandbox


def shopify_connector_payload(sandbox: ShopifySandbox, code: str = "shopify") -> dict:
    return {"code": code, "name": "Shopify", "channel_type": "shopify",
            "settings": {"base_url": sandbox.base_url, "location_id": SHOPIFY_LOCATION, "api_version": "2025-07"},
            "credentials": {"access_token": SHOPIFY_TOKEN, "webhook_secret": SHOPIFY_SECRET}}


def hmac_header(secret: str, body: bytes) -> str:
    """Shopify's documented webhook signature, computed here independently of the code under test."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
