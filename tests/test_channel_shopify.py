"""The Shopify connector against the local Shopify sandbox over HTTP (REST Admin API 2025-07): one
product per record with its copies as inventory at one location, the leaky bucket's 429s waited out,
copies leaving stock lowering the inventory, a merchant's price edit raising a conflict, and the
``orders/create`` webhook verified with ``X-Shopify-Hmac-Sha256`` (CHN-050 otherwise)."""

from __future__ import annotations

import json
import logging

import pytest
import requests
from sqlalchemy import select

from storefront.catalog.models import Item, ItemVariation, StockLevel
from storefront.channels.connectors import create_connector
from storefront.channels.models import ChannelConflict, ChannelConnector, ChannelSyncJob
from storefront.channels.syncing import start_sync
from storefront.extensions import db
from storefront.shopify.client import ShopifyClient
from storefront.shopify.errors import ShopifyAuthError, ShopifyInvalid
from storefront.webhooks.models import WebhookEvent
from tests.support.accounts import bearer, make_staff
from tests.support.channels import (
    API,
    SHOPIFY_LOCATION,
    SHOPIFY_SECRET,
    SHOPIFY_TOKEN,
    hmac_header,
    serve_shopify,
    shopify_connector_payload,
)


def _connector() -> ChannelConnector:
    return db.session.scalar(select(ChannelConnector).where(ChannelConnector.code == "shopify"))


def _sync(app, kind: str = "full"):
    with app.app_context():
        job = start_sync(_connector(), kind, run_now=True)
        db.session.refresh(job)
        return job


def _sku(app, artist: str) -> str:
    with app.app_context():
        return db.session.scalar(select(ItemVariation.ecs_id).join(Item).where(Item.artist == artist))


def test_the_client_speaks_the_rest_admin_api(shopify_sandbox):
    client = ShopifyClient(shopify_sandbox.base_url, SHOPIFY_TOKEN)
    assert client.shop()["myshopify_domain"] == "groove-cellar.myshopify.com"
    product = client.create_product({"title": "Can – Tago Mago", "variants": [{"sku": "V1", "price": "32.99"}]})
    variant = product["variants"][0]
    assert variant["sku"] == "V1" and variant["price"] == "32.99"
    client.set_inventory(variant["inventory_item_id"], SHOPIFY_LOCATION, 2)
    assert client.inventory_level(variant["inventory_item_id"], SHOPIFY_LOCATION) == 2
    client.update_variant(variant["id"], {"price": "30.00"})
    assert client.get_variant(variant["id"])["price"] == "30.00"
    client.delete_product(product["id"])
    assert client.get_variant(variant["id"]) is None
    with pytest.raises(ShopifyInvalid):
        client.create_product({"title": ""})
    with pytest.raises(ShopifyAuthError):
        ShopifyClient(shopify_sandbox.base_url, "shpat_wrong").shop()


def test_the_leaky_bucket_429s_are_waited_out():
    with serve_shopify(bucket_size=3, leak_rate=5.0) as sandbox:
        client = ShopifyClient(sandbox.base_url, SHOPIFY_TOKEN)
        names = [client.shop()["name"] for _ in range(8)]
        stats = sandbox.control("GET", "/_sandbox/stats")
    assert len(names) == 8 and stats["refused"] >= 1 and stats["requests"] == 8


def test_a_full_sync_makes_one_product_per_record_with_its_copies_in_stock(shop, shopify_sandbox):
    with shop.app_context():
        _, result = create_connector(shopify_connector_payload(shopify_sandbox))
        assert result["success"], result
    job = _sync(shop)
    assert job.status == "completed" and job.failed_count == 0
    nina, can = _sku(shop, "Nina Simone"), _sku(shop, "Can")
    assert shopify_sandbox.available() == {nina: 2, can: 1}  # the sold-out record is not offered
    assert len(shopify_sandbox.shop.products) == 2
    assert _sync(shop).created_count == 0 and len(shopify_sandbox.shop.products) == 2  # again: no duplicates


def test_copies_leaving_stock_lower_the_inventory_and_prices_follow(shop, shopify_sandbox):
    with shop.app_context():
        create_connector(shopify_connector_payload(shopify_sandbox), test=False)
    _sync(shop)
    nina = _sku(shop, "Nina Simone")
    with shop.app_context():
        variation = db.session.scalar(select(ItemVariation).where(ItemVariation.ecs_id == nina))
        db.session.scalar(select(StockLevel).where(StockLevel.variation_id == variation.id)).quantity = 0
        db.session.scalar(select(ItemVariation).join(Item).where(Item.artist == "Can")).price_amount = 2999
        db.session.commit()
    _sync(shop, "incremental")
    assert shopify_sandbox.available()[nina] == 0  # the listing reaches zero
    prices = {v["sku"]: v["price"] for v in shopify_sandbox.shop.variants.values()}
    assert prices[_sku(shop, "Can")] == "29.99"


