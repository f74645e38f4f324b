"""Syncing catalogs shaped as Square sellers really keep them, written into the sandbox through its
Square catalog-write endpoints (or generated in the seller shape), each mapped by the detected or
a staff-chosen mapping:

1. the demo in the seller shape — item options, the seller's custom attributes, nested categories,
   several locations, untracked merch, archived and absent items, a used copy with grades;
2. a "name only" catalog — "Artist - Title" names, categories as genres, formats as variation
   names, nothing else;
3. a catalog built from the examples in Square's OpenAPI document (Tea, Coffee, Cocoa, a wine with
   Brand / Varietal / Vintage attributes), mapped by staff through the API.

Over real HTTP against the sandbox; on SQLite and (in the PostgreSQL pass) PostgreSQL.
"""

from __future__ import annotations

import copy

from sqlalchemy import select

from storefront.catalog.models import Genre, Item, ItemGenre, ItemVariation
from storefront.catalog.stock import UNTRACKED_STOCK
from storefront.ecs.sandbox.demo_seller import WAREHOUSE_ID
from storefront.extensions import db
from storefront.sync.models import CatalogMapping
from tests.support.accounts import bearer, make_staff
from tests.support.catalog_writes import set_stock, write_catalog
from tests.support.ecs import SANDBOX_TOKEN, ecs_config
from tests.support.square_schema import example
from tests.support.sync import run_sync
from tests.support.sync import wait_for_remap as _wait_for_remap

LOCATION = "LSANDBOXMAIN1"


def _records(app) -> dict[str, Item]:
    with app.app_context():
        rows = db.session.scalars(select(Item).where(Item.is_deleted.is_(False))).all()
        db.session.expunge_all()
        return {item.name: item for item in rows}


def _genres(app, item_id: int) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(select(Genre.name).join(ItemGenre).where(ItemGenre.item_id == item_id)))


def _sandbox_objects(sandbox) -> list[dict]:
    response = sandbox.http.post(f"{sandbox.base_url}/v2/catalog/search", timeout=60,
                                 headers={"Authorization": f"Bearer {SANDBOX_TOKEN}"},
                                 json={"object_types": ["ITEM"], "limit": 1000})
    assert response.status_code == 200, response.text
    return response.json()["objects"]


# --- 1. the demo in the seller shape --------------------------------------------------------------

def test_the_seller_shaped_demo_maps_by_detection_and_sells_only_what_the_shop_can(make_app, sandbox):
    sandbox.reset(items=120, shape="seller")
    app = make_app(**ecs_config(sandbox))
    with app.app_context():
        assert run_sync().status == "succeeded"
        mapping = db.session.get(CatalogMapping, 1).config
    assert mapping["preset"] == "detected"
    assert mapping["fields"]["format"] == [{"source": "option", "name": "Format"}]
    assert mapping["fields"]["label"] == [{"source": "attribute", "name": "Record label"}]
    assert mapping["fields"]["artist"] == [{"source": "name", "pattern": "{artist} - {title}"}]

    listed = _records(app)
    upstream = {o["item_data"]["name"]: o for o in _sandbox_objects(sandbox)}
    records = [i for i in listed.values() if i.kind == "record" and " - " in i.name]
    assert len(records) > 80
    for item in records:
        obj = upstream[item.name]
        artist, title = item.name.split(" - ", 1)
        assert (item.artist, item.title) == (artist, title)
        attrs = {v["name"]: v for v in obj.get("custom_attribute_values", {}).values()}
        assert item.label == attrs["Record label"]["string_value"]
        assert item.catalog_number == attrs["Catalog no."]["string_value"]
        assert item.year == int(attrs["Release year"]["number_value"])
        assert item.format in ("LP", "2LP", "CD", "Cassette", '7"', '12"', "Box set")
        assert len(item.barcode) == 12 and item.barcode.isdigit()
        assert _genres(app, item.id) and "Music" not in _genres(app, item.id)  # the sub-category, not the root
    graded = [i for i in records if i.media_grade]
    assert graded and all(i.media_grade in ("NM", "VG+", "VG", "G+") for i in graded)
    # Each variation is a copy: new ones say so, a used one carries its own grades, shown and served.
    with app.app_context():
        copies = db.session.execute(select(ItemVariation.item_id, ItemVariation.name, ItemVariation.condition,
                                           ItemVariation.media_grade, ItemVariation.sleeve_grade)
                                    .where(ItemVariation.item_id.in_([i.id for i in records]))).all()
    assert {c.condition for c in copies if c.name.endswith("New")} == {"new"}
    used = [c for c in copies if c.name.endswith("Used")]
    assert used and all(c.condition == "used" and c.media_grade and c.sleeve_grade for c in used)
    client = app.test_client()
    page = client.get(f"/catalog/{used[0].item_id}").get_data(as_text=True)
    assert f"Media {used[0].media_grade} · Sleeve {used[0].sleeve_grade}" in page
    api = client.get(f"/api/v1/products/{used[0].item_id}").get_json()["product"]
    used_json = next(v for v in api["variations"] if v["name"].endswith("Used"))
    assert (used_json["condition"], used_json["media_grade"]) == ("used", used[0].media_grade)

    # Not for sale at the shop: only at the warehouse, absent here, or archived — none is listed.
    hidden = [o for o in upstream.values()
              if o["item_data"].get("is_archived") or LOCATION in (o.get("absent_at_location_ids") or [])
              or (not o.get("present_at_all_locations", True) and WAREHOUSE_ID in o.get("present_at_location_ids", []))]
    assert hidden and not any(o["item_data"]["name"] in listed for o in hidden)

    # Merch Square does not count is always available; a shop price override is the price.
    merch = listed["Groove Cellar tote bag"]
    assert merch.stock == UNTRACKED_STOCK
    overridden = {v["id"]: o["price_money"]["amount"]
                  for item in upstream.values() if item["item_data"]["name"] in listed
                  for v in item["item_data"]["variations"]
                  for o in v["item_variation_data"].get("location_overrides") or []
                  if o.get("location_id") == LOCATION and o.get("price_money")}
    assert overridden
    with app.app_context():
        stored = dict(db.session.execute(select(ItemVariation.ecs_id, ItemVariation.price_amount)
                                          .where(ItemVariation.ecs_id.in_(overridden))).all())
    assert stored == overridden


