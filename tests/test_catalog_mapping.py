"""The catalog field mapping: sources, validation, detection, and staff choosing one (page and API),
previewing it and saving it, which re-maps the stored catalog without a download."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.audit.models import AuditEntry
from storefront.catalog.models import Item
from storefront.extensions import db
from storefront.sync.fields import (
    PRESETS,
    CatalogContext,
    FieldMapping,
    Mapper,
    MappingConfigError,
    Source,
    compile_pattern,
    detect,
)
from storefront.sync.mapping import parse_item
from storefront.sync.models import CatalogMapping
from storefront.sync.runner import execute_run
from storefront.sync.services import create_run
from tests.support.accounts import bearer, login, make_staff
from tests.support.ecs import ecs_config
from tests.support.pages import csrf_token, soup
from tests.support.sync import wait_for_remap as _wait_for_remap

# --- a small catalog shaped like a real seller's ------------------------------------------------

FORMAT, CONDITION = "OPT-FORMAT", "OPT-CONDITION"
LABEL_DEF, YEAR_DEF, GRADE_DEF = "DEF-LABEL", "DEF-YEAR", "DEF-GRADE"
MUSIC, JAZZ, EVENTS = "CAT-MUSIC", "CAT-JAZZ", "CAT-EVENTS"


def _option(option_id: str, name: str, values: list[str]) -> dict:
    return {"type": "ITEM_OPTION", "id": option_id, "version": 1, "item_option_data": {
        "name": name, "values": [{"type": "ITEM_OPTION_VAL", "id": f"{option_id}-{v}",
                                  "item_option_value_data": {"item_option_id": option_id, "name": v}}
                                 for v in values]}}


def _definition(def_id: str, name: str, kind: str, selections: list[str] | None = None) -> dict:
    data = {"name": name, "type": kind, "key": def_id.lower(), "allowed_object_types": ["ITEM", "ITEM_VARIATION"]}
    if selections:
        data["selection_config"] = {"max_allowed_selections": 1, "allowed_selections": [
            {"uid": f"{def_id}-{s}", "name": s} for s in selections]}
    return {"type": "CUSTOM_ATTRIBUTE_DEFINITION", "id": def_id, "version": 1,
            "custom_attribute_definition_data": data}


def _category(category_id: str, name: str, parent: str | None = None) -> dict:
    data: dict = {"name": name, "is_top_level": parent is None}
    if parent:
        data["parent_category"] = {"id": parent}
        data["root_category"] = parent
    return {"type": "CATEGORY", "id": category_id, "version": 1, "category_data": data}


REFERENCES = [
    _option(FORMAT, "Format", ["LP", "CD"]), _option(CONDITION, "Condition", ["New", "Used"]),
    _definition(LABEL_DEF, "Record label", "STRING"), _definition(YEAR_DEF, "Release year", "NUMBER"),
    _definition(GRADE_DEF, "Media grade", "SELECTION", ["NM", "VG+"]),
    _category(MUSIC, "Music"), _category(JAZZ, "Jazz", MUSIC), _category(EVENTS, "Events"),
]


def _record(item_id: str, name: str, *, label: str = "Blue Note", year: float = 1964, graded: bool = False) -> dict:
    used = {"custom_attribute_values": {"media_grade": {
        "custom_attribute_definition_id": GRADE_DEF, "key": "def-grade", "name": "Media grade", "type": "SELECTION",
        "selection_uid_values": [f"{GRADE_DEF}-VG+"]}}} if graded else {}
    return {"type": "ITEM", "id": item_id, "version": 5, "custom_attribute_values": {
        "Square:1": {"custom_attribute_definition_id": LABEL_DEF, "key": "def-label", "name": "Record label",
                     "type": "STRING", "string_value": label},
        "Square:2": {"custom_attribute_definition_id": YEAR_DEF, "key": "def-year", "name": "Release year",
                     "type": "NUMBER", "number_value": str(year)}}, "item_data": {
        "name": name, "categories": [{"id": JAZZ}], "reporting_category": {"id": JAZZ},
        "item_options": [{"item_option_id": FORMAT}, {"item_option_id": CONDITION}],
        "variations": [
            {"type": "ITEM_VARIATION", "id": f"{item_id}-V1", "version": 5, **used, "item_variation_data": {
                "item_id": item_id, "name": "LP, Used" if graded else "LP, New", "ordinal": 1,
                "upc": "012345678905", "sku": "BN-4195",
                "price_money": {"amount": 2999, "currency": "USD"},
                "item_option_values": [{"item_option_id": FORMAT, "item_option_value_id": f"{FORMAT}-LP"},
                                       {"item_option_id": CONDITION,
                                        "item_option_value_id": f"{CONDITION}-{'Used' if graded else 'New'}"}]}}]}}


def _context() -> CatalogContext:
    return CatalogContext.from_objects(REFERENCES)


SELLER = FieldMapping(fields={
    "artist": (Source("name", pattern="{artist} - {title}"),),
    "title": (Source("name", pattern="{artist} - {title}"),),
    "label": (Source("attribute", "Record label"),),
    "format": (Source("option", "Format"),),
    "year": (Source("attribute", "release year"),),
    "barcode": (Source("upc"),),
    "media_grade": (Source("attribute", "Media grade"),),
    "catalog_number": (Source("sku"),),
}, genre="categories")


# --- sources --------------------------------------------------------------------------------------

def test_each_source_reads_what_a_seller_keeps_there():
    values = parse_item(_record("I1", "Wayne Shorter - Speak No Evil", graded=True), None, Mapper(SELLER, _context()))
    assert (values.artist, values.title) == ("Wayne Shorter", "Speak No Evil")
    assert (values.label, values.year, values.format) == ("Blue Note", 1964, "LP")  # NUMBER "1964.0" → 1964
    assert (values.barcode, values.catalog_number) == ("012345678905", "BN-4195")
    assert values.media_grade == "VG+"  # SELECTION on the variation, resolved to the selection's name
    assert values.category_ids == (JAZZ,) and values.kind == "record"


def test_category_sources_and_genres_follow_the_hierarchy():
    mapping = FieldMapping(fields={"format": (Source("category"),), "label": (Source("root_category"),)},
                           genre="root_category")
    values = parse_item(_record("I1", "A - B"), None, Mapper(mapping, _context()))
    assert (values.format, values.label) == ("Jazz", "Music")
    assert values.category_ids == (MUSIC,)
    event = _record("E1", "Jazz night")
    event["item_data"]["categories"] = [{"id": EVENTS}]
    event["item_data"]["reporting_category"] = {"id": EVENTS}
    assert parse_item(event, None, Mapper(SELLER, _context())).kind == "event"


def test_a_name_that_does_not_match_the_pattern_leaves_artist_empty_and_title_the_name():
    values = parse_item(_record("I1", "Speak No Evil"), None, Mapper(SELLER, _context()))
    assert (values.artist, values.title) == ("", "Speak No Evil")


def test_the_first_source_with_a_value_wins():
    mapping = FieldMapping(fields={"label": (Source("attribute", "Publisher"), Source("attribute", "Record label"))})
    assert parse_item(_record("I1", "A - B"), None, Mapper(mapping, _context())).label == "Blue Note"


def test_patterns_split_on_the_first_separator_for_the_first_field():
    regex = compile_pattern("{artist} - {title}")
    assert regex.fullmatch("Sun Ra - Space Is the Place - Live").groupdict() == {
        "artist": "Sun Ra", "title": "Space Is the Place - Live"}
    assert compile_pattern("{title} / {artist}").fullmatch("Blue Train / John Coltrane")["artist"] == "John Coltrane"


@pytest.mark.parametrize("raw, field", [
    ({"fields": {"artist": [{"source": "telepathy"}]}}, "artist"),
    ({"fields": {"label": [{"source": "attribute"}]}}, "label"),
    ({"fields": {"artist": [{"source": "name", "pattern": "{title}"}]}}, "artist"),
    ({"fields": {"artist": [{"source": "name", "pattern": "{artist} {mood}"}]}}, "artist"),
    ({"fields": {"colour": [{"source": "upc"}]}}, "colour"),
    ({"fields": {"title": [{"source": "upc"}] * 4}}, "title"),
    ({"fields": {}, "genre": "astrology"}, "genre"),
    ("not an object", "mapping"),
])
def test_a_bad_mapping_is_refused_field_by_field(raw, field):
    with pytest.raises(MappingConfigError) as caught:
        FieldMapping.from_json(raw)
    assert field in [f for f, _m in caught.value.problems]


def test_a_mapping_survives_its_json():
    assert FieldMapping.from_json(SELLER.to_json()).to_json() == SELLER.to_json()
    for _text, preset in PRESETS.values():
        assert FieldMapping.from_json(preset.to_json()) == preset


# --- detection ------------------------------------------------------------------------------------

def test_detection_reads_option_and_attribute_names_and_the_name_pattern():
    sample = [_record(f"I{n}", f"Artist {n} - Title {n}", graded=n == 4) for n in range(5)]
    detected = detect(_context(), sample)
    values = parse_item(sample[0], None, Mapper(detected, _context()))
    assert (values.artist, values.title, values.label, values.format, values.year, values.barcode) == (
        "Artist 0", "Title 0", "Blue Note", "LP", 1964, "012345678905")
    assert detected.fields["media_grade"] == (Source("attribute", "Media grade"),)
    assert "Condition" not in str(detected.to_json())  # New/Used is not a grade
    # A definition no sampled item uses (a catalog keeps old ones) is not proposed.
    assert "Media grade" not in str(detect(_context(), sample[:4]).to_json())


def test_detection_picks_the_storefront_keys_preset_for_such_catalogs():
    legacy = {"type": "ITEM", "id": "L1", "item_data": {"name": "X — Y"}, "custom_attribute_values": {
        "artist": {"key": "artist", "string_value": "X"}, "title": {"key": "title", "string_value": "Y"}}}
    assert detect(CatalogContext(), [legacy]).preset == "storefront-keys"


def test_detection_with_nothing_to_go_on_maps_the_title_only():
    plain = [{"type": "ITEM", "id": f"P{n}", "item_data": {"name": f"Thing {n}", "variations": []}} for n in range(3)]
    detected = detect(CatalogContext(), plain)
    assert "artist" not in detected.fields


# --- staff: API and page, over the sandbox's catalog ----------------------------------------------

def _synced(make_app, sandbox):
    app = make_app(**ecs_config(sandbox), JOBS_MODE="thread")
    with app.app_context():
        run = execute_run(create_run("full").id)
        assert run.status == "succeeded", run.message
    return app


def _items(app) -> list[tuple[str, str, str, str]]:
    with app.app_context():
        return [tuple(r) for r in db.session.execute(
            select(Item.name, Item.artist, Item.title, Item.label).where(Item.kind == "record").order_by(Item.id))]


def test_the_first_sync_detects_and_saves_a_mapping(make_app, sandbox):
    app = _synced(make_app, sandbox)
    with app.app_context():
        saved = db.session.get(CatalogMapping, 1)
        assert saved.config["preset"] == "storefront-keys" and saved.updated_by == "detected on the first sync"
        assert db.session.scalar(select(Item.ecs_object).limit(1)).startswith('{"type":"ITEM"')
    assert all(artist and label for _n, artist, _t, label in _items(app))


def test_staff_read_preview_and_save_a_mapping_over_the_api_and_the_catalog_is_remapped(make_app, sandbox):
    app = _synced(make_app, sandbox)
    before = _items(app)
    client = app.test_client()
    staff_headers = bearer(app, make_staff(app, "clerk@example.com"))
    admin_headers = bearer(app, make_staff(app, "owner@example.com", role="admin"))

    overview = client.get("/api/v1/staff/catalog-mapping", headers=staff_headers)
    assert overview.status_code == 200
    body = overview.get_json()
    assert body["saved"] is True and body["mapping"]["preset"] == "storefront-keys"
    assert {"storefront-keys", "name-only"} <= set(body["presets"]) and "option" in body["sources"]

    # Title from the name only: "Artist — Title" stays whole; nothing else is read.
    proposed = {"fields": {"title": [{"source": "description"}]}, "genre": "none"}
    preview = client.post("/api/v1/staff/catalog-mapping/preview", json=proposed, headers=staff_headers)
    assert preview.status_code == 200
    rows = preview.get_json()["items"]
    assert len(rows) == 20 and all(r["artist"] == "" and r["genres"] == [] for r in rows)
    assert _items(app) == before  # a preview changes nothing

    assert client.put("/api/v1/staff/catalog-mapping", json=proposed, headers=staff_headers).status_code == 403
    bad = client.put("/api/v1/staff/catalog-mapping", json={"fields": {"artist": [{"source": "nope"}]}},
                     headers=admin_headers)
    assert bad.status_code == 422 and bad.get_json()["error"]["details"][0]["field"] == "artist"
    with app.app_context():
        assert db.session.get(CatalogMapping, 1).config["preset"] == "storefront-keys"

    saved = client.put("/api/v1/staff/catalog-mapping", json={**proposed, "preset": "custom"}, headers=admin_headers)
    assert saved.status_code == 200 and saved.get_json()["remap_run"]["kind"] == "remap"
    run = _wait_for_remap(app)
    assert run.status == "succeeded" and run.items_seen == len(before) + _events(app)
    after = _items(app)
    assert all(artist == "" and label == "" for _n, artist, _t, label in after)
    with app.app_context():
        assert db.session.scalar(select(AuditEntry.actor_label).where(AuditEntry.action == "catalog_mapping.save")) \
            == "owner@example.com"

    # Back to the preset: every field comes back, from the stored objects alone.
    sandbox.control("POST", "faults", json={"rules": [{"path_prefix": "/v2/catalog", "kind": "server_error"}]})
    restored = client.put("/api/v1/staff/catalog-mapping", json=PRESETS["storefront-keys"][1].to_json(),
                          headers=admin_headers)
    assert restored.status_code == 200
    assert _wait_for_remap(app).status == "succeeded"
    assert _items(app) == before


def _events(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(Item.id).where(Item.kind == "event")).all())


def test_staff_page_previews_and_saves_with_errors_shown_in_place(make_app, sandbox):
    app = _synced(make_app, sandbox)
    admin = make_staff(app, "owner@example.com", role="admin")
    client = app.test_client()
    login(client, admin)
    page = client.get("/staff/catalog-mapping/")
    assert page.status_code == 200
    html = soup(page)
    assert html.find("select", {"name": "artist-0-source"}).find("option", selected=True)["value"] == "attribute"
    token = csrf_token(client, "/staff/catalog-mapping/")
    form = {"csrf_token": token, "genre": "categories", "artist-0-source": "name",
            "artist-0-pattern": "{artist} — {title}", "title-0-source": "name", "title-0-pattern": "{artist} — {title}"}
    preview = client.post("/staff/catalog-mapping/preview", data=form, headers={"HX-Request": "true"})
    assert preview.status_code == 200
    cells = soup(preview).select("table.mapping-preview tbody tr")
    assert len(cells) == 20 and all(row.find_all("td")[1].text != "—" for row in cells)

    bad = client.post("/staff/catalog-mapping/", data={**form, "label-0-source": "attribute"})
    assert bad.status_code == 422
    error = soup(bad).select_one("tr.has-error .field-error")
    assert error is not None and "attribute" in error.text.lower()

    saved = client.post("/staff/catalog-mapping/", data=form)
    assert saved.status_code == 303 and "/staff/sync/runs/" in saved.headers["Location"]
    assert _wait_for_remap(app).status == "succeeded"
    assert all(label == "" and artist for _n, artist, _t, label in _items(app))

    clerk = app.test_client()
    login(clerk, make_staff(app, "clerk@example.com"))
    assert clerk.get("/staff/catalog-mapping/").status_code == 403