def test_a_price_edited_in_shopify_raises_a_conflict(shop, shopify_sandbox):
    with shop.app_context():
        create_connector(shopify_connector_payload(shopify_sandbox), test=False)
    _sync(shop)
    can = _sku(shop, "Can")
    variant = next(v for v in shopify_sandbox.shop.variants.values() if v["sku"] == can)
    shopify_sandbox.control("POST", f"/_sandbox/variants/{variant['id']}", {"price": "40.00"})
    with shop.app_context():
        db.session.scalar(select(ItemVariation).where(ItemVariation.ecs_id == can)).price_amount = 3500
        db.session.commit()
    job = _sync(shop, "incremental")
    assert job.conflicts_count == 1
    with shop.app_context():
        conflict = db.session.scalar(select(ChannelConflict))
        assert conflict.fields["price_amount"]["channel"] == 4000 and conflict.fields["price_amount"]["pim"] == 3500
    assert shopify_sandbox.shop.variants[variant["id"]]["price"] == "40.00"  # held until staff resolve it


def test_an_unsigned_or_tampered_webhook_is_chn_050_and_stores_nothing(shop, shopify_sandbox):
    with shop.app_context():
        create_connector(shopify_connector_payload(shopify_sandbox), test=False)
    client = shop.test_client()
    body = json.dumps({"id": 1, "currency": "USD", "line_items": []}).encode()
    for headers in ({}, {"X-Shopify-Hmac-Sha256": hmac_header("wrong-secret", body)},
                    {"X-Shopify-Hmac-Sha256": hmac_header(SHOPIFY_SECRET, body + b" ")}):
        response = client.post("/webhooks/shopify/shopify", data=body, headers=headers,
                               content_type="application/json")
        assert response.status_code == 401 and response.get_json()["error_code"] == "CHN-050"
    unknown = client.post("/webhooks/shopify/nope", data=body, content_type="application/json",
                          headers={"X-Shopify-Hmac-Sha256": hmac_header(SHOPIFY_SECRET, body)})
    assert unknown.status_code == 401  # the same answer: no connector enumeration
    garbage = b"{not json"
    bad = client.post("/webhooks/shopify/shopify", data=garbage, content_type="application/json",
                      headers={"X-Shopify-Hmac-Sha256": hmac_header(SHOPIFY_SECRET, garbage)})
    assert bad.status_code == 400 and bad.get_json()["error_code"] == "CHN-011"
    with shop.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(WebhookEvent)) == 0
    assert requests.get(f"{shopify_sandbox.base_url}/_sandbox/stats", timeout=5).json()["orders"] == 0


def test_the_shopify_token_and_secret_never_show(shop, shopify_sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    headers = bearer(shop, make_staff(shop, "shop-admin@example.com", role="admin"))
    client = shop.test_client()
    created = client.post(API, json=shopify_connector_payload(shopify_sandbox), headers=headers)
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["data"]["credentials"] == {"access_token": "set", "webhook_secret": "set"}
    shopify_sandbox.control("PUT", "/_sandbox/faults", {"rules": [
        {"path_prefix": "/admin/api/2025-07/products", "kind": "server_error", "status": 503, "times": 1}]})
    answers = [created.get_data(as_text=True),
               client.post(f"{API}/shopify/sync", json={"sync_type": "full"}, headers=headers).get_data(as_text=True),
               client.get(f"{API}/shopify/sync", headers=headers).get_data(as_text=True),
               client.get(f"{API}/shopify", headers=headers).get_data(as_text=True),
               client.post(f"{API}/shopify/test", headers=headers).get_data(as_text=True)]
    with shop.app_context():
        stored = [json.dumps(job.failures) for job in db.session.scalars(select(ChannelSyncJob))]
        assert any("CHN-021" in text for text in stored)
    logged = [record.getMessage() + (record.exc_text or "") for record in caplog.records]
    haystack = "\n".join(answers + stored + logged)
    assert SHOPIFY_TOKEN not in haystack and SHOPIFY_SECRET not in haystack


def test_the_sandbox_page_sells_a_copy_to_a_person(shop, shopify_sandbox):
    with shop.app_context():
        create_connector(shopify_connector_payload(shopify_sandbox), test=False)
    _sync(shop)
    page = requests.get(f"{shopify_sandbox.base_url}/_sandbox/", timeout=5)
    assert page.status_code == 200 and "Nina Simone" in page.text and page.text.count("<button>Buy</button>") == 2
    can = next(v for v in shopify_sandbox.shop.variants.values() if v["sku"] == _sku(shop, "Can"))
    bought = requests.post(f"{shopify_sandbox.base_url}/_sandbox/buy-form", data={"variant_id": can["id"]}, timeout=5)
    assert bought.status_code == 200 and shopify_sandbox.available()[can["sku"]] == 0
    assert len(shopify_sandbox.shop.orders) == 1
