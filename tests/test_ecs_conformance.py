"""The ECS sandbox against Square's documented behaviour, one row per rule, over real HTTP.

Every row sends its requests to a running sandbox and asserts what Square documents (status, error
category/code/field, or the counts and overrides that result). Every well-formed request body is
validated against the spec's request schema and every answer against the operation's response
schema (Square's error bodies are the same response types), each error against ``Error``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from storefront.ecs.sandbox.checkout_page import format_money
from tests.support.sandbox_http import Receiver, control, sandbox_server, sandbox_session
from tests.support.square_schema import example, request_schema_name, response_schema_name, spec, validate

TOKEN = "conformance-token"
KEY = "conformance-signature-key"
ITEMS = 40
NOW = datetime.now(UTC)
UNLISTED_CODES = {"VERSION_MISMATCH"}


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    with sandbox_server(token=TOKEN, signature_key=KEY, items=ITEMS, seed=11) as srv:
        yield srv


@pytest.fixture
def http(server: Any) -> Iterator[requests.Session]:
    with sandbox_session(server, token=TOKEN, items=ITEMS, seed=11) as session:
        yield session


@pytest.fixture
def receiver(http: requests.Session, server: Any) -> Iterator[Receiver]:
    hook = Receiver()
    control(http, server, "POST", "webhooks/config", json={"url": hook.url, "signature_key": KEY,
                                                           "duplicate_ratio": 0, "retry_base_ms": 20})
    yield hook
    control(http, server, "POST", "webhooks/config", json={"urls": []})
    hook.close()


class Square:
    """One row's view of the sandbox: ``call`` sends, checks the status and validates both sides."""

    def __init__(self, http: requests.Session, server: Any, receiver: Receiver) -> None:
        self.http, self.server, self.receiver = http, server, receiver

    def call(self, method: str, template: str, *, status: int = 200, body: dict[str, Any] | None = None,
             raw: bytes | None = None, headers: dict[str, str] | None = None, **path: str) -> dict[str, Any]:
        if body is not None and status == 200:
            validate(body, request_schema_name(method, template))
        url = f"{self.server.base_url}{template.format(**path)}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        response = self.http.request(method, url, data=data, timeout=30,
                                     headers={"Content-Type": "application/json", **(headers or {})})
        assert response.status_code == status, response.text
        answer = response.json()
        # Square answers a stale catalog version with VERSION_MISMATCH, a code its published
        # ErrorCode enum leaves out (developer forum t/7124, t/23559): validated as a documented one.
        documented = {**answer, "errors": [{**e, "code": "CONFLICT"} if e.get("code") in UNLISTED_CODES else e
                                           for e in answer.get("errors", [])]} if "errors" in answer else answer
        validate(documented, response_schema_name(method, template))
        for error in documented.get("errors", []):
            validate(error, "Error")
        return answer

    def error(self, method: str, template: str, status: int = 400, **kwargs: Any) -> dict[str, Any]:
        errors = self.call(method, template, status=status, **kwargs)["errors"]
        assert len(errors) == 1
        return errors[0]

    def location(self) -> str:
        return self.call("GET", "/v2/locations")["locations"][0]["id"]

    def new_variation(self, **spec_: Any) -> str:
        """A fresh tracked variation with no counts yet (demo stock counts as counted at reset)."""
        body = {"name": "Conformance record", "amount": 1500, **spec_}
        response = self.http.post(f"{self.server.base_url}/_sandbox/catalog/items", json=body, timeout=30)
        assert response.status_code == 201, response.text
        return next(o["id"] for o in response.json()["objects"] if o["type"] == "ITEM_VARIATION")

    def change(self, key: str, *changes: dict[str, Any], status: int = 200) -> dict[str, Any]:
        return self.call("POST", "/v2/inventory/changes/batch-create", status=status,
                         body={"idempotency_key": key, "changes": list(changes)})

    def in_stock(self, variation_id: str) -> dict[str, Any]:
        counts = self.call("GET", "/v2/inventory/{catalog_object_id}", catalog_object_id=variation_id)["counts"]
        return next(c for c in counts if c["state"] == "IN_STOCK")

    def variation(self, variation_id: str) -> dict[str, Any]:
        return self.call("GET", "/v2/catalog/object/{object_id}", object_id=variation_id)["object"]

    def drain(self) -> list[dict[str, Any]]:
        assert control(self.http, self.server, "POST", "webhooks/drain", json={"timeout": 10})["idle"]
        return self.receiver.events()


