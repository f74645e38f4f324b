"""The sandbox's demo catalog in the "seller" shape: what a record shop's Square catalog looks like,
read over HTTP from a sandbox started in that shape, valid against Square's OpenAPI document, with
every reference resolving; the legacy shape unchanged."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from storefront.ecs.sandbox.demo_catalog import (
    SELLER_DEFINITIONS,
    SELLER_OPTIONS,
    SELLER_POPUP_ID,
    SELLER_WAREHOUSE_ID,
    generate_catalog,
)
from tests.support.sandbox_http import control, sandbox_server
from tests.support.square_schema import validate

TOKEN = "seller-token"
LOCATION = "LSANDBOXMAIN1"
ITEMS, SEED = 150, 3
LEGACY_KEYS = ("artist", "title", "label", "catalog_number", "format", "year")
# sha256 of json.dumps(generate_catalog(50, 7).objects) (and of objects + stock, sorted keys), taken
# from the code before the seller shape was added: the legacy shape must never change.
LEGACY_50_7_OBJECTS = "659a1a2ae531dfed0e64285a4700f854fae9f93589aad9267478926213e38978"
LEGACY_50_7_WITH_STOCK = "8d7094e3e470346c1707a8c85d0b099064848e5001fffca0d6e67e42407e4b85"
TYPES = "ITEM,ITEM_VARIATION,CATEGORY,ITEM_OPTION,ITEM_OPTION_VAL,CUSTOM_ATTRIBUTE_DEFINITION,TAX,IMAGE"


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    with sandbox_server(token=TOKEN, items=ITEMS, seed=SEED, catalog_shape="seller") as srv:
        yield srv


@pytest.fixture(scope="module")
def http(server: Any) -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {TOKEN}"
        yield session


@pytest.fixture(scope="module")
def catalog(server: Any, http: requests.Session) -> list[dict[str, Any]]:
    """Every object of the seller-shaped demo, read through ListCatalog (each page validated)."""
    objects, cursor = [], None
    while True:
        response = http.get(f"{server.base_url}/v2/catalog/list",
                            params={"types": TYPES, **({"cursor": cursor} if cursor else {})}, timeout=30)
        assert response.status_code == 200
        validate(response.json(), "ListCatalogResponse")
        objects += response.json().get("objects", [])
        cursor = response.json().get("cursor")
        if not cursor:
            return objects


def _by_type(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["type"] == kind]


def _records(catalog: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [i for i in _by_type(catalog, "ITEM") if " - " in i["item_data"]["name"]]


def test_the_sandbox_started_in_the_seller_shape(server, http, catalog):
    summary = control(http, server, "GET", "state/summary")
    assert summary["base"]["shape"] == "seller" and summary["items"] == ITEMS + 3 + 5  # + merch + dated events
    assert len(_by_type(catalog, "ITEM")) == summary["items"]


def test_no_convenience_keys_anywhere(catalog):
    text = json.dumps(catalog)
    for key in LEGACY_KEYS:
        assert f'"key": "{key}"' not in text and f'"{key}":' not in text, key
    assert len(_records(catalog)) > 100
    for obj in catalog:
        for map_key, value in obj.get("custom_attribute_values", {}).items():
            assert map_key == value["key"] and map_key.startswith("Square:")


def test_search_and_retrieve_answers_validate(server, http, catalog):
    cursor, found = None, []
    while True:
        body = {"object_types": ["ITEM"], "include_related_objects": True, "limit": 100,
                **({"cursor": cursor} if cursor else {})}
        response = http.post(f"{server.base_url}/v2/catalog/search", json=body, timeout=30)
        assert response.status_code == 200
        validate(response.json(), "SearchCatalogObjectsResponse")
        found += response.json().get("objects", [])
        related = {o["type"] for o in response.json().get("related_objects", [])}
        assert {"CATEGORY", "IMAGE"} <= related
        cursor = response.json().get("cursor")
        if not cursor:
            break
    assert {o["id"] for o in found} == {o["id"] for o in _by_type(catalog, "ITEM")}
    used = next(v for v in _by_type(catalog, "ITEM_VARIATION") if v["item_variation_data"]["name"].endswith("Used"))
    samples = [used["item_variation_data"]["item_id"], used["id"]]
    samples += [_by_type(catalog, kind)[0]["id"] for kind in ("ITEM_OPTION", "ITEM_OPTION_VAL", "TAX", "IMAGE",
                                                               "CUSTOM_ATTRIBUTE_DEFINITION", "CATEGORY")]
    for object_id in samples:
        response = http.get(f"{server.base_url}/v2/catalog/object/{object_id}",
                            params={"include_related_objects": "true"}, timeout=30)
        assert response.status_code == 200
        validate(response.json(), "RetrieveCatalogObjectResponse")
        assert response.json()["object"]["id"] == object_id


def test_options_definitions_categories_and_tax_all_resolve(catalog):
    options = {o["id"]: o for o in _by_type(catalog, "ITEM_OPTION")}
    assert {o["item_option_data"]["name"]: tuple(v["item_option_value_data"]["name"]
                                                 for v in o["item_option_data"]["values"])
            for o in options.values()} == SELLER_OPTIONS
    values = {v["id"]: (o["id"], v["item_option_value_data"]["name"]) for o in options.values()
              for v in o["item_option_data"]["values"]}
    assert {v["id"] for v in _by_type(catalog, "ITEM_OPTION_VAL")} == set(values)
    definitions = {d["id"]: d["custom_attribute_definition_data"]
                   for d in _by_type(catalog, "CUSTOM_ATTRIBUTE_DEFINITION")}
    assert sorted((d["key"], d["name"], d["type"], tuple(d["allowed_object_types"]),
                   tuple(s["name"] for s in d.get("selection_config", {}).get("allowed_selections", [])))
                  for d in definitions.values()) == sorted(SELLER_DEFINITIONS)
    categories = {c["id"]: c["category_data"] for c in _by_type(catalog, "CATEGORY")}
    roots = {cid for cid, c in categories.items() if c.get("is_top_level")}
    assert {categories[r]["name"] for r in roots} == {"Music", "Events", "Merch"}
    music = next(r for r in roots if categories[r]["name"] == "Music")
    children = [c for c in categories.values() if not c.get("is_top_level")]
    assert len(children) >= 10 and all(c["parent_category"]["id"] == music == c["root_category"] for c in children)
    [tax] = _by_type(catalog, "TAX")
    assert {"name": "NY sales tax", "percentage": "8.875", "inclusion_type": "ADDITIVE",
            "calculation_phase": "TAX_SUBTOTAL_PHASE", "enabled": True}.items() <= tax["tax_data"].items()
    used = 0
    for item in _by_type(catalog, "ITEM"):
        data = item["item_data"]
        assert data["categories"] and all(c["id"] in categories for c in data["categories"])
        assert data["reporting_category"]["id"] in categories
        if data["name"] in ("Evening hire", "Daytime hire", "Listening session", "DJ workshop"):
            continue  # the legacy event-space items, kept as they were (the room's hire has no tax)
        assert data["tax_ids"] == [tax["id"]]
        for holder in (item, *data["variations"]):
            for map_key, value in holder.get("custom_attribute_values", {}).items():
                definition = definitions[value["custom_attribute_definition_id"]]
                assert map_key == f"Square:{definition['key']}" and value["type"] == definition["type"]
                assert holder["type"] in definition["allowed_object_types"]
                if definition["type"] == "SELECTION":
                    allowed = {s["uid"] for s in definition["selection_config"]["allowed_selections"]}
                    assert value["selection_uid_values"] and set(value["selection_uid_values"]) <= allowed
                else:
                    assert ("number_value" if definition["type"] == "NUMBER" else "string_value") in value
        for variation in data["variations"]:
            refs = variation["item_variation_data"].get("item_option_values", [])
            for ref in refs:
                assert values[ref["item_option_value_id"]][0] == ref["item_option_id"]
                assert {"item_option_id": ref["item_option_id"]} in data["item_options"]
            if refs:
                used += 1
                names = [values[r["item_option_value_id"]][1] for r in refs]
                assert variation["item_variation_data"]["name"] == ", ".join(names)  # as Square names them
    assert used > 100


def test_events_keep_the_legacy_event_space_items(catalog):
    legacy = {i["item_data"]["name"]: i for i in _by_type(generate_catalog(ITEMS, SEED).objects, "ITEM")}
    categories = {c["id"]: c["category_data"]["name"] for c in _by_type(catalog, "CATEGORY")}
    events = [i for i in _by_type(catalog, "ITEM")
              if categories[i["item_data"]["categories"][0]["id"]] == "Events"]
    hires = [i for i in events if i["item_data"]["name"] in legacy]
    assert len(hires) == 4 and len(events) == 9  # the legacy event-space items and the five dated events
    for item in hires:
        before = legacy[item["item_data"]["name"]]
        assert [v["item_variation_data"] | {"item_id": None} for v in item["item_data"]["variations"]] == \
               [v["item_variation_data"] | {"item_id": None} for v in before["item_data"]["variations"]]


def test_variations_carry_a_valid_upc_and_a_sku(catalog):
    checked = 0
    for item in _records(catalog):
        for variation in item["item_data"]["variations"]:
            data = variation["item_variation_data"]
            digits = [int(d) for d in data["upc"]]
            assert len(digits) == 12 and (sum(digits[0:11:2]) * 3 + sum(digits[1:11:2]) + digits[11]) % 10 == 0
            assert data["sku"]
            checked += 1
    assert checked > 150


def test_locations_presence_overrides_untracked_archived_and_used_copies(server, http, catalog):
    locations = http.get(f"{server.base_url}/v2/locations", timeout=30).json()
    validate(locations, "ListLocationsResponse")
    assert [loc["id"] for loc in locations["locations"]] == [LOCATION, SELLER_WAREHOUSE_ID, SELLER_POPUP_ID]
    assert locations["locations"][0]["name"] == "Sandbox Records"
    items = _by_type(catalog, "ITEM")
    warehouse_only = [i for i in items if i.get("present_at_all_locations") is False
                      and i.get("present_at_location_ids") == [SELLER_WAREHOUSE_ID]]
    assert warehouse_only and any(LOCATION in i.get("absent_at_location_ids", []) for i in items)
    assert any(i["item_data"].get("is_archived") for i in items)
    variations = [v for i in items for v in i["item_data"]["variations"]]
    assert any(o["location_id"] == LOCATION and o.get("price_money")
               for v in variations for o in v["item_variation_data"].get("location_overrides", []))
    untracked = [v for v in variations if v["item_variation_data"].get("track_inventory") is False]
    used = [v for v in variations if v["item_variation_data"]["name"].endswith("Used")]
    assert used and all(set(v["custom_attribute_values"]) == {"Square:media_grade", "Square:sleeve_grade"}
                        for v in used)
    # Stock is counted at all three locations; the warehouse-only records only at the warehouse.
    response = http.post(f"{server.base_url}/v2/inventory/counts/batch-retrieve", timeout=30,
                         json={"location_ids": [SELLER_WAREHOUSE_ID, SELLER_POPUP_ID], "limit": 1000})
    assert response.status_code == 200
    validate(response.json(), "BatchRetrieveInventoryCountsResponse")
    elsewhere = {(c["catalog_object_id"], c["location_id"]) for c in response.json()["counts"]}
    assert {loc for _, loc in elsewhere} == {SELLER_WAREHOUSE_ID, SELLER_POPUP_ID}
    stocked = {v["id"] for i in warehouse_only for v in i["item_data"]["variations"]}
    assert {(v, SELLER_WAREHOUSE_ID) for v in stocked} <= elsewhere
    response = http.post(f"{server.base_url}/v2/inventory/counts/batch-retrieve", timeout=30,
                         json={"catalog_object_ids": sorted(stocked | {v["id"] for v in untracked}),
                               "location_ids": [LOCATION]})
    assert response.status_code == 200 and response.json().get("counts", []) == []


def test_the_control_api_writes_items_in_the_seller_structure(server, http, catalog):
    created = control(http, server, "POST", "catalog/items", json={
        "artist": "Alice Coltrane", "title": "Journey in Satchidananda", "label": "Impulse!",
        "catalog_number": "AS-9203", "year": 1971, "categories": ["Jazz"], "stock": 2,
        "variations": [{"name": "LP", "amount": 3299}, {"name": "2xLP", "amount": 4599},
                       {"name": "LP", "amount": 1899, "condition": "Used"}]})["objects"]
    item_id = created[0]["id"]
    item = http.get(f"{server.base_url}/v2/catalog/object/{item_id}", timeout=30).json()
    validate(item, "RetrieveCatalogObjectResponse")
    data = item["object"]["item_data"]
    assert data["name"] == "Alice Coltrane - Journey in Satchidananda"
    assert [v["item_variation_data"]["name"] for v in data["variations"]] == ["LP, New", "2LP, New", "LP, Used"]
    assert all(len(v["item_variation_data"]["item_option_values"]) == 2 for v in data["variations"])
    attributes = item["object"]["custom_attribute_values"]
    assert set(attributes) == {"Square:record_label", "Square:catalog_no", "Square:release_year"}
    assert attributes["Square:release_year"]["number_value"] == "1971"
    assert not set(LEGACY_KEYS) & set(json.dumps(item["object"]).split('"'))

    updated = control(http, server, "PATCH", f"catalog/{item_id}",
                      json={"title": "Ptah, the El Daoud", "format": "CD", "label": "Impulse! Records"})["objects"]
    after = updated[0]
    assert after["item_data"]["name"] == "Alice Coltrane - Ptah, the El Daoud"
    assert after["item_data"]["variations"][0]["item_variation_data"]["name"] == "CD, New"
    assert after["custom_attribute_values"]["Square:record_label"]["string_value"] == "Impulse! Records"
    validate(http.get(f"{server.base_url}/v2/catalog/object/{item_id}", timeout=30).json(),
             "RetrieveCatalogObjectResponse")


def test_the_shape_is_deterministic_per_seed_and_scales():
    first, second = generate_catalog(80, 5, shape="seller"), generate_catalog(80, 5, shape="seller")
    assert json.dumps(first.objects) == json.dumps(second.objects)
    assert (first.stock, first.other_stock) == (second.stock, second.other_stock)
    assert json.dumps(generate_catalog(80, 6, shape="seller").objects) != json.dumps(first.objects)
    big = generate_catalog(2_500, 5, shape="seller")  # past the first thousand items
    assert sum(o["type"] == "ITEM" for o in big.objects) == 2_500 + 3 + 5
    with pytest.raises(ValueError):
        generate_catalog(10, 5, shape="nope")


def test_the_legacy_shape_is_unchanged():
    legacy = generate_catalog(50, 7)
    assert hashlib.sha256(json.dumps(legacy.objects).encode()).hexdigest() == LEGACY_50_7_OBJECTS
    both = json.dumps({"objects": legacy.objects, "stock": legacy.stock}, sort_keys=True)
    assert hashlib.sha256(both.encode()).hexdigest() == LEGACY_50_7_WITH_STOCK
    assert legacy.other_stock == {}
    assert json.dumps(generate_catalog(50, 7, shape="legacy").objects) == json.dumps(legacy.objects)


def test_reset_switches_shapes_and_refuses_unknown_ones(server, http):
    try:
        control(http, server, "POST", "reset", json={"items": 20, "seed": 1, "shape": "legacy"})
        locations = http.get(f"{server.base_url}/v2/locations", timeout=30).json()["locations"]
        assert [loc["id"] for loc in locations] == [LOCATION]
        response = http.post(f"{server.base_url}/_sandbox/reset", json={"items": 20, "shape": "nope"}, timeout=30)
        assert response.status_code == 400
    finally:
        control(http, server, "POST", "reset", json={"items": ITEMS, "seed": SEED, "shape": "seller"})


def test_demo_copy_fits_the_format(catalog):
    """A release only on CD or cassette is never "pressed on vinyl"."""
    vinyl = ("LP", "2LP", '7"', '12"')
    checked = 0
    for item in _by_type(catalog, "ITEM"):
        names = {v["item_variation_data"]["name"].split(",")[0] for v in item["item_data"]["variations"]}
        if names & {"CD", "Cassette"} and not names & set(vinyl):
            checked += 1
            assert "vinyl" not in item["item_data"].get("description", "").lower(), item["item_data"]["name"]
    assert checked >= 5


def test_the_seller_shape_scales_to_a_large_catalog():
    catalog = generate_catalog(3000, 9, shape="seller")
    items = [o for o in catalog.objects if o["type"] == "ITEM"]
    assert len(items) >= 3000 and len({o["id"] for o in catalog.objects}) == len(catalog.objects)
