"""The Shopify client, adapter and webhook check, each against the local Shopify sandbox over real HTTP
(no app, no database): what the REST Admin API 2025-07 answers, how the leaky bucket's 429 +
``Retry-After`` is waited out, how Shopify's failures become CHN codes, the adapter's product /
inventory / price / order handling, and ``X-Shopify-Hmac-Sha256`` on a delivery the sandbox really sent.

The adapter's ``known_product`` argument is the registry's database lookup; these tests hand it a
plain dict lookup so the adapter can be driven without a shop database.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import flask
import pytest
import requests

from storefront.channels.adapters import ChannelError, ListingRef, Offer
from storefront.channels.shopify_adapter import ShopifyAdapter, sales_from_order
from storefront.ecs.sandbox.server import SandboxServer, serve_in_thread
from storefront.shopify.client import ShopifyClient
from storefront.shopify.errors import (
    ShopifyAuthError,
    ShopifyError,
    ShopifyInvalid,
    ShopifyNotFound,
    ShopifyRateLimited,
)
from storefront.shopify.sandbox import create_shopify_sandbox
from storefront.shopify.webhooks import verify_webhook

TOKEN = "shpat_channel_test_91c4e2"  # noqa: S105 (distinctive, so a leak would be found)
SECRET = "whsec_channel_test_77ab"  # noqa: S105
LOCATION = 655441491
VERSION = "2025-07"


def _serve(request_: pytest.FixtureRequest, **options: Any) -> SandboxServer:
    server = serve_in_thread(create_shopify_sandbox(token=TOKEN, secret=SECRET, location_id=LOCATION, **options))
    request_.addfinalizer(server.shutdown)
    return server


@pytest.fixture
def sandbox(request: pytest.FixtureRequest) -> SandboxServer:
    """A fresh shop whose bucket leaks fast (the bucket is real, a test need not wait for it)."""
    return _serve(request, leak_rate=200.0)


@pytest.fixture
def tight_sandbox(request: pytest.FixtureRequest) -> SandboxServer:
    """A shop with a 2-call bucket leaking 10 a second: Shopify's 40 / 2 a second, time compressed."""
    return _serve(request, bucket_size=2, leak_rate=10.0)


def _client(server: SandboxServer, **options: Any) -> ShopifyClient:
    options.setdefault("sleep", lambda _seconds: None)
    return ShopifyClient(server.base_url, options.pop("token", TOKEN), api_version=VERSION, **options)


def _adapter(server: SandboxServer, known: dict[str, dict[str, Any]] | None = None, **options: Any) -> ShopifyAdapter:
    table = known if known is not None else {}
    return ShopifyAdapter(_client(server, **options), LOCATION, table.get)


def _offer(key: str = "V-100#1", **fields: Any) -> Offer:
    base: dict[str, Any] = {"item_id": 1, "variation_id": 1, "title": "Can – Tago Mago", "artist": "Can",
                            "release_title": "Tago Mago", "description": "Krautrock <classic> & more",
                            "price_amount": 3299, "currency": "USD", "format": "LP", "genres": ("Rock", "Krautrock")}
    return Offer(key=key, **{**base, **fields})


def _stats(server: SandboxServer) -> dict[str, Any]:
    return server.json("GET", "/_sandbox/stats")  # type: ignore[return-value]


def _level(server: SandboxServer, inventory_item_id: int) -> int | None:
    return _client(server).inventory_level(inventory_item_id, LOCATION)


# the client -----------------------------------------------------------------------------
def test_client_round_trips_products_variants_inventory_and_orders(sandbox: SandboxServer) -> None:
    client = _client(sandbox)
    assert client.shop()["currency"] == "USD"
    product = client.create_product({"title": "Neu! – Neu!", "variants": [
        {"sku": "V-7", "price": "24.50", "inventory_management": "shopify"}]})
    variant = product["variants"][0]
    assert isinstance(product["id"], int) and product["id"] > 2**31  # Shopify's ids are large integers
    assert (variant["sku"], variant["price"], variant["inventory_management"]) == ("V-7", "24.50", "shopify")
    level = client.set_inventory(variant["inventory_item_id"], LOCATION, 3)
    assert level["available"] == 3 and client.inventory_level(variant["inventory_item_id"], LOCATION) == 3
    assert client.update_variant(variant["id"], {"price": "19.00"})["price"] == "19.00"
    assert client.get_variant(variant["id"])["price"] == "19.00"
    assert client.orders() == []
    sandbox.json("POST", "/_sandbox/buy", {"variant_id": variant["id"], "quantity": 2})
    first = client.orders()
    assert [line["sku"] for line in first[0]["line_items"]] == ["V-7"] and first[0]["line_items"][0]["quantity"] == 2
    assert client.orders(since_id=first[0]["id"]) == []
    assert client.inventory_level(variant["inventory_item_id"], LOCATION) == 1  # the buy took 2 of 3
    client.delete_product(product["id"])
    assert client.get_variant(variant["id"]) is None
    with pytest.raises(ShopifyNotFound):
        client.update_variant(variant["id"], {"price": "1.00"})


