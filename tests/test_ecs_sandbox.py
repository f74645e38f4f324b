"""The ECS sandbox over real HTTP: Square wire shapes, pagination, idempotency, checkout, webhooks, faults."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from storefront.ecs.sandbox import create_sandbox_app, generate_catalog, serve_in_thread
from storefront.ecs.sandbox.catalog_index import CatalogIndex
from tests.support.sandbox_http import Receiver, control, sandbox_server, sandbox_session
from tests.support.square_schema import example, validate

TOKEN = "test-token"
KEY = "test-signature-key"
ITEMS = 250
GOOD_CARD, DECLINED_CARD = "4111 1111 1111 1111", "4000 0000 0000 0002"


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    with sandbox_server(token=TOKEN, signature_key=KEY, items=ITEMS, seed=7, webhook_workers=2) as srv:
        yield srv


@pytest.fixture
def http(server: Any) -> Iterator[requests.Session]:
    with sandbox_session(server, token=TOKEN, items=ITEMS, seed=7) as session:
        control(session, server, "POST", "webhooks/config", json={"urls": [], "duplicate_ratio": 0,
                                                                   "retry_base_ms": 20, "max_attempts": 5})
        control(session, server, "DELETE", "deliveries")
        yield session


@pytest.fixture
def receiver(http: requests.Session, server: Any) -> Iterator[Receiver]:
    hook = Receiver()
    control(http, server, "POST", "webhooks/config", json={"url": hook.url, "signature_key": KEY})
    yield hook
    control(http, server, "POST", "webhooks/config", json={"urls": []})
    hook.close()


def v2(http: requests.Session, server: Any, method: str, path: str, schema: str | None = None,
       status: int = 200, **kwargs: Any) -> dict[str, Any]:
    response = http.request(method, f"{server.base_url}/v2/{path}", timeout=30, **kwargs)
    assert response.status_code == status, response.text
    body = response.json()
    if schema:
        validate(body, schema)
    return body


def walk(http: requests.Session, server: Any, **params: str) -> list[list[dict[str, Any]]]:
    pages, cursor = [], None
    while True:
        body = v2(http, server, "GET", "catalog/list", "ListCatalogResponse",
                  params={**params, **({"cursor": cursor} if cursor else {})})
        pages.append(body.get("objects", []))
        cursor = body.get("cursor")
        if not cursor:
            return pages


def first_variation(http: requests.Session, server: Any, index: int = 0) -> tuple[dict[str, Any], dict[str, Any]]:
    items = v2(http, server, "POST", "catalog/search", json={"object_types": ["ITEM"], "limit": 50})["objects"]
    records = [i for i in items if "Event Space" not in json.dumps(i) and i["item_data"]["variations"]]
    item = records[index]
    return item, item["item_data"]["variations"][0]


def stock(http: requests.Session, server: Any, variation_id: str) -> int:
    counts = control(http, server, "GET", "inventory")["counts"]
    return next(int(c["quantity"]) for c in counts if c["catalog_object_id"] == variation_id)


def make_link(http: requests.Session, server: Any, lines: list[dict[str, Any]], key: str = "link-1",
              **extra: Any) -> dict[str, Any]:
    body = {"idempotency_key": key, "order": {"location_id": location_id(http, server), "line_items": lines},
            "checkout_options": {"redirect_url": "https://shop.example/checkout/done?src=square"},
            "pre_populated_data": {"buyer_email": "shopper@example.com"}, **extra}
    return v2(http, server, "POST", "online-checkout/payment-links", "CreatePaymentLinkResponse", json=body)


def location_id(http: requests.Session, server: Any) -> str:
    return v2(http, server, "GET", "locations", "ListLocationsResponse")["locations"][0]["id"]


# -- Square API shapes and errors ---------------------------------------------------------------
@pytest.mark.parametrize(("method", "path"), [("GET", "locations"), ("GET", "catalog/list"),
                                              ("POST", "catalog/search"), ("GET", "orders/nope")])
def test_square_api_requires_the_bearer_token(server: Any, method: str, path: str) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": TOKEN}):
        response = requests.request(method, f"{server.base_url}/v2/{path}", headers=headers, timeout=10)
        assert response.status_code == 401
        assert response.json()["errors"] == [{"category": "AUTHENTICATION_ERROR", "code": "UNAUTHORIZED",
                                              "detail": "This request could not be authorized."}]
        validate(response.json(), "ListLocationsResponse")


def test_list_catalog_pages_exactly_100_and_walks_everything_once(http: requests.Session, server: Any) -> None:
    pages = walk(http, server)
    summary = control(http, server, "GET", "state/summary")
    assert [len(p) for p in pages[:-1]] == [100] * (len(pages) - 1) and 0 < len(pages[-1]) <= 100
    ids = [o["id"] for page in pages for o in page]
    by_type = summary["objects_by_type"]
    assert len(ids) == len(set(ids)) == by_type["ITEM"] + by_type["CATEGORY"] + by_type["CUSTOM_ATTRIBUTE_DEFINITION"]
    assert by_type["ITEM"] == ITEMS
    item = next(o for page in pages for o in page if o["type"] == "ITEM")
    assert item["item_data"]["variations"][0]["type"] == "ITEM_VARIATION"
    categories = walk(http, server, types="category")
    assert {c["category_data"]["name"] for c in categories[0]} >= {"Jazz", "Soul", "Hip Hop", "Event Space"}


@pytest.mark.parametrize(("method", "path", "kwargs"), [
    ("GET", "catalog/list", {"params": {"cursor": "not-a-cursor"}}),
    ("POST", "catalog/search", {"json": {"cursor": "bm9wZQ"}}),
    ("POST", "inventory/counts/batch-retrieve", {"json": {"cursor": "e30"}}),
])
def test_bad_cursors_are_rejected_like_square(http: requests.Session, server: Any, method: str, path: str,
                                              kwargs: dict[str, Any]) -> None:
    body = v2(http, server, method, path, "ListCatalogResponse", status=400, **kwargs)
    assert body["errors"][0]["code"] == "INVALID_CURSOR"
    assert body["errors"][0]["category"] == "INVALID_REQUEST_ERROR"


def test_search_with_begin_time_returns_only_what_changed(http: requests.Session, server: Any) -> None:
    first = v2(http, server, "POST", "catalog/search", "SearchCatalogObjectsResponse",
               json={"object_types": ["ITEM"], "limit": 10})
    since = first["latest_time"]
    repriced, deleted = first["objects"][0], first["objects"][1]
    control(http, server, "POST", f"catalog/{repriced['id']}/price", json={"amount": 4242})
    control(http, server, "DELETE", f"catalog/{deleted['id']}")
    query = {"object_types": ["ITEM"], "begin_time": since}
    live = v2(http, server, "POST", "catalog/search", "SearchCatalogObjectsResponse", json=query)
    assert [o["id"] for o in live["objects"]] == [repriced["id"]]
    assert live["objects"][0]["item_data"]["variations"][0]["item_variation_data"]["price_money"] == {
        "amount": 4242, "currency": "USD"}
    assert live["latest_time"] > since
    everything = v2(http, server, "POST", "catalog/search", "SearchCatalogObjectsResponse",
                    json={**query, "include_deleted_objects": True})
    assert {o["id"]: o["is_deleted"] for o in everything["objects"]} == {repriced["id"]: False, deleted["id"]: True}
    nothing_new = v2(http, server, "POST", "catalog/search", json={**query, "begin_time": live["latest_time"]})
    assert "objects" not in nothing_new
    assert v2(http, server, "GET", f"catalog/object/{deleted['id']}", "RetrieveCatalogObjectResponse",
              status=404)["errors"][0]["code"] == "NOT_FOUND"
    names = {o["id"] for page in walk(http, server, types="ITEM") for o in page}
    assert deleted["id"] not in names and len(names) == ITEMS - 1


def test_search_paginates_with_limit_and_related_objects(http: requests.Session, server: Any) -> None:
    seen, cursor = [], None
    while True:
        body = v2(http, server, "POST", "catalog/search", "SearchCatalogObjectsResponse",
                  json={"object_types": ["ITEM"], "limit": 60, "include_related_objects": True,
                        **({"cursor": cursor} if cursor else {})})
        seen += [o["id"] for o in body["objects"]]
        assert {r["type"] for r in body["related_objects"]} == {"CATEGORY", "IMAGE"}  # genres and covers
        cursor = body.get("cursor")
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == ITEMS
    item, variation = first_variation(http, server)
    one = v2(http, server, "GET", f"catalog/object/{variation['id']}", "RetrieveCatalogObjectResponse",
             params={"include_related_objects": "true"})
    assert one["object"]["id"] == variation["id"] and one["related_objects"][0]["id"] == item["id"]


def test_demo_items_carry_record_attributes(http: requests.Session, server: Any) -> None:
    item, variation = first_variation(http, server)
    attrs = item["custom_attribute_values"]
    assert set(attrs) == {"artist", "title", "label", "catalog_number", "format", "year"}
    assert item["item_data"]["name"] == f"{attrs['artist']['string_value']} — {attrs['title']['string_value']}"
    assert variation["item_variation_data"]["sku"] == attrs["catalog_number"]["string_value"]
    assert attrs["year"]["type"] == "NUMBER" and 1955 <= int(attrs["year"]["number_value"]) <= 2025
    definitions = walk(http, server, types="CUSTOM_ATTRIBUTE_DEFINITION")[0]
    assert {d["id"] for d in definitions} >= {a["custom_attribute_definition_id"] for a in attrs.values()}


def test_control_api_creates_edits_and_corrupts_items(http: requests.Session, server: Any) -> None:
    since = v2(http, server, "POST", "catalog/search", json={"limit": 1})["latest_time"]
    created = control(http, server, "POST", "catalog/items", json={
        "artist": "Mara Quinlan", "title": "Night Ferry", "label": "Owl Records", "catalog_number": "OWL-1",
        "format": "LP", "year": 1999, "amount": 2599, "sku": "OWL-1", "categories": ["Jazz"], "stock": 4})
    item, variation = created["objects"][0], created["objects"][1]
    assert item["item_data"]["name"] == "Mara Quinlan — Night Ferry" and stock(http, server, variation["id"]) == 4
    renamed = control(http, server, "PATCH", f"catalog/{item['id']}", json={"name": "Night Ferry (Remaster)",
                                                                           "year": 2024})["objects"][0]
    assert renamed["version"] > item["version"] and renamed["custom_attribute_values"]["year"]["number_value"] == "2024"
    changed = v2(http, server, "POST", "catalog/search", "SearchCatalogObjectsResponse",
                 json={"begin_time": since, "object_types": ["ITEM", "ITEM_VARIATION"]})
    assert {o["id"] for o in changed["objects"]} == {item["id"], variation["id"]}
    control(http, server, "POST", f"catalog/{item['id']}/corrupt")
    assert v2(http, server, "GET", f"catalog/object/{item['id']}")["object"]["item_data"]["name"] == ""
    jazz = next(c for c in walk(http, server, types="CATEGORY")[0] if c["category_data"]["name"] == "Jazz")
    control(http, server, "DELETE", f"catalog/{jazz['id']}")
    items = [o for page in walk(http, server, types="ITEM") for o in page]
    assert all(jazz["id"] not in json.dumps(o["item_data"].get("categories")) for o in items)
    bad = http.post(f"{server.base_url}/_sandbox/catalog/NOPE/price", json={"amount": 1}, timeout=10)
    assert bad.status_code == 404 and "error" in bad.json()
    burst = control(http, server, "POST", "webhooks/emit", json={"type": "catalog.version.updated", "count": 5})
    assert burst["events"] == 5


# -- inventory ----------------------------------------------------------------------------------
def test_inventory_counts_and_batch_retrieve(http: requests.Session, server: Any) -> None:
    _, variation = first_variation(http, server)
    one = v2(http, server, "GET", f"inventory/{variation['id']}", "RetrieveInventoryCountResponse")
    count = one["counts"][0]
    assert (count["state"], count["catalog_object_type"]) == ("IN_STOCK", "ITEM_VARIATION")
    assert count["quantity"] == str(stock(http, server, variation["id"]))
    total, cursor, stamps = 0, None, []
    while True:
        body = v2(http, server, "POST", "inventory/counts/batch-retrieve", "BatchRetrieveInventoryCountsResponse",
                  json={"limit": 100, **({"cursor": cursor} if cursor else {})})
        total += len(body["counts"])
        stamps += [c["calculated_at"] for c in body["counts"]]
        cursor = body.get("cursor")
        if not cursor:
            break
    assert total == len(control(http, server, "GET", "inventory")["counts"])
    assert stamps == sorted(stamps, reverse=True)
    since = stamps[0]
    control(http, server, "POST", f"inventory/{variation['id']}", json={"quantity": 42})
    changed = v2(http, server, "POST", "inventory/counts/batch-retrieve", "BatchRetrieveInventoryCountsResponse",
                 json={"updated_after": since, "states": ["IN_STOCK"]})
    assert [(c["catalog_object_id"], c["quantity"]) for c in changed["counts"]] == [(variation["id"], "42")]


def test_batch_change_inventory_is_idempotent(http: requests.Session, server: Any) -> None:
    _, variation = first_variation(http, server)
    loc = location_id(http, server)
    before = stock(http, server, variation["id"])
    missing = v2(http, server, "POST", "inventory/changes/batch-create", "BatchChangeInventoryResponse", status=400,
                 json={"changes": []})
    assert missing["errors"][0] == {"category": "INVALID_REQUEST_ERROR", "code": "MISSING_REQUIRED_PARAMETER",
                                    "detail": "Field must be set", "field": "idempotency_key"}
    body = {"idempotency_key": "adj-1", "changes": [{"type": "ADJUSTMENT", "adjustment": {
        "catalog_object_id": variation["id"], "location_id": loc, "from_state": "NONE", "to_state": "IN_STOCK",
        "quantity": "3"}}]}
    first = v2(http, server, "POST", "inventory/changes/batch-create", "BatchChangeInventoryResponse", json=body)
    again = v2(http, server, "POST", "inventory/changes/batch-create", "BatchChangeInventoryResponse", json=body)
    assert first == again and first["counts"][0]["quantity"] == str(before + 3)
    assert stock(http, server, variation["id"]) == before + 3
    reused = v2(http, server, "POST", "inventory/changes/batch-create", status=400,
                json={**body, "changes": body["changes"] * 2})
    assert reused["errors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    count = {"idempotency_key": "count-1", "changes": [{"type": "PHYSICAL_COUNT", "physical_count": {
        "catalog_object_id": variation["id"], "location_id": loc, "state": "IN_STOCK", "quantity": "1",
        "occurred_at": datetime.now(UTC).isoformat()}}]}  # Square refuses counts over a day old
    counted = v2(http, server, "POST", "inventory/changes/batch-create", "BatchChangeInventoryResponse", json=count)
    assert counted["counts"][0]["quantity"] == "1" and stock(http, server, variation["id"]) == 1
    bad = v2(http, server, "POST", "inventory/changes/batch-create", status=400, json={
        "idempotency_key": "bad", "changes": [{"type": "ADJUSTMENT", "adjustment": {
            "catalog_object_id": "NOPE", "location_id": loc, "from_state": "NONE", "to_state": "IN_STOCK",
            "quantity": "1"}}]})
    assert bad["errors"][0]["field"] == "changes[0].adjustment.catalog_object_id"


# -- payment links and the hosted checkout ------------------------------------------------------
def test_payment_link_prices_the_order_from_the_catalog(http: requests.Session, server: Any) -> None:
    _, variation = first_variation(http, server)
    price = variation["item_variation_data"]["price_money"]["amount"]
    lines = [{"catalog_object_id": variation["id"], "quantity": "2",
              "base_price_money": {"amount": 1, "currency": "USD"}},
             {"name": "Gift wrap", "quantity": "1", "base_price_money": {"amount": 300, "currency": "USD"}}]
    created = make_link(http, server, lines)
    link, order = created["payment_link"], created["related_resources"]["orders"][0]
    assert order["total_money"] == {"amount": 2 * price + 300, "currency": "USD"}
    assert order["line_items"][0]["base_price_money"]["amount"] == price  # the catalog price wins
    assert order["state"] == "DRAFT" and link["order_id"] == order["id"]
    assert link["url"] == f"{server.base_url}/checkout/{link['id']}"
    assert make_link(http, server, lines)["payment_link"]["id"] == link["id"]  # same key → same link
    assert make_link(http, server, lines, key="link-2")["payment_link"]["id"] != link["id"]
    fetched = v2(http, server, "GET", f"orders/{order['id']}", "RetrieveOrderResponse")
    assert fetched["order"] == order
    assert v2(http, server, "GET", "orders/missing", "RetrieveOrderResponse", status=404)["errors"][0]["code"] == \
        "NOT_FOUND"
    no_key = v2(http, server, "POST", "online-checkout/payment-links", "CreatePaymentLinkResponse", status=400,
                json={"order": {"location_id": location_id(http, server), "line_items": lines}})
    assert no_key["errors"][0]["field"] == "idempotency_key"
    unknown = v2(http, server, "POST", "online-checkout/payment-links", status=400, json={
        "idempotency_key": "x", "order": {"location_id": location_id(http, server),
                                          "line_items": [{"catalog_object_id": "NOPE", "quantity": "1"}]}})
    assert unknown["errors"][0]["field"] == "order.line_items[0].catalog_object_id"


def test_checkout_success_pays_once_and_redirects(http: requests.Session, server: Any) -> None:
    _, variation = first_variation(http, server)
    control(http, server, "POST", f"inventory/{variation['id']}", json={"quantity": 5})
    link = make_link(http, server, [{"catalog_object_id": variation["id"], "quantity": "2"}])["payment_link"]
    page = http.get(link["url"], timeout=10)
    assert page.status_code == 200 and 'value="shopper@example.com"' in page.text
    total = link and v2(http, server, "GET", f"orders/{link['order_id']}")["order"]["total_money"]["amount"]
    assert f"${total // 100:,}.{total % 100:02d}" in page.text
    paid = http.post(link["url"], data={"card_number": GOOD_CARD, "email": "shopper@example.com"},
                     allow_redirects=False, timeout=10)
    assert paid.status_code == 303
    oid = link["order_id"]
    assert paid.headers["Location"] == ("https://shop.example/checkout/done?src=square"
                                        f"&checkoutId={link['id']}&orderId={oid}&transactionId={oid}")
    order = v2(http, server, "GET", f"orders/{oid}", "RetrieveOrderResponse")["order"]
    assert order["state"] == "OPEN" and order["net_amount_due_money"]["amount"] == 0
    assert order["tenders"][0]["amount_money"]["amount"] == total
    assert stock(http, server, variation["id"]) == 3
    again = http.post(link["url"], data={"card_number": GOOD_CARD}, allow_redirects=False, timeout=10)
    assert again.status_code == 409 and "already paid" in again.text
    assert "already paid" in http.get(link["url"], timeout=10).text
    assert stock(http, server, variation["id"]) == 3
    summary = control(http, server, "GET", "state/summary")
    assert summary["payments_by_status"] == {"COMPLETED": 1} and summary["orders_by_state"] == {"OPEN": 1}


def test_declined_card_changes_nothing(http: requests.Session, server: Any) -> None:
    _, variation = first_variation(http, server)
    before = stock(http, server, variation["id"])
    link = make_link(http, server, [{"catalog_object_id": variation["id"], "quantity": "1"}])["payment_link"]
    declined = http.post(link["url"], data={"card_number": DECLINED_CARD}, allow_redirects=False, timeout=10)
    assert declined.status_code == 402 and "Card declined" in declined.text
    assert v2(http, server, "GET", f"orders/{link['order_id']}")["order"]["state"] == "DRAFT"
    assert stock(http, server, variation["id"]) == before
    assert control(http, server, "GET", "state/summary")["payments_by_status"] == {"FAILED": 1}
    paid = http.post(link["url"], data={"card_number": GOOD_CARD}, allow_redirects=False, timeout=10)
    assert paid.status_code == 303 and stock(http, server, variation["id"]) == before - 1


@pytest.mark.parametrize("form", [{}, {"card_number": "1234"}, {"card_number": "4111 1111 1111 1112"},
                                  {"card_number": GOOD_CARD, "expiry": "13/99"},
                                  {"card_number": GOOD_CARD, "email": "not-an-email"}])
def test_checkout_page_rejects_bad_input(http: requests.Session, server: Any, form: dict[str, str]) -> None:
    _, variation = first_variation(http, server)
    link = make_link(http, server, [{"catalog_object_id": variation["id"], "quantity": "1"}])["payment_link"]
    response = http.post(link["url"], data=form, allow_redirects=False, timeout=10)
    assert response.status_code == 400 and "<form" in response.text
    assert http.get(f"{server.base_url}/checkout/NOPE", timeout=10).status_code == 404


# -- webhooks -----------------------------------------------------------------------------------
def signature_ok(hook: Receiver, delivery: dict[str, Any]) -> bool:
    digest = hmac.new(KEY.encode(), hook.url.encode() + delivery["body"], hashlib.sha256).digest()
    return hmac.compare_digest(delivery["headers"]["X-Square-Hmacsha256-Signature"], base64.b64encode(digest).decode())


def test_webhooks_are_signed_and_retried_after_errors(http: requests.Session, server: Any,
                                                      receiver: Receiver) -> None:
    receiver.fail_first = 2
    _, variation = first_variation(http, server)
    control(http, server, "POST", f"inventory/{variation['id']}", json={"quantity": 7})
    assert control(http, server, "POST", "webhooks/drain", json={"timeout": 10})["idle"]
    assert len(receiver.deliveries) == 3 and all(signature_ok(receiver, d) for d in receiver.deliveries)
    events = receiver.events()
    assert len({e["event_id"] for e in events}) == 1
    validate(events[0], "InventoryCountUpdatedEvent")
    assert events[0]["data"]["object"]["inventory_counts"][0]["quantity"] == "7"
    log = control(http, server, "GET", "deliveries", params={"event_id": events[0]["event_id"]})["deliveries"]
    assert [(d["attempt"], d["status_code"], d["ok"]) for d in log] == [(1, 500, False), (2, 500, False),
                                                                        (3, 200, True)]
    assert [d["headers"]["Square-Retry-Number"] for d in receiver.deliveries] == ["0", "1", "2"]


def test_checkout_and_catalog_changes_emit_square_events(http: requests.Session, server: Any,
                                                         receiver: Receiver) -> None:
    item, variation = first_variation(http, server)
    link = make_link(http, server, [{"catalog_object_id": variation["id"], "quantity": "1"}])["payment_link"]
    http.post(link["url"], data={"card_number": GOOD_CARD}, allow_redirects=False, timeout=10)
    since = v2(http, server, "POST", "catalog/search", json={"object_types": ["ITEM"], "limit": 1})["latest_time"]
    control(http, server, "POST", f"catalog/{item['id']}/price", json={"amount": 1234})
    assert control(http, server, "POST", "webhooks/drain", json={"timeout": 10})["idle"]
    schemas = {"order.created": "OrderCreatedEvent", "order.updated": "OrderUpdatedEvent",
               "payment.created": "PaymentCreatedEvent", "payment.updated": "PaymentUpdatedEvent",
               "inventory.count.updated": "InventoryCountUpdatedEvent",
               "catalog.version.updated": "CatalogVersionUpdatedEvent"}
    events = {e["type"]: e for e in receiver.events()}
    assert set(events) == set(schemas)
    for event_type, schema in schemas.items():
        event = events[event_type]
        assert event["merchant_id"] and event["data"]["id"]
        if event_type == "catalog.version.updated":  # the schema omits the `data.id` its example (and Square) has
            assert "id" in example(schema)["data"]
            event = {**event, "data": {k: v for k, v in event["data"].items() if k != "id"}}
        validate(event, schema)
    assert events["order.updated"]["data"]["object"]["order_updated"]["state"] == "OPEN"
    assert events["payment.updated"]["data"]["object"]["payment"]["status"] == "COMPLETED"
    stamp = events["catalog.version.updated"]["data"]["object"]["catalog_version"]["updated_at"]
    changed = v2(http, server, "POST", "catalog/search", json={"begin_time": since, "object_types": ["ITEM"]})
    assert [(o["id"], o["updated_at"]) for o in changed["objects"]] == [(item["id"], stamp)]


def test_event_bursts_with_duplicates_and_shuffling_still_converge(http: requests.Session, server: Any,
                                                                   receiver: Receiver) -> None:
    result = control(http, server, "POST", "webhooks/emit", json={
        "type": "inventory.count.updated", "count": 300, "duplicate_ratio": 0.3, "shuffle": True, "seed": 3})
    assert result["events"] == 300 and result["deliveries_queued"] > 300
    assert control(http, server, "POST", "webhooks/drain", json={"timeout": 20})["idle"]
    delivered = receiver.events()
    assert len(delivered) == result["deliveries_queued"]
    assert len({e["event_id"] for e in delivered}) == result["events_total"]
    events = [e for e in delivered if e["type"] == "inventory.count.updated"]  # the rest: sold-out marks
    assert len({e["event_id"] for e in events}) == 300
    assert {e["type"] for e in delivered} <= {"inventory.count.updated", "catalog.version.updated"}
    latest: dict[str, tuple[str, str]] = {}
    for event in events:  # a receiver that keeps the newest calculated_at converges to the ECS's truth
        for count in event["data"]["object"]["inventory_counts"]:
            known = latest.get(count["catalog_object_id"])
            if known is None or count["calculated_at"] > known[0]:
                latest[count["catalog_object_id"]] = (count["calculated_at"], count["quantity"])
    truth = {c["catalog_object_id"]: c["quantity"] for c in control(http, server, "GET", "inventory")["counts"]}
    assert {vid: qty for vid, (_, qty) in latest.items()} == {vid: truth[vid] for vid in latest}


# -- faults -------------------------------------------------------------------------------------
def test_fault_injection(http: requests.Session, server: Any) -> None:
    control(http, server, "POST", "faults", json={"rules": [
        {"path_prefix": "/v2/locations", "kind": "rate_limit", "times": 2},
        {"path_prefix": "/v2/catalog/list", "kind": "server_error", "status": 503, "every": 2},
        {"path_prefix": "/v2/orders", "kind": "latency", "latency_ms": 150},
    ]})
    for _ in range(2):
        limited = v2(http, server, "GET", "locations", "ListLocationsResponse", status=429)
        assert limited["errors"][0] == {"category": "RATE_LIMIT_ERROR", "code": "RATE_LIMITED",
                                        "detail": "Rate limit exceeded (injected by the ECS sandbox)."}
    v2(http, server, "GET", "locations", "ListLocationsResponse")
    v2(http, server, "GET", "catalog/list")
    assert v2(http, server, "GET", "catalog/list", status=503)["errors"][0]["code"] == "SERVICE_UNAVAILABLE"
    started = time.monotonic()
    v2(http, server, "GET", "orders/none", status=404)
    assert time.monotonic() - started >= 0.15
    assert control(http, server, "GET", "state/summary")["items"] == ITEMS  # control API is never faulted
    rules = control(http, server, "GET", "faults")["rules"]
    assert [r["fired"] for r in rules] == [2, 1, 1]
    control(http, server, "DELETE", "faults")
    v2(http, server, "GET", "catalog/list")
    v2(http, server, "GET", "catalog/list")


# -- state, generator, scale --------------------------------------------------------------------
def test_state_survives_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "sandbox.json"
    with serve_in_thread(create_sandbox_app(access_token=TOKEN, demo_items=30, state_path=state)) as srv, \
            requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {TOKEN}"
        item, variation = first_variation(http, srv)
        control(http, srv, "POST", f"catalog/{item['id']}/price", json={"amount": 777})
        link = make_link(http, srv, [{"catalog_object_id": variation["id"], "quantity": "1"}])["payment_link"]
        http.post(link["url"], data={"card_number": GOOD_CARD}, allow_redirects=False, timeout=10)
        before = control(http, srv, "GET", "inventory")["counts"]
    with serve_in_thread(create_sandbox_app(access_token=TOKEN, demo_items=999, state_path=state)) as srv, \
            requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {TOKEN}"
        assert control(http, srv, "GET", "inventory")["counts"] == before
        assert v2(http, srv, "GET", f"orders/{link['order_id']}")["order"]["state"] == "OPEN"
        again = v2(http, srv, "GET", f"catalog/object/{variation['id']}")["object"]
        assert again["item_variation_data"]["price_money"]["amount"] == 777
        assert control(http, srv, "GET", "state/summary")["items"] == 30


def test_generate_catalog_is_deterministic_and_square_shaped() -> None:
    catalog = generate_catalog(40, seed=3)
    assert catalog.objects == generate_catalog(40, seed=3).objects != generate_catalog(40, seed=4).objects
    items = [o for o in catalog.objects if o["type"] == "ITEM"]
    assert len(items) == 40 and sum(i["item_data"]["name"] == "Evening hire" for i in items) == 1
    for obj in catalog.objects[:60]:
        validate(obj, "CatalogObject")
    assert set(catalog.stock.values()) <= set(range(11)) and 0 in catalog.stock.values()
    assert [o for o in generate_catalog(5, seed=3).objects if o["type"] == "ITEM"][-1]["item_data"]["name"] != \
        "DJ workshop"  # tiny catalogs are records only


def test_catalog_walks_cost_a_page_not_the_catalog() -> None:
    index = CatalogIndex()
    catalog = generate_catalog(5_000, seed=1)
    index.put_many(catalog.objects)
    later = catalog.version + 10
    for obj in catalog.objects[-3:]:
        index.put({**obj, "version": later, "updated_at": "2030-01-01T00:00:00Z"})
    # A begin_time search bisects straight to the changes: a scan budget of 3 entries is enough.
    page = index.walk(["ITEM", "ITEM_VARIATION"], begin_version=catalog.version, max_scan=3)
    assert len(page.objects) == 3 and page.resume_after is None
    cursor, pages = 0, 0
    while True:
        page = index.walk(["ITEM"], after_seq=cursor, max_scan=101)  # a page plus one look-ahead entry
        pages += 1
        assert len(page.objects) == 100 or page.resume_after is None
        if page.resume_after is None:
            break
        cursor = page.resume_after
    assert pages == 50


# -- payment link deletion and refunds ------------------------------------------------------------

def test_deleting_an_unpaid_link_cancels_its_order_and_the_page_refuses_payment(http: requests.Session,
                                                                                server: Any) -> None:
    _item, variation = first_variation(http, server)
    before = stock(http, server, variation["id"])
    link = make_link(http, server, [{"catalog_object_id": variation["id"], "quantity": "1"}], key="del-1")
    link = link["payment_link"]
    deleted = v2(http, server, "DELETE", f"online-checkout/payment-links/{link['id']}", "DeletePaymentLinkResponse")
    assert deleted == {"id": link["id"], "cancelled_order_id": link["order_id"]}
    order = v2(http, server, "GET", f"orders/{link['order_id']}", "RetrieveOrderResponse")["order"]
    assert order["state"] == "CANCELED" and order["version"] == 2
    assert http.post(link["url"], data={"card_number": GOOD_CARD}, timeout=10).status_code == 404
    assert stock(http, server, variation["id"]) == before
    v2(http, server, "GET", f"online-checkout/payment-links/{link['id']}", "RetrievePaymentLinkResponse", status=404)


def test_a_link_with_a_failed_attempt_stays_payable_after_deletion_like_squares(http: requests.Session,
                                                                                server: Any) -> None:
    """Square's forum (t/21874): after a declined card, DeletePaymentLink returns no cancelled_order_id and
    the open checkout still takes another card."""
    _item, variation = first_variation(http, server)
    link = make_link(http, server, [{"catalog_object_id": variation["id"], "quantity": "1"}], key="del-2")
    link = link["payment_link"]
    assert http.post(link["url"], data={"card_number": DECLINED_CARD}, timeout=10).status_code == 402
    deleted = v2(http, server, "DELETE", f"online-checkout/payment-links/{link['id']}", "DeletePaymentLinkResponse")
    assert deleted == {"id": link["id"]}
    paid = http.post(link["url"], data={"card_number": GOOD_CARD}, allow_redirects=False, timeout=10)
    assert paid.status_code == 303
    order = v2(http, server, "GET", f"orders/{link['order_id']}", "RetrieveOrderResponse")["order"]
    assert order["state"] == "OPEN" and order["tenders"]


def test_refunds_whole_or_part_of_a_completed_payment_once_per_key(http: requests.Session, server: Any,
                                                                     receiver: Receiver) -> None:
    _item, variation = first_variation(http, server)
    link = make_link(http, server, [{"catalog_object_id": variation["id"], "quantity": "2"}], key="ref-1")
    http.post(link["payment_link"]["url"], data={"card_number": GOOD_CARD}, allow_redirects=False, timeout=10)
    order = v2(http, server, "GET", f"orders/{link['payment_link']['order_id']}", "RetrieveOrderResponse")["order"]
    payment_id, total = order["tenders"][0]["payment_id"], order["total_money"]
    part = {"idempotency_key": "refund-part", "payment_id": payment_id, "reason": "One sleeve was split",
            "amount_money": {"amount": total["amount"] // 2, "currency": total["currency"]}}
    validate(part, "RefundPaymentRequest")
    first = v2(http, server, "POST", "refunds", "RefundPaymentResponse", json=part)["refund"]
    assert first["status"] == "PENDING" and first["payment_id"] == payment_id and first["order_id"] == order["id"]
    assert v2(http, server, "POST", "refunds", "RefundPaymentResponse", json=part)["refund"] == first  # replay
    fetched = v2(http, server, "GET", f"refunds/{first['id']}", "GetPaymentRefundResponse")["refund"]
    assert fetched["status"] == "COMPLETED"
    too_much = {**part, "idempotency_key": "refund-rest",
                "amount_money": {"amount": total["amount"], "currency": total["currency"]}}
    error = v2(http, server, "POST", "refunds", "RefundPaymentResponse", status=400, json=too_much)
    assert error["errors"][0]["code"] == "REFUND_AMOUNT_INVALID"
    rest = {**too_much, "amount_money": {"amount": total["amount"] - total["amount"] // 2,
                                         "currency": total["currency"]}}
    v2(http, server, "POST", "refunds", "RefundPaymentResponse", json=rest)
    payment = v2(http, server, "GET", f"payments/{payment_id}", "GetPaymentResponse")["payment"]
    assert payment["refunded_money"] == total and len(payment["refund_ids"]) == 2
    long_key = {**rest, "idempotency_key": "k" * 46}
    assert v2(http, server, "POST", "refunds", status=400, json=long_key)["errors"][0]["field"] == "idempotency_key"
    assert control(http, server, "POST", "webhooks/drain", json={"timeout": 10})["idle"]
    refund_events = [e for e in receiver.events() if e["type"].startswith("refund.")]
    assert sorted(e["type"] for e in refund_events) == ["refund.created"] * 2 + ["refund.updated"] * 2
    for event in refund_events:
        validate(event, "RefundCreatedEvent" if event["type"] == "refund.created" else "RefundUpdatedEvent")