def _retrieve(sandbox, object_id: str) -> dict:
    response = sandbox.http.get(f"{sandbox.base_url}/v2/catalog/object/{object_id}", timeout=30,
                                headers={"Authorization": f"Bearer {SANDBOX_TOKEN}"})
    assert response.status_code == 200, response.text
    return response.json()["object"]


# --- 2. a "name only" catalog --------------------------------------------------------------------

NAME_ONLY = [
    {"type": "CATEGORY", "id": "#jazz", "category_data": {"name": "Jazz"}},
    {"type": "CATEGORY", "id": "#dub", "category_data": {"name": "Dub"}},
    *({"type": "ITEM", "id": f"#r{n}", "item_data": {
        "name": name, "categories": [{"id": category}], "variations": [
            {"type": "ITEM_VARIATION", "id": f"#r{n}-{fmt}", "item_variation_data": {
                "name": fmt, "pricing_type": "FIXED_PRICING", "price_money": {"amount": price, "currency": "USD"},
                **extra}} for fmt, price, extra in formats]}}
      for n, (name, category, formats) in enumerate([
          ("Alice Coltrane - Journey in Satchidananda", "#jazz", [("LP", 3299, {}), ("CD", 1499, {})]),
          ("King Tubby - Dub From the Roots", "#dub", [("LP", 2499, {})]),
          ("Augustus Pablo - King Tubbys Meets Rockers Uptown", "#dub", [("LP", 2799, {})]),
          ("Pharoah Sanders - Karma", "#jazz", [("LP", 2999, {})]),
      ])),
]


def test_a_name_only_catalog_maps_artist_title_format_and_genres(make_app, sandbox):
    sandbox.reset(items=0)
    ids = write_catalog(sandbox.base_url, SANDBOX_TOKEN, copy.deepcopy(NAME_ONLY))
    set_stock(sandbox.base_url, SANDBOX_TOKEN, LOCATION, {ids[k]: 3 for k in ids if k.startswith("#r") and "-" in k})
    # Three copies counted, and the seller marks the record sold out at the shop by hand (an update:
    # the item's and its variation's current versions go with it).
    karma = _retrieve(sandbox, ids["#r3"])
    variation = karma["item_data"]["variations"][0]
    variation["item_variation_data"]["location_overrides"] = [{"location_id": LOCATION, "sold_out": True}]
    write_catalog(sandbox.base_url, SANDBOX_TOKEN, [karma])
    app = make_app(**ecs_config(sandbox))
    with app.app_context():
        assert run_sync().status == "succeeded"
        assert db.session.get(CatalogMapping, 1).config["fields"]["format"] == [{"source": "variation_name"}]
    listed = _records(app)
    alice = listed["Alice Coltrane - Journey in Satchidananda"]
    assert (alice.artist, alice.title, alice.format) == ("Alice Coltrane", "Journey in Satchidananda", "LP")
    assert _genres(app, alice.id) == {"Jazz"}
    assert alice.stock == 6
    # Marked sold out at the shop by hand with three copies counted: listed, not for sale.
    karma = listed["Pharoah Sanders - Karma"]
    assert karma.stock == 0
    client = app.test_client()
    with app.app_context():
        variation_id = db.session.scalar(select(ItemVariation.id).where(ItemVariation.item_id == karma.id))
    cart = client.post("/api/v1/cart").get_json()["cart_token"]
    refused = client.post("/api/v1/cart/items", json={"variation_id": variation_id, "quantity": 1},
                          headers={"X-Cart-Token": cart})
    assert refused.status_code == 422 and "sold out" in refused.get_json()["error"]["message"]
    page = client.get(f"/catalog/{karma.id}")
    assert page.status_code == 200 and "Sold out" in page.get_data(as_text=True)