def test_client_raises_typed_errors_with_the_status(sandbox: SandboxServer) -> None:
    client = _client(sandbox)
    with pytest.raises(ShopifyInvalid) as invalid:
        client.create_product({"title": "  "})
    assert invalid.value.status == 422 and "title" in str(invalid.value)
    with pytest.raises(ShopifyInvalid):
        client.set_inventory(1, LOCATION + 1, 1)  # not one of the shop's locations
    with pytest.raises(ShopifyAuthError) as refused:
        _client(sandbox, token="shpat_wrong_token").shop()
    assert refused.value.status == 401
    assert "shpat_wrong_token" not in str(refused.value) and "shpat_wrong_token" not in repr(refused.value)


def test_the_token_never_appears_in_errors_or_logs(sandbox: SandboxServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    sandbox.json("PUT", "/_sandbox/faults", {"rules": [
        {"path_prefix": f"/admin/api/{VERSION}/shop", "kind": "server_error", "status": 503},
        {"path_prefix": f"/admin/api/{VERSION}/orders", "kind": "rate_limit"}]})
    client = _client(sandbox, max_retries=2)
    seen: list[str] = [repr(client)]
    for call in (client.shop, client.orders):
        with pytest.raises(ShopifyError) as failed:
            call()
        seen += [str(failed.value), repr(failed.value)]
    seen += [record.getMessage() for record in caplog.records]
    assert any("503" in text for text in seen) and any("429" in text for text in seen)
    assert not any(TOKEN in text for text in seen)


# the leaky bucket -----------------------------------------------------------------------
def test_the_sandbox_leaky_bucket_answers_like_shopify(tight_sandbox: SandboxServer) -> None:
    url = f"{tight_sandbox.base_url}/admin/api/{VERSION}/shop.json"
    answers = [requests.get(url, headers={"X-Shopify-Access-Token": TOKEN}, timeout=5) for _ in range(4)]
    assert answers[0].headers["X-Shopify-Shop-Api-Call-Limit"] == "1/2"
    limited = [answer for answer in answers if answer.status_code == 429]
    assert limited, [answer.status_code for answer in answers]
    assert float(limited[0].headers["Retry-After"]) > 0 and "errors" in limited[0].json()
    time.sleep(0.4)  # the bucket leaks 10 a second: room again
    assert requests.get(url, headers={"X-Shopify-Access-Token": TOKEN}, timeout=5).status_code == 200


def test_the_client_waits_out_429_for_retry_after(tight_sandbox: SandboxServer) -> None:
    slept: list[float] = []

    def sleep(seconds: float) -> None:  # the sandbox says 1s; its bucket leaks 5x fast, so 0.2s will do
        slept.append(seconds)
        time.sleep(0.2)

    client = _client(tight_sandbox, sleep=sleep)
    names = [client.shop()["name"] for _ in range(6)]
    stats = _stats(tight_sandbox)
    assert len(names) == 6 and stats["requests"] == 6 and stats["refused"] == len(slept) >= 1
    assert set(slept) == {1.0}  # Retry-After as Shopify sent it, not a guess
    with pytest.raises(ShopifyRateLimited):
        impatient = _client(tight_sandbox, max_retries=0)
        for _ in range(4):
            impatient.shop()


# the adapter ----------------------------------------------------------------------------
def test_publish_makes_one_product_with_the_offer_fields_and_one_copy_in_stock(sandbox: SandboxServer) -> None:
    ref = _adapter(sandbox).publish(_offer(), None)
    shop = sandbox.app.extensions["shopify_sandbox"]
    assert len(shop.products) == 1
    product = shop.products[ref.extra["product_id"]]
    variant = product["variants"][0]
    assert ref.listing_id == str(variant["id"]) == str(ref.extra["variant_id"]) and ref.status == "listed"
    assert ref.extra["inventory_item_id"] == variant["inventory_item_id"]
    assert (product["title"], product["vendor"], product["product_type"]) == ("Can – Tago Mago", "Can", "LP")
    assert product["body_html"] == "Krautrock &lt;classic&gt; &amp; more"
    assert product["tags"] == "Rock, Krautrock"
    assert (variant["sku"], variant["price"], variant["inventory_management"]) == ("V-100", "32.99", "shopify")
    assert _stats(sandbox)["available"] == {"V-100": 1}
    other = _adapter(sandbox).publish(_offer("V-200#1", title="Neu!", format=""), None)
    assert len(shop.products) == 2 and shop.products[other.extra["product_id"]]["product_type"] == "Vinyl"


def test_a_second_copy_of_a_record_is_inventory_not_another_product(sandbox: SandboxServer) -> None:
    adapter = _adapter(sandbox)
    first = adapter.publish(_offer("V-100#1"), None)
    second = adapter.publish(_offer("V-100#2"), None)
    assert second.extra["product_id"] == first.extra["product_id"]
    assert len(sandbox.app.extensions["shopify_sandbox"].products) == 1
    assert _level(sandbox, first.extra["inventory_item_id"]) == 2
    adapter.withdraw(second)
    assert _level(sandbox, first.extra["inventory_item_id"]) == 1  # copy #2 gone: at most one left


def test_update_changes_the_price_and_withdraw_takes_inventory_to_zero(sandbox: SandboxServer) -> None:
    ref = _adapter(sandbox).publish(_offer(), None)
    known = {"V-100": dict(ref.extra)}
    later = _adapter(sandbox, known)  # a later sync run: the product is found, not made again
    updated = later.publish(_offer(price_amount=2999), ref)
    shop = sandbox.app.extensions["shopify_sandbox"]
    assert updated.extra["variant_id"] == ref.extra["variant_id"] and len(shop.products) == 1
    assert shop.variants[ref.extra["variant_id"]]["price"] == "29.99"
    assert later.fetch(updated) == {"status": "listed", "price_amount": 2999, "currency": "USD"}
    _adapter(sandbox, known).withdraw(updated)
    assert _level(sandbox, ref.extra["inventory_item_id"]) == 0  # the listing reaches zero
    assert ref.extra["product_id"] in shop.products  # not deleted


def test_fetch_reads_a_merchant_price_edit_and_none_when_the_variant_is_gone(sandbox: SandboxServer) -> None:
    adapter = _adapter(sandbox)
    ref = adapter.publish(_offer(), None)
    sandbox.json("POST", f"/_sandbox/variants/{ref.extra['variant_id']}", {"price": "40.00"})
    assert adapter.fetch(ref)["price_amount"] == 4000
    _client(sandbox).delete_product(ref.extra["product_id"])
    assert adapter.fetch(ref) is None


def test_prices_follow_the_currency_exponent(request: pytest.FixtureRequest) -> None:
    server = _serve(request, currency="JPY", leak_rate=200.0)
    ref = _adapter(server).publish(_offer(price_amount=3200, currency="JPY"), None)
    assert float(server.app.extensions["shopify_sandbox"].variants[ref.extra["variant_id"]]["price"]) == 3200
    assert _adapter(server).fetch(ref) == {"status": "listed", "price_amount": 3200, "currency": "JPY"}


def test_poll_sales_returns_a_bought_copy_once(sandbox: SandboxServer) -> None:
    adapter = _adapter(sandbox)
    ref = adapter.publish(_offer(), None)
    assert adapter.poll_sales(None).sales == []
    order = sandbox.json("POST", "/_sandbox/buy", {"variant_id": ref.extra["variant_id"], "quantity": 1})
    page = adapter.poll_sales(None)
    assert len(page.sales) == 1
    sale = page.sales[0]
    assert (sale.order_id, sale.offer_key, sale.listing_id) == (str(order["id"]), "V-100#1", ref.listing_id)
    assert (sale.quantity, sale.price_amount, sale.currency) == (1, 3299, "USD") and sale.created_at
    assert page.cursor == str(order["id"])
    again = adapter.poll_sales(page.cursor)
    assert again.sales == [] and again.cursor == page.cursor
    assert _level(sandbox, ref.extra["inventory_item_id"]) == 0


def test_poll_sales_counts_each_copy_of_a_line_and_moves_the_cursor(sandbox: SandboxServer) -> None:
    adapter = _adapter(sandbox)
    adapter.publish(_offer("V-100#1"), None)
    ref = adapter.publish(_offer("V-100#2"), None)
    cursor = adapter.poll_sales(None).cursor
    first = sandbox.json("POST", "/_sandbox/buy", {"variant_id": ref.extra["variant_id"], "quantity": 2})
    page = adapter.poll_sales(cursor)
    assert sorted(sale.offer_key for sale in page.sales) == ["V-100#1", "V-100#2"]
    assert {sale.order_id for sale in page.sales} == {str(first["id"])} and page.cursor == str(first["id"])
    assert adapter.poll_sales(page.cursor).sales == []


# failures as CHN codes ------------------------------------------------------------------
def _code(action: Callable[[], object]) -> ChannelError:
    with pytest.raises(ChannelError) as failed:
        action()
    return failed.value


def test_shopify_failures_become_chn_codes(sandbox: SandboxServer) -> None:
    assert _code(lambda: _adapter(sandbox, token="shpat_bad").test()).code == "CHN-005"
    assert _code(lambda: _adapter(sandbox).publish(_offer(title=""), None)).code == "CHN-011"
    ref = _adapter(sandbox).publish(_offer(), None)
    wrong_place = ShopifyAdapter(_client(sandbox), LOCATION + 1, {}.get)
    assert _code(lambda: wrong_place.publish(_offer("V-300#1"), None)).code == "CHN-011"
    sandbox.json("PUT", "/_sandbox/faults", {"rules": [
        {"path_prefix": f"/admin/api/{VERSION}/orders", "kind": "rate_limit"},
        {"path_prefix": f"/admin/api/{VERSION}/shop", "kind": "server_error", "status": 503},
        {"path_prefix": f"/admin/api/{VERSION}/variants", "kind": "latency", "latency_ms": 600}]})
    failures = [_code(lambda: _adapter(sandbox).poll_sales(None)), _code(lambda: _adapter(sandbox).test()),
                _code(lambda: _adapter(sandbox, timeout=0.2).fetch(ref))]
    assert [failure.code for failure in failures] == ["CHN-020", "CHN-021", "CHN-023"]
    assert all(failure.retryable for failure in failures)
    assert not any(TOKEN in f"{failure} {failure.message}" for failure in failures)
    sandbox.json("DELETE", "/_sandbox/faults")
    gone = ListingRef("999999999999", "listed", {"currency": "USD"})
    assert _adapter(sandbox).fetch(gone) is None


# webhooks -------------------------------------------------------------------------------
@pytest.fixture
def receiver(request: pytest.FixtureRequest) -> Iterator[tuple[str, list[tuple[bytes, dict[str, str]]]]]:
    """A bare HTTP endpoint that keeps every delivery's raw body and headers."""
    received: list[tuple[bytes, dict[str, str]]] = []
    app = flask.Flask("webhook_receiver")

    @app.post("/hook")
    def hook() -> tuple[str, int]:
        received.append((flask.request.get_data(), dict(flask.request.headers)))
        return "", 200

    server = serve_in_thread(app)
    request.addfinalizer(server.shutdown)
    yield f"{server.base_url}/hook", received


def test_a_sandbox_delivery_verifies_and_a_tampered_one_does_not(
        sandbox: SandboxServer, receiver: tuple[str, list[tuple[bytes, dict[str, str]]]]) -> None:
    url, received = receiver
    ref = _adapter(sandbox).publish(_offer(), None)
    sandbox.json("PUT", "/_sandbox/webhook", {"url": url})
    sandbox.json("POST", "/_sandbox/buy", {"variant_id": ref.extra["variant_id"], "quantity": 1})
    assert len(received) == 1 and _stats(sandbox)["deliveries"] == [200]
    body, headers = received[0]
    assert headers["X-Shopify-Topic"] == "orders/create" and headers["X-Shopify-Webhook-Id"]
    assert headers["X-Shopify-Shop-Domain"].endswith(".myshopify.com")
    signed = headers["X-Shopify-Hmac-Sha256"]
    assert verify_webhook(SECRET, body, signed)
    assert not verify_webhook(SECRET, body.replace(b"32.99", b"0.01"), signed)
    assert not verify_webhook(SECRET, body + b" ", signed)
    assert not verify_webhook("another-secret", body, signed)
    assert not verify_webhook(SECRET, body, "")
    from_hook = sales_from_order(json.loads(body))
    assert from_hook == _adapter(sandbox).poll_sales(None).sales  # the same sale either way: recorded once
    assert [(sale.offer_key, sale.price_amount) for sale in from_hook] == [("V-100#1", 3299)]