def at(hours: float) -> str:
    return (NOW - timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


def count(variation_id: str, location: str, quantity: int, occurred_at: str) -> dict[str, Any]:
    return {"type": "PHYSICAL_COUNT", "physical_count": {
        "catalog_object_id": variation_id, "location_id": location, "state": "IN_STOCK",
        "quantity": str(quantity), "occurred_at": occurred_at}}


def adjust(variation_id: str, location: str, quantity: int, occurred_at: str | None = None, *,
           from_state: str = "NONE", to_state: str = "IN_STOCK") -> dict[str, Any]:
    detail = {"catalog_object_id": variation_id, "location_id": location, "from_state": from_state,
              "to_state": to_state, "quantity": str(quantity)}
    if occurred_at:
        detail["occurred_at"] = occurred_at
    return {"type": "ADJUSTMENT", "adjustment": detail}


# -- the rows ---------------------------------------------------------------------------------------
def inventory_follows_occurred_at(sq: Square) -> None:
    """Square's count: the latest physical count by occurred_at plus the adjustments after it."""
    var, loc = sq.new_variation(), sq.location()
    steps = [(adjust(var, loc, 5, at(1)), 5),                                   # +5 at T-1h
             (count(var, loc, 10, at(3)), 15),                                  # count 10 at T-3h, then +5
             (adjust(var, loc, 2, at(2), from_state="IN_STOCK", to_state="SOLD"), 13),  # −2 at T-2h
             (count(var, loc, 4, at(4)), 13),                                   # older than the T-3h count
             (count(var, loc, 20, at(1.5)), 25),                                # absorbs the −2, keeps the +5
             (count(var, loc, 20, at(1.25)), 25)]  # would leave 25: an unchanged count, ignored by default
    calculated = ""
    for number, (change, expected) in enumerate(steps):
        answer = sq.change(f"occ-{number}", change)
        now = sq.in_stock(var)
        assert now["quantity"] == str(expected), (number, now)
        record = answer["changes"][0].get("physical_count") or answer["changes"][0]["adjustment"]
        if number in (3, 5):  # ignored: the count (and when it was calculated) stays as it was
            assert now["calculated_at"] == calculated
        else:  # calculated_at: when the latest change affecting the count was received
            assert now["calculated_at"] == record["created_at"] > calculated
        calculated = now["calculated_at"]


def sold_out_follows_zero_stock(sq: Square) -> None:
    loc = sq.location()
    stock = {c["catalog_object_id"]: int(c["quantity"])
             for c in control(sq.http, sq.server, "GET", "inventory", params={"state": "IN_STOCK"})["counts"]}
    marked = {v["id"] for v in _search(sq, None, ["ITEM_VARIATION"])
              if {"location_id": loc, "sold_out": True} in v["item_variation_data"].get("location_overrides", [])}
    assert marked and marked == {v for v, qty in stock.items() if qty <= 0}  # the demo catalog already agrees
    var = sq.new_variation()
    sq.change("so-1", adjust(var, loc, 1))
    before = sq.variation(var)
    assert "location_overrides" not in before["item_variation_data"]
    sq.change("so-2", adjust(var, loc, 1, from_state="IN_STOCK", to_state="SOLD"))
    sold = sq.variation(var)
    assert sold["item_variation_data"]["location_overrides"] == [{"location_id": loc, "sold_out": True}]
    assert sold["version"] > before["version"]
    item = sq.call("GET", "/v2/catalog/object/{object_id}", object_id=sold["item_variation_data"]["item_id"])
    assert item["object"]["item_data"]["variations"][0] == sold  # the item embeds the same variation
    events = sq.drain()
    catalog = [e for e in events if e["type"] == "catalog.version.updated"]
    assert catalog and catalog[-1]["data"]["object"]["catalog_version"]["updated_at"] == sold["updated_at"]
    sq.change("so-3", adjust(var, loc, 3))
    restocked = sq.variation(var)
    assert "location_overrides" not in restocked["item_variation_data"]
    assert restocked["version"] > sold["version"]


def square_version_header(sq: Square) -> None:
    assert sq.call("GET", "/v2/locations", headers={"Square-Version": "2025-08-20"})["locations"]
    bare = sq.http.get(f"{sq.server.base_url}/v2/locations", timeout=30)  # absent: the app's default version
    assert bare.status_code == 200
    for value in ("latest", "2025-13-45", "20250820", "2025-08-20T00:00:00Z"):
        error = sq.error("GET", "/v2/locations", headers={"Square-Version": value})
        assert error["category"] == "INVALID_REQUEST_ERROR" and error["code"] == "INVALID_SQUARE_VERSION_FORMAT"


def idempotency_key_lengths(sq: Square) -> None:
    schemas = spec()["components"]["schemas"]
    limit = schemas["BatchChangeInventoryRequest"]["properties"]["idempotency_key"]["maxLength"]
    assert limit == 128
    var, loc = sq.new_variation(), sq.location()
    sq.change("k" * limit, adjust(var, loc, 1))
    error = sq.error("POST", "/v2/inventory/changes/batch-create",
                     body={"idempotency_key": "k" * (limit + 1), "changes": [adjust(var, loc, 1)]})
    assert (error["code"], error["field"]) == ("VALUE_TOO_LONG", "idempotency_key")
    link_limit = schemas["CreatePaymentLinkRequest"]["properties"]["idempotency_key"]["maxLength"]
    order = {"location_id": loc, "line_items": [{"catalog_object_id": var, "quantity": "1"}]}
    sq.call("POST", "/v2/online-checkout/payment-links", body={"idempotency_key": "p" * link_limit, "order": order})
    error = sq.error("POST", "/v2/online-checkout/payment-links",
                     body={"idempotency_key": "p" * (link_limit + 1), "order": order})
    assert (error["code"], error["field"]) == ("VALUE_TOO_LONG", "idempotency_key")


def _search(sq: Square, query: dict[str, Any] | None, types: list[str], **extra: Any) -> list[dict[str, Any]]:
    objects, cursor = [], None
    while True:
        body = {"object_types": types, **({"query": query} if query else {}), **extra,
                **({"cursor": cursor} if cursor else {})}
        answer = sq.call("POST", "/v2/catalog/search", body=body)
        objects.extend(answer.get("objects", []))
        cursor = answer.get("cursor")
        if not cursor:
            return objects


def search_catalog_query(sq: Square) -> None:
    sq.new_variation(name="Quuxly Orbit — Zephyr Tapes", artist="Quuxly Orbit", title="Zephyr Tapes", year=1977,
                     description="Small purple pressing", sku="QX-777", amount=2500)
    name = "Quuxly Orbit — Zephyr Tapes"
    assert [o["item_data"]["name"] for o in _search(sq, {"exact_query": {"attribute_name": "name",
                                                                        "attribute_value": name}}, ["ITEM"])] == [name]
    assert [o["item_data"]["name"] for o in _search(sq, {"prefix_query": {"attribute_name": "name",
                                                                         "attribute_prefix": "quuxly"}},
                                                    ["ITEM"], limit=1)] == [name]
    text = _search(sq, {"text_query": {"keywords": ["zeph", "sma", "purp"]}}, ["ITEM"])
    assert [o["item_data"]["name"] for o in text] == [name]
    skus = _search(sq, {"set_query": {"attribute_name": "sku", "attribute_values": ["qx-777", "NOPE"]}},
                   ["ITEM", "ITEM_VARIATION"])
    assert [(o["type"], o["item_variation_data"]["sku"]) for o in skus] == [("ITEM_VARIATION", "QX-777")]
    ranged = _search(sq, {"range_query": {"attribute_name": "year", "attribute_min_value": 1977,
                                          "attribute_max_value": 1977},
                          "prefix_query": {"attribute_name": "artist", "attribute_prefix": "Quux"}}, ["ITEM"])
    assert [o["item_data"]["name"] for o in ranged] == [name]
    refused = [({"set_query": {"attribute_name": "name", "attribute_values": ["x"]},
                 "text_query": {"keywords": ["abc"]}}, "BAD_REQUEST", "query"),
               ({"text_query": {"keywords": ["one", "two", "three", "four"]}}, "ARRAY_LENGTH_TOO_LONG",
                "query.text_query.keywords"),
               ({"exact_query": {"attribute_value": "x"}}, "MISSING_REQUIRED_PARAMETER",
                "query.exact_query.attribute_name")]
    for query, code, field in refused:
        error = sq.error("POST", "/v2/catalog/search", body={"object_types": ["ITEM"], "query": query})
        assert (error["category"], error["code"], error["field"]) == ("INVALID_REQUEST_ERROR", code, field)


def events_carry_data_id(sq: Square) -> None:
    var, loc = sq.new_variation(), sq.location()
    sq.change("ev-1", adjust(var, loc, 2))
    events = {e["type"]: e for e in sq.drain()}
    for event_type, schema in (("inventory.count.updated", "InventoryCountUpdatedEvent"),
                               ("catalog.version.updated", "CatalogVersionUpdatedEvent")):
        event = events[event_type]
        assert event["data"]["id"], event_type
        if event_type == "catalog.version.updated":
            assert "id" in example(schema)["data"]  # the example (and Square) has it; the schema does not declare it
            event = {**event, "data": {k: v for k, v in event["data"].items() if k != "id"}}
        validate(event, schema)


def malformed_json_bodies(sq: Square) -> None:
    cases = [(b"{not json", "BAD_REQUEST"), (b"\xff\xfe garbage", "BAD_REQUEST"), (b"[" * 100_000, "BAD_REQUEST"),
             (b'{"idempotency_key": "x",', "BAD_REQUEST"), (b"[1, 2]", "EXPECTED_JSON_BODY"),
             (b'"text"', "EXPECTED_JSON_BODY")]
    for template in ("/v2/catalog/search", "/v2/inventory/changes/batch-create", "/v2/online-checkout/payment-links"):
        for raw, code in cases:
            error = sq.error("POST", template, raw=raw)
            assert (error["category"], error["code"]) == ("INVALID_REQUEST_ERROR", code), (template, raw[:20])


def checkout_page_money(sq: Square) -> None:
    var, loc = sq.new_variation(amount=123456), sq.location()
    sq.change("money-1", adjust(var, loc, 5))
    body = {"idempotency_key": "money-link", "order": {
        "location_id": loc, "line_items": [{"catalog_object_id": var, "quantity": "1"}]}}
    link = sq.call("POST", "/v2/online-checkout/payment-links", body=body)["payment_link"]
    page = sq.http.get(link["url"], timeout=30)
    assert page.status_code == 200 and "$1,234.56" in page.text
    assert format_money({"amount": 1999, "currency": "JPY"}) == "¥1,999"  # no minor unit
    assert format_money({"amount": 1999, "currency": "KWD"}) == "1.999 KWD"  # three
    assert format_money({"amount": 1999, "currency": "EUR"}) == "€19.99"


def _new_record(n: int) -> list[dict[str, Any]]:
    """A category, an item option and an attribute definition, and an item that refers to all three
    (and to its own variation) by temporary ids."""
    return [
        {"type": "CATEGORY", "id": f"#jazz{n}", "category_data": {"name": f"Jazz {n}"}},
        {"type": "ITEM_OPTION", "id": f"#fmt{n}", "item_option_data": {"name": f"Format {n}", "values": [
            {"type": "ITEM_OPTION_VAL", "id": f"#fmt{n}-lp", "item_option_value_data": {"name": "LP"}}]}},
        {"type": "CUSTOM_ATTRIBUTE_DEFINITION", "id": f"#label{n}", "custom_attribute_definition_data": {
            "type": "STRING", "name": f"Record label {n}", "allowed_object_types": ["ITEM"]}},
        {"type": "ITEM", "id": f"#rec{n}", "custom_attribute_values": {f"label{n}": {
            "custom_attribute_definition_id": f"#label{n}", "type": "STRING", "string_value": "Blue Note"}},
         "item_data": {"name": f"Art Blakey - Moanin' {n}", "categories": [{"id": f"#jazz{n}"}],
                       "reporting_category": {"id": f"#jazz{n}"}, "item_options": [{"item_option_id": f"#fmt{n}"}],
                       "variations": [{"type": "ITEM_VARIATION", "id": f"#rec{n}-lp", "item_variation_data": {
                           "name": "LP", "pricing_type": "FIXED_PRICING",
                           "price_money": {"amount": 2999, "currency": "USD"},
                           "item_option_values": [{"item_option_id": f"#fmt{n}",
                                                   "item_option_value_id": f"#fmt{n}-lp"}]}}]}},
    ]


def upsert_maps_temporary_ids(sq: Square) -> None:
    """BatchUpsertCatalogObjects: real ids for `#` ids (id_mappings, nested ones too), every reference
    inside the request rewritten, one catalog version and one catalog.version.updated."""
    before = len(sq.drain())
    body = {"idempotency_key": "upsert-map", "batches": [{"objects": _new_record(1)}]}
    answer = sq.call("POST", "/v2/catalog/batch-upsert", body=body)
    ids = {m["client_object_id"]: m["object_id"] for m in answer["id_mappings"]}
    assert set(ids) == {"#jazz1", "#fmt1", "#fmt1-lp", "#label1", "#rec1", "#rec1-lp"}
    assert not any(real.startswith("#") for real in ids.values())
    assert len({o["version"] for o in answer["objects"]}) == 1  # one catalog version for the request
    assert {o["updated_at"] for o in answer["objects"]} == {answer["updated_at"]}
    item = sq.call("GET", "/v2/catalog/object/{object_id}", object_id=ids["#rec1"])["object"]
    data = item["item_data"]
    assert data["categories"] == [{"id": ids["#jazz1"]}] and data["reporting_category"]["id"] == ids["#jazz1"]
    variation = data["variations"][0]
    assert variation["id"] == ids["#rec1-lp"] and variation["item_variation_data"]["item_id"] == ids["#rec1"]
    assert variation["item_variation_data"]["item_option_values"] == [
        {"item_option_id": ids["#fmt1"], "item_option_value_id": ids["#fmt1-lp"]}]
    assert item["custom_attribute_values"]["label1"]["custom_attribute_definition_id"] == ids["#label1"]
    alone = sq.call("GET", "/v2/catalog/object/{object_id}", object_id=ids["#rec1-lp"])["object"]
    assert alone["id"] == ids["#rec1-lp"]
    events = sq.drain()[before:]
    assert [e["type"] for e in events] == ["catalog.version.updated"]


def upsert_checks_versions(sq: Square) -> None:
    """An update needs the stored version (the item's and each nested variation's): a stale or
    missing one is VERSION_MISMATCH and nothing is written; the current one is accepted."""
    created = sq.call("POST", "/v2/catalog/object", body={"idempotency_key": "ver-0", "object": _new_record(2)[3] | {
        "item_data": {"name": "Plain - Record", "variations": [{"type": "ITEM_VARIATION", "id": "#plain-v",
                      "item_variation_data": {"name": "LP", "pricing_type": "FIXED_PRICING",
                                              "price_money": {"amount": 1000, "currency": "USD"}}}]},
        "custom_attribute_values": {}}})["catalog_object"]
    renamed = {**created, "item_data": {**created["item_data"], "name": "Plain - Renamed"}}
    stale = sq.error("POST", "/v2/catalog/object", body={"idempotency_key": "ver-1",
                                                          "object": {**renamed, "version": created["version"] - 1}})
    assert (stale["code"], stale["field"]) == ("VERSION_MISMATCH", "object.version")
    unversioned = {k: v for k, v in renamed.items() if k != "version"}
    missing = sq.error("POST", "/v2/catalog/object", body={"idempotency_key": "ver-2", "object": unversioned})
    assert missing["code"] == "VERSION_MISMATCH"
    variation = renamed["item_data"]["variations"][0]
    stale_child = {**renamed, "item_data": {**renamed["item_data"], "variations": [{**variation, "version": 1}]}}
    child = sq.error("POST", "/v2/catalog/object", body={"idempotency_key": "ver-3", "object": stale_child})
    assert child["field"] == "object.item_data.variations[0].version"
    stored = sq.call("GET", "/v2/catalog/object/{object_id}", object_id=created["id"])["object"]
    assert stored["item_data"]["name"] == "Plain - Record" and stored["version"] == created["version"]
    updated = sq.call("POST", "/v2/catalog/object", body={"idempotency_key": "ver-4", "object": renamed})
    assert updated["catalog_object"]["version"] > created["version"] and "id_mappings" not in updated


def upsert_is_idempotent(sq: Square) -> None:
    """The same key and body answer the same (no second write); the key with another body is an error;
    keys longer than 128 characters are refused."""
    body = {"idempotency_key": "idem-upsert", "batches": [{"objects": _new_record(3)}]}
    first = sq.call("POST", "/v2/catalog/batch-upsert", body=body)
    again = sq.call("POST", "/v2/catalog/batch-upsert", body=body)
    assert again == first
    other = sq.error("POST", "/v2/catalog/batch-upsert", body={**body, "batches": [{"objects": _new_record(4)}]})
    assert other["code"] == "IDEMPOTENCY_KEY_REUSED"
    long_key = sq.error("POST", "/v2/catalog/object", body={"idempotency_key": "k" * 129, "object": _new_record(5)[0]})
    assert (long_key["code"], long_key["field"]) == ("VALUE_TOO_LONG", "idempotency_key")
    missing = sq.error("POST", "/v2/catalog/object", body={"idempotency_key": "no-name", "object": {
        "type": "CATEGORY", "id": "#c", "category_data": {}}})
    assert (missing["code"], missing["field"]) == ("MISSING_REQUIRED_PARAMETER", "object.category_data.name")


def delete_takes_variations_and_shows_in_search(sq: Square) -> None:
    """DeleteCatalogObject: an item takes its variations; both then show as deleted to an
    incremental SearchCatalogObjects; deleting again answers nothing deleted; an unknown id is 404.
    BatchDeleteCatalogObjects skips unknown ids."""
    ids = {m["client_object_id"]: m["object_id"] for m in sq.call(
        "POST", "/v2/catalog/batch-upsert",
        body={"idempotency_key": "del-1", "batches": [{"objects": _new_record(6)}]})["id_mappings"]}
    since = sq.call("POST", "/v2/catalog/search", body={"object_types": ["ITEM"], "limit": 1})["latest_time"]
    deleted = sq.call("DELETE", "/v2/catalog/object/{object_id}", object_id=ids["#rec6"])
    assert set(deleted["deleted_object_ids"]) == {ids["#rec6"], ids["#rec6-lp"]}
    found = sq.call("POST", "/v2/catalog/search", body={"begin_time": since, "include_deleted_objects": True,
                                                        "object_types": ["ITEM", "ITEM_VARIATION"]})
    assert {(o["id"], o["is_deleted"]) for o in found["objects"]} == {(ids["#rec6"], True), (ids["#rec6-lp"], True)}
    assert sq.call("DELETE", "/v2/catalog/object/{object_id}", object_id=ids["#rec6"])["deleted_object_ids"] == []
    assert sq.error("DELETE", "/v2/catalog/object/{object_id}", status=404, object_id="NOPE")["code"] == "NOT_FOUND"
    batch = sq.call("POST", "/v2/catalog/batch-delete", body={"object_ids": [ids["#jazz6"], "NOPE"]})
    assert batch["deleted_object_ids"] == [ids["#jazz6"]]


def upsert_temporary_ids_stay_in_their_batch(sq: Square) -> None:
    """A `#` id is valid only inside its own atomic batch: a reference from another batch is refused
    and nothing is written; an upsert may not send `is_deleted: true` nor update a deleted object."""
    body = {"idempotency_key": "scope-1", "batches": [{"objects": _new_record(7)[:1]},
                                                      {"objects": _new_record(7)[1:]}]}
    error = sq.error("POST", "/v2/catalog/batch-upsert", body=body)
    assert (error["code"], error["field"]) == ("INVALID_VALUE", "batches[1].objects[2].item_data.categories[0].id")
    assert sq.call("POST", "/v2/catalog/search", body={"object_types": ["CATEGORY"], "query": {"exact_query": {
        "attribute_name": "name", "attribute_value": "Jazz 7"}}}).get("objects") is None
    deleted = sq.error("POST", "/v2/catalog/object", body={"idempotency_key": "scope-2", "object": {
        **_new_record(7)[0], "is_deleted": True}})
    assert deleted["field"] == "object.is_deleted"
    category = sq.call("POST", "/v2/catalog/object", body={"idempotency_key": "scope-3",
                                                           "object": _new_record(7)[0]})["catalog_object"]
    sq.call("DELETE", "/v2/catalog/object/{object_id}", object_id=category["id"])
    gone = sq.error("POST", "/v2/catalog/object", body={"idempotency_key": "scope-4", "object": category})
    assert (gone["code"], gone["field"]) == ("NOT_FOUND", "object.id")


ROWS: list[tuple[str, Callable[[Square], None]]] = [
    ("1-inventory-occurred-at", inventory_follows_occurred_at),
    ("2-sold-out-override", sold_out_follows_zero_stock),
    ("3-square-version", square_version_header),
    ("4-idempotency-key-length", idempotency_key_lengths),
    ("5-search-query", search_catalog_query),
    ("6-event-data-id", events_carry_data_id),
    ("7-malformed-json", malformed_json_bodies),
    ("8-checkout-money", checkout_page_money),
    ("9-upsert-temporary-ids", upsert_maps_temporary_ids),
    ("10-upsert-versions", upsert_checks_versions),
    ("11-upsert-idempotency", upsert_is_idempotent),
    ("12-delete-cascade", delete_takes_variations_and_shows_in_search),
    ("13-upsert-batch-scope", upsert_temporary_ids_stay_in_their_batch),
]


@pytest.mark.parametrize("row", [fn for _, fn in ROWS], ids=[name for name, _ in ROWS])
def test_sandbox_answers_as_square_documents(row: Callable[[Square], None], http: requests.Session, server: Any,
                                             receiver: Receiver) -> None:
    row(Square(http, server, receiver))