# --- 3. a catalog from the examples in Square's OpenAPI document ---------------------------------

def _openapi_catalog() -> list[dict]:
    objects = example("BatchUpsertCatalogObjectsRequest")["batches"][0]["objects"]  # Tea, Coffee, Beverages, tax
    objects.append(example("UpsertCatalogObjectRequest")["object"])  # Cocoa: one variable-price variation
    wine = example("SearchCatalogItemsResponse")["items"][0]
    definitions = {"BRAND_DEFINITION_ID": ("#brand", "Brand", "STRING"),
                   "VARIETAL_DEFINITION_ID": ("#varietal", "Varietal", "SELECTION"),
                   "EI7IJQDUKYSHULREPIPH6HNU": ("#vintage", "Vintage", "NUMBER")}
    for _old, (new_id, name, kind) in definitions.items():
        data = {"type": kind, "name": name, "key": name.upper(), "allowed_object_types": ["ITEM"]}
        if kind == "SELECTION":
            data["selection_config"] = {"max_allowed_selections": 1, "allowed_selections": [
                {"uid": "MERLOT_SELECTION_ID", "name": "Merlot"}]}
        objects.append({"type": "CUSTOM_ATTRIBUTE_DEFINITION", "id": new_id, "custom_attribute_definition_data": data})
    values = {}
    for key, value in wine["custom_attribute_values"].items():
        new_id = definitions[value["custom_attribute_definition_id"]][0]
        value = {**value, "custom_attribute_definition_id": new_id}
        if value.get("selection_uid_values"):
            value["selection_uid_values"] = [u for u in value["selection_uid_values"] if u]
        if "number_value" in value:
            value["number_value"] = str(value["number_value"])
        values[key] = value
    variation = wine["item_data"]["variations"][0]
    objects.append({"type": "ITEM", "id": "#wine", "custom_attribute_values": values, "item_data": {
        "name": wine["item_data"]["name"], "description": wine["item_data"]["description"], "variations": [
            {"type": "ITEM_VARIATION", "id": "#wine-750", "item_variation_data": {
                k: v for k, v in variation["item_variation_data"].items() if k != "item_id"}}]}})
    return objects


def test_a_catalog_from_squares_own_examples_syncs_and_staff_map_its_attributes(make_app, sandbox):
    sandbox.reset(items=0)
    ids = write_catalog(sandbox.base_url, SANDBOX_TOKEN, _openapi_catalog())
    assert {"#Tea", "#Coffee", "#Cocoa", "#wine", "#Beverages", "#varietal"} <= set(ids)
    app = make_app(**ecs_config(sandbox))
    with app.app_context():
        run = run_sync()
        assert run.status == "succeeded" and run.failures_count == 0, run.failures
    listed = _records(app)
    assert {"Tea", "Coffee", "Cocoa", "Dark Horse Merlot 2018"} <= set(listed)
    tea = listed["Tea"]
    assert (tea.artist, tea.title, tea.price_amount) == ("", "Tea", 150) and _genres(app, tea.id) == {"Beverages"}
    assert listed["Cocoa"].price_amount == 400  # the variable-price variation has no price to list

    admin = bearer(app, make_staff(app, "owner@example.com", role="admin"))
    mapping = {"fields": {"label": [{"source": "attribute", "name": "Brand"}],
                          "year": [{"source": "attribute", "name": "Vintage"}],
                          "format": [{"source": "attribute", "name": "varietal"}]}}
    client = app.test_client()
    preview = client.post("/api/v1/staff/catalog-mapping/preview", json=mapping, headers=admin).get_json()["items"]
    wine_row = next(r for r in preview if r["name"] == "Dark Horse Merlot 2018")
    assert (wine_row["label"], wine_row["year"], wine_row["format"]) == ("Dark Horse", "2018", "Merlot")
    assert client.put("/api/v1/staff/catalog-mapping", json=mapping, headers=admin).status_code == 200
    assert _wait_for_remap(app).status == "succeeded"
    wine = _records(app)["Dark Horse Merlot 2018"]
    assert (wine.label, wine.year, wine.format) == ("Dark Horse", 2018, "Merlot")
