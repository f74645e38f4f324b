"""The sandbox's demo catalog in the "seller" shape: what a record shop's Square catalog looks like,
valid against Square's OpenAPI document, with every reference resolving."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from storefront.ecs.sandbox.demo_catalog import generate_catalog
from storefront.ecs.sandbox.demo_seller import POPUP_ID, SELLER_DEFINITIONS, WAREHOUSE_ID, seller_shape
from tests.support.sandbox_http import control, sandbox_server
from tests.support.square_schema import validate

TOKEN = "seller-token"
LOCATION = "LSANDBOXMAIN1"


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    with sandbox_server(token=TOKEN, items=0, seed=3) as srv:
        yield srv


@pytest.fixture(scope="module")
def catalog(server: Any) -> list[dict[str, Any]]:
    """Every object of a 150-item seller-shaped demo, read through ListCatalog (each page validated)."""
    with requests.Session() as http:
        http.headers["Authorization"] = f"Bearer {TOKEN}"
        control(http, server, "POST", "reset", json={"items": 150, "seed": 3, "shape": "seller"})
        objects, cursor = [], None
        types = "ITEM,ITEM_VARIATION,CATEGORY,ITEM_OPTION,CUSTOM_ATTRIBUTE_DEFINITION,TAX,IMAGE"
        while True:
            response = http.get(f"{server.base_url}/v2/catalog/list",
                                params={"types": types, **({"cursor": cursor} if cursor else {})}, timeout=30)
            assert response.status_code == 200
            validate(response.json(), "ListCatalogResponse")
            objects += response.json().get("objects", [])
            cursor = response.json().get("cursor")
            if not cursor:
                break
        locations = http.get(f"{server.base_url}/v2/locations", timeout=30).json()
        validate(locations, "ListLocationsResponse")
        assert [loc["id"] for loc in locations["locations"]] == [LOCATION, WAREHOUSE_ID, POPUP_ID]
        control(http, server, "POST", "reset", json={"items": 0, "seed": 3, "shape": "legacy"})
    return objects


def _by_type(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [o for o in objects if o["type"] == kind]


def test_no_convenience_keys_anywhere(catalog):
    text = json.dumps(catalog)
    for key in ("artist", "title", "catalog_number", "format", "year"):
        assert f'"key": "{key}"' not in text and f'"{key}":' not in text, key
    items = [i for i in _by_type(catalog, "ITEM") if " - " in i["item_data"]["name"]]
    assert len(items) > 100


def test_options_definitions_categories_and_tax_all_resolve(catalog):
    options = {o["id"]: o for o in _by_type(catalog, "ITEM_OPTION")}
    assert {o["item_option_data"]["name"] for o in options.values()} == {"Format", "Condition"}
    values = {v["id"]: (o["id"], v["item_option_value_data"]["name"]) for o in options.values()
              for v in o["item_option_data"]["values"]}
    definitions = {d["id"]: d["custom_attribute_definition_data"]
                   for d in _by_type(catalog, "CUSTOM_ATTRIBUTE_DEFINITION")}
    assert {d["name"] for d in definitions.values()} == {name for _k, name, _t, _o, _s in SELLER_DEFINITIONS}
    categories = {c["id"]: c["category_data"] for c in _by_type(catalog, "CATEGORY")}
    roots = {cid for cid, c in categories.items() if c.get("is_top_level")}
    assert {categories[r]["name"] for r in roots} == {"Music", "Event Space", "Merch"}
    assert all(c["parent_category"]["id"] in roots for c in categories.values() if not c.get("is_top_level"))
    tax = {t["id"] for t in _by_type(catalog, "TAX")}
    used = 0
    for item in _by_type(catalog, "ITEM"):
        data = item["item_data"]
        assert all(c["id"] in categories for c in data.get("categories", []))
        assert set(data.get("tax_ids", [])) <= tax
        for holder in (item, *data["variations"]):
            for value in holder.get("custom_attribute_values", {}).values():
                definition = definitions[value["custom_attribute_definition_id"]]
                assert value["key"].startswith("Square:")
                if definition["type"] == "SELECTION":
                    allowed = {s["uid"] for s in definition["selection_config"]["allowed_selections"]}
                    assert set(value["selection_uid_values"]) <= allowed
        for variation in data["variations"]:
            refs = variation["item_variation_data"].get("item_option_values", [])
            for ref in refs:
                assert values[ref["item_option_value_id"]][0] == ref["item_option_id"]
            if refs:
                used += 1
                names = [values[r["item_option_value_id"]][1] for r in refs]
                assert variation["item_variation_data"]["name"] == ", ".join(names)  # as Square names them
    assert used > 100


def test_locations_presence_overrides_untracked_archived_and_used_copies(catalog):
    items = _by_type(catalog, "ITEM")
    assert any(i.get("present_at_all_locations") is False and i.get("present_at_location_ids") == [WAREHOUSE_ID]
               for i in items)
    assert any(LOCATION in i.get("absent_at_location_ids", []) for i in items)
    assert any(i["item_data"].get("is_archived") for i in items)
    variations = [v for i in items for v in i["item_data"]["variations"]]
    assert any(o.get("price_money") for v in variations for o in v["item_variation_data"].get("location_overrides", []))
    assert any(v["item_variation_data"].get("track_inventory") is False for v in variations)
    used = [v for v in variations if v["item_variation_data"]["name"].endswith("Used")]
    assert used and all(len(v["custom_attribute_values"]) == 2 for v in used)
    assert all(len(v["item_variation_data"]["upc"]) == 12 for v in variations if "upc" in v["item_variation_data"])


def test_the_shape_is_deterministic_per_seed_and_legacy_is_untouched():
    legacy = generate_catalog(40, 5)
    first = seller_shape(generate_catalog(40, 5), 5, LOCATION)
    second = seller_shape(generate_catalog(40, 5), 5, LOCATION)
    assert json.dumps(first.objects) == json.dumps(second.objects) and first.stock == second.stock
    assert json.dumps(generate_catalog(40, 5).objects) == json.dumps(legacy.objects)
    assert any(o.get("custom_attribute_values", {}).get("artist") for o in legacy.objects)  # legacy keeps its keys


def test_demo_copy_fits_the_format(catalog):
    """A release only on CD or cassette is never "pressed on vinyl"."""
    vinyl = ("LP", "2xLP", '7"', '12"')
    checked = 0
    for item in _by_type(catalog, "ITEM"):
        names = {v["item_variation_data"]["name"].split(",")[0] for v in item["item_data"]["variations"]}
        if names & {"CD", "Cassette"} and not names & set(vinyl):
            checked += 1
            assert "vinyl" not in item["item_data"].get("description", "").lower(), item["item_data"]["name"]
    assert checked >= 5


def test_the_seller_shape_scales_to_a_large_catalog():
    catalog = seller_shape(generate_catalog(3000, 9), 9, LOCATION)
    items = [o for o in catalog.objects if o["type"] == "ITEM"]
    assert len(items) >= 3000 and len({o["id"] for o in catalog.objects}) == len(catalog.objects)
