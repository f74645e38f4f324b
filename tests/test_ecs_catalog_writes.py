"""Square's catalog write endpoints in the ECS sandbox, over real HTTP.

UpsertCatalogObject, BatchUpsertCatalogObjects, DeleteCatalogObject and BatchDeleteCatalogObjects:
every well-formed request is validated against the spec's request schema and every answer (errors
included) against the operation's response schema; the storefront's client methods, the
``write_catalog`` test helper and an incremental sync are run against the same sandbox.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from storefront.catalog.models import Item
from storefront.ecs.client import SquareClient
from storefront.ecs.errors import ECSBadRequest
from storefront.extensions import db
from tests.support.catalog_writes import write_catalog
from tests.support.ecs import SANDBOX_TOKEN, ecs_config
from tests.support.sandbox_http import Receiver, control, sandbox_server, sandbox_session
from tests.support.square_schema import request_schema_name, response_schema_name, validate
from tests.support.sync import ecs_snapshot, local_snapshot, run_sync

TOKEN = "catalog-writes-token"
KEY = "catalog-writes-signature-key"
ITEMS = 12
SEED = 5


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    with sandbox_server(token=TOKEN, signature_key=KEY, items=ITEMS, seed=SEED) as srv:
        yield srv


@pytest.fixture
def http(server: Any) -> Iterator[requests.Session]:
    with sandbox_session(server, token=TOKEN, items=ITEMS, seed=SEED) as session:
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
    """Calls to the sandbox with both sides validated against Square's OpenAPI document."""

    def __init__(self, http: requests.Session, server: Any, receiver: Receiver | None = None) -> None:
        self.http, self.server, self.receiver = http, server, receiver

    def call(self, method: str, template: str, *, status: int = 200, body: dict[str, Any] | None = None,
             params: dict[str, str] | None = None, **path: str) -> dict[str, Any]:
        if body is not None and status == 200:
            validate(body, request_schema_name(method, template))
        response = self.http.request(method, f"{self.server.base_url}{template.format(**path)}", timeout=30,
                                     params=params, data=json.dumps(body) if body is not None else None,
                                     headers={"Content-Type": "application/json"})
        assert response.status_code == status, response.text
        answer = response.json()
        # VERSION_MISMATCH is what Square answers, but its published ErrorCode enum leaves it out:
        # the error is validated as the documented CONFLICT (see test_ecs_conformance).
        documented = {**answer, "errors": [{**e, "code": "CONFLICT"} if e.get("code") == "VERSION_MISMATCH" else e
                                           for e in answer["errors"]]} if "errors" in answer else answer
        validate(documented, response_schema_name(method, template))
        for error in documented.get("errors", []):
            validate(error, "Error")
        return answer

    def error(self, method: str, template: str, status: int = 400, **kwargs: Any) -> dict[str, Any]:
        errors = self.call(method, template, status=status, **kwargs)["errors"]
        assert len(errors) == 1, errors
        assert errors[0]["category"] == "INVALID_REQUEST_ERROR"
        return errors[0]

    def upsert(self, obj: dict[str, Any], key: str | None = None) -> dict[str, Any]:
        return self.call("POST", "/v2/catalog/object", body={"idempotency_key": key or uuid.uuid4().hex, "object": obj})

    def batch(self, *batches: list[dict[str, Any]], key: str | None = None) -> dict[str, Any]:
        return self.call("POST", "/v2/catalog/batch-upsert", body={
            "idempotency_key": key or uuid.uuid4().hex, "batches": [{"objects": b} for b in batches]})

    def get(self, object_id: str, *, related: bool = False) -> dict[str, Any]:
        return self.call("GET", "/v2/catalog/object/{object_id}", object_id=object_id,
                         params={"include_related_objects": "true" if related else "false"})

    def search(self, **body: Any) -> dict[str, Any]:
        return self.call("POST", "/v2/catalog/search", body=body)

    def latest_time(self) -> str:
        return self.search(object_types=["ITEM"], limit=1)["latest_time"]

    def catalog_version(self) -> int:
        return control(self.http, self.server, "GET", "state/summary")["catalog_version"]

    def catalog_events(self) -> list[dict[str, Any]]:
        """The catalog.version.updated events delivered so far (after every delivery has settled)."""
        assert self.receiver is not None
        assert control(self.http, self.server, "POST", "webhooks/drain", json={"timeout": 10})["idle"]
        return [e for e in self.receiver.events() if e["type"] == "catalog.version.updated"]


@pytest.fixture
def sq(http: requests.Session, server: Any, receiver: Receiver) -> Square:
    return Square(http, server, receiver)


def ids_of(answer: dict[str, Any]) -> dict[str, str]:
    return {m["client_object_id"]: m["object_id"] for m in answer.get("id_mappings", [])}


def record_shop() -> list[dict[str, Any]]:
    """Every accepted object type, referring to one another only by temporary ids."""
    def definition(ref: str, kind: str, name: str, **extra: Any) -> dict[str, Any]:
        return {"type": "CUSTOM_ATTRIBUTE_DEFINITION", "id": ref, "custom_attribute_definition_data": {
            "type": kind, "name": name, "key": name.lower().replace(" ", "_"), "allowed_object_types": ["ITEM"],
            **extra}}

    return [
        {"type": "CATEGORY", "id": "#music", "category_data": {"name": "Music", "category_type": "REGULAR_CATEGORY"}},
        {"type": "CATEGORY", "id": "#jazz", "category_data": {"name": "Jazz", "parent_category": {"id": "#music"}}},
        {"type": "CATEGORY", "id": "#hardbop", "category_data": {"name": "Hard bop",
                                                                  "parent_category": {"id": "#jazz"}}},
        {"type": "ITEM_OPTION", "id": "#format", "item_option_data": {"name": "Format", "values": [
            {"type": "ITEM_OPTION_VAL", "id": "#lp", "item_option_value_data": {"name": "LP", "ordinal": 1}},
            {"type": "ITEM_OPTION_VAL", "id": "#cd", "item_option_value_data": {"name": "CD", "ordinal": 2}}]}},
        definition("#label", "STRING", "Record label"),
        definition("#year", "NUMBER", "Release year"),
        definition("#signed", "BOOLEAN", "Signed copy"),
        definition("#grade", "SELECTION", "Sleeve grade", selection_config={
            "max_allowed_selections": 1, "allowed_selections": [{"name": "Mint"}, {"name": "Very good"}]}),
        {"type": "TAX", "id": "#tax", "tax_data": {"name": "Sales tax", "percentage": "8.875",
                                                   "calculation_phase": "TAX_SUBTOTAL_PHASE",
                                                   "inclusion_type": "ADDITIVE", "enabled": True}},
        {"type": "IMAGE", "id": "#cover", "image_data": {"name": "Moanin' sleeve", "caption": "Front cover"}},
        {"type": "ITEM", "id": "#moanin", "custom_attribute_values": {
            "record_label": {"custom_attribute_definition_id": "#label", "type": "STRING", "string_value": "Blue Note"},
            "release_year": {"custom_attribute_definition_id": "#year", "type": "NUMBER", "number_value": "1959"},
            "signed_copy": {"custom_attribute_definition_id": "#signed", "type": "BOOLEAN", "boolean_value": False}},
         "item_data": {
             "name": "Art Blakey - Moanin'", "categories": [{"id": "#hardbop"}, {"id": "#jazz"}],
             "reporting_category": {"id": "#hardbop"}, "item_options": [{"item_option_id": "#format"}],
             "tax_ids": ["#tax"], "image_ids": ["#cover"],
             "variations": [
                 {"type": "ITEM_VARIATION", "id": f"#moanin-{fmt}", "item_variation_data": {
                     "item_id": "#moanin", "name": fmt.upper(), "pricing_type": "FIXED_PRICING",
                     "price_money": {"amount": price, "currency": "USD"}, "image_ids": ["#cover"],
                     "item_option_values": [{"item_option_id": "#format", "item_option_value_id": f"#{fmt}"}]}}
                 for fmt, price in (("lp", 3299), ("cd", 1499))]}},
    ]


# -- temporary ids ----------------------------------------------------------------------------------------
def test_batch_upsert_maps_temporary_ids_and_rewrites_every_reference(sq: Square) -> None:
    since, before = sq.latest_time(), sq.catalog_version()
    answer = sq.batch(record_shop())
    ids = ids_of(answer)
    assert set(ids) == {"#music", "#jazz", "#hardbop", "#format", "#lp", "#cd", "#label", "#year", "#signed",
                        "#grade", "#tax", "#cover", "#moanin", "#moanin-lp", "#moanin-cd"}
    assert len(set(ids.values())) == len(ids) and not any(v.startswith("#") for v in ids.values())
    assert not any(v.startswith("#") for v in json.dumps(answer["objects"]).split('"') if len(v) > 1)
    version = sq.catalog_version()
    assert version > before and {o["version"] for o in answer["objects"]} == {version}
    assert {o["updated_at"] for o in answer["objects"]} == {answer["updated_at"]}
    assert all(o["is_deleted"] is False for o in answer["objects"])

    item = sq.get(ids["#moanin"], related=True)
    data = item["object"]["item_data"]
    assert data["categories"] == [{"id": ids["#hardbop"]}, {"id": ids["#jazz"]}]
    assert data["reporting_category"] == {"id": ids["#hardbop"]}
    assert data["item_options"] == [{"item_option_id": ids["#format"]}]
    assert (data["tax_ids"], data["image_ids"]) == ([ids["#tax"]], [ids["#cover"]])
    lp, cd = data["variations"]
    assert (lp["id"], cd["id"]) == (ids["#moanin-lp"], ids["#moanin-cd"])
    assert lp["item_variation_data"]["item_id"] == ids["#moanin"] and lp["version"] == version
    assert lp["item_variation_data"]["image_ids"] == [ids["#cover"]]
    assert cd["item_variation_data"]["item_option_values"] == [
        {"item_option_id": ids["#format"], "item_option_value_id": ids["#cd"]}]
    attributes = item["object"]["custom_attribute_values"]
    assert {a["custom_attribute_definition_id"] for a in attributes.values()} == {
        ids["#label"], ids["#year"], ids["#signed"]}
    assert {o["id"] for o in item["related_objects"]} == {ids["#hardbop"], ids["#jazz"], ids["#cover"]}

    # Square's read-only category fields, computed from the parents.
    music, jazz, hardbop = (sq.get(ids[k])["object"]["category_data"] for k in ("#music", "#jazz", "#hardbop"))
    assert music["is_top_level"] is True and "root_category" not in music
    assert jazz["parent_category"]["id"] == ids["#music"] and not jazz["is_top_level"]
    assert (jazz["root_category"], hardbop["root_category"]) == (ids["#music"], ids["#music"])
    option = sq.get(ids["#format"])["object"]["item_option_data"]
    assert [(v["id"], v["item_option_value_data"]["item_option_id"]) for v in option["values"]] == [
        (ids["#lp"], ids["#format"]), (ids["#cd"], ids["#format"])]
    grade = sq.get(ids["#grade"])["object"]["custom_attribute_definition_data"]["selection_config"]
    assert [s["name"] for s in grade["allowed_selections"]] == ["Mint", "Very good"]
    assert all(s["uid"] for s in grade["allowed_selections"])

    # Visible to ListCatalog, to an incremental search and through RetrieveCatalogObject.
    listed = sq.call("GET", "/v2/catalog/list", params={"types": "ITEM,CATEGORY,TAX,ITEM_OPTION,IMAGE"})
    assert {ids[k] for k in ("#moanin", "#music", "#jazz", "#tax", "#format", "#cover")} <= {
        o["id"] for o in listed["objects"]}
    changed = sq.search(begin_time=since, object_types=[
        "ITEM", "ITEM_VARIATION", "CATEGORY", "ITEM_OPTION", "ITEM_OPTION_VAL", "CUSTOM_ATTRIBUTE_DEFINITION",
        "TAX", "IMAGE"])
    assert {o["id"] for o in changed["objects"]} == set(ids.values())
    assert sq.get(ids["#moanin-cd"])["object"]["item_variation_data"]["name"] == "CD"
    assert len(sq.catalog_events()) == 1


def test_upsert_object_answers_catalog_object_and_id_mappings(sq: Square) -> None:
    answer = sq.upsert({"type": "ITEM", "id": "#solo", "item_data": {"name": "Sonny Rollins - Saxophone Colossus",
                        "variations": [{"type": "ITEM_VARIATION", "id": "#solo-lp", "item_variation_data": {
                            "name": "LP", "pricing_type": "FIXED_PRICING",
                            "price_money": {"amount": 2599, "currency": "USD"}}}]}})
    ids = ids_of(answer)
    assert set(ids) == {"#solo", "#solo-lp"} and answer["catalog_object"]["id"] == ids["#solo"]
    # The variation gets its item's id even when the request leaves item_id out.
    variation = answer["catalog_object"]["item_data"]["variations"][0]
    assert variation["item_variation_data"]["item_id"] == ids["#solo"]
    assert answer["catalog_object"]["present_at_all_locations"] is True


def test_a_temporary_id_is_valid_only_inside_its_own_batch(sq: Square) -> None:
    since, before = sq.latest_time(), sq.catalog_version()
    body = {"idempotency_key": uuid.uuid4().hex, "batches": [
        {"objects": [{"type": "CATEGORY", "id": "#dub", "category_data": {"name": "Dub"}}]},
        {"objects": [{"type": "ITEM", "id": "#tubby", "item_data": {
            "name": "King Tubby - Dub From the Roots", "categories": [{"id": "#dub"}]}}]}]}
    error = sq.error("POST", "/v2/catalog/batch-upsert", body=body)
    assert (error["code"], error["field"]) == ("INVALID_VALUE", "batches[1].objects[0].item_data.categories[0].id")
    assert sq.catalog_version() == before and "objects" not in sq.search(begin_time=since)
    # In one batch the same reference is fine.
    ids = ids_of(sq.batch(body["batches"][0]["objects"] + body["batches"][1]["objects"]))
    assert sq.get(ids["#tubby"])["object"]["item_data"]["categories"] == [{"id": ids["#dub"]}]


# -- optimistic concurrency ----------------------------------------------------------------------------------
def test_an_update_needs_the_current_version_and_nothing_is_written_otherwise(sq: Square) -> None:
    ids = ids_of(sq.batch(record_shop()))
    stored = sq.get(ids["#moanin"])["object"]
    renamed = {**stored, "item_data": {**stored["item_data"], "name": "Art Blakey - Moanin' (RVG)"}}
    before, events = sq.catalog_version(), len(sq.catalog_events())

    stale = sq.error("POST", "/v2/catalog/object", body={"idempotency_key": "stale",
                                                          "object": {**renamed, "version": stored["version"] - 1}})
    assert (stale["code"], stale["field"]) == ("VERSION_MISMATCH", "object.version")
    assert stale["detail"] == "Object version does not match latest database version."
    # Square's Catalog API answers an update without a version the same way (its update guide
    # requires the version; see the module docstring of storefront/ecs/sandbox/catalog_writes.py).
    unversioned = {k: v for k, v in renamed.items() if k != "version"}
    assert sq.error("POST", "/v2/catalog/object", body={"idempotency_key": "none",
                                                         "object": unversioned})["code"] == "VERSION_MISMATCH"
    old_variation = {**renamed["item_data"]["variations"][0], "version": 1}
    nested = {**renamed, "item_data": {**renamed["item_data"],
                                       "variations": [old_variation, *renamed["item_data"]["variations"][1:]]}}
    error = sq.error("POST", "/v2/catalog/batch-upsert", body={
        "idempotency_key": "nested", "batches": [{"objects": [nested]}]})
    assert (error["code"], error["field"]) == ("VERSION_MISMATCH",
                                               "batches[0].objects[0].item_data.variations[0].version")
    assert sq.catalog_version() == before and len(sq.catalog_events()) == events
    assert sq.get(ids["#moanin"])["object"] == stored

    updated = sq.upsert(renamed)["catalog_object"]
    assert updated["version"] > stored["version"] and updated["item_data"]["name"].endswith("(RVG)")
    assert {v["version"] for v in updated["item_data"]["variations"]} == {updated["version"]}
    assert sq.get(ids["#moanin"])["object"]["version"] == updated["version"]
    # The old version is stale now.
    assert sq.error("POST", "/v2/catalog/object", body={"idempotency_key": "again", "object": {
        **renamed, "item_data": {**renamed["item_data"], "name": "Other"}}})["code"] == "VERSION_MISMATCH"


def test_a_variation_updated_on_its_own_is_what_its_item_lists(sq: Square) -> None:
    ids = ids_of(sq.batch(record_shop()))
    variation = sq.get(ids["#moanin-lp"])["object"]
    repriced = {**variation, "item_variation_data": {**variation["item_variation_data"],
                                                     "price_money": {"amount": 2799, "currency": "USD"}}}
    since = sq.latest_time()
    written = sq.upsert(repriced)["catalog_object"]
    item = sq.get(ids["#moanin"])["object"]
    listed = {v["id"]: v for v in item["item_data"]["variations"]}
    assert listed[ids["#moanin-lp"]] == written and list(listed) == [ids["#moanin-lp"], ids["#moanin-cd"]]
    changed = {o["id"] for o in sq.search(begin_time=since, object_types=["ITEM", "ITEM_VARIATION"])["objects"]}
    assert changed == {ids["#moanin"], ids["#moanin-lp"]}


def test_an_item_update_that_leaves_a_variation_out_deletes_it(sq: Square) -> None:
    ids = ids_of(sq.batch(record_shop()))
    item = sq.get(ids["#moanin"])["object"]
    since = sq.latest_time()
    sq.upsert({**item, "item_data": {**item["item_data"], "variations": item["item_data"]["variations"][:1]}})
    found = sq.search(begin_time=since, include_deleted_objects=True, object_types=["ITEM_VARIATION"])
    assert {(o["id"], o["is_deleted"]) for o in found["objects"]} == {(ids["#moanin-lp"], False),
                                                                     (ids["#moanin-cd"], True)}


# -- idempotency --------------------------------------------------------------------------------------------
def test_the_same_key_and_body_answer_the_same_without_a_second_write(sq: Square) -> None:
    body = {"idempotency_key": "k" * 128, "batches": [{"objects": record_shop()}]}
    first = sq.call("POST", "/v2/catalog/batch-upsert", body=body)
    version = sq.catalog_version()
    again = sq.call("POST", "/v2/catalog/batch-upsert", body=body)
    assert again == first and sq.catalog_version() == version
    assert len(sq.catalog_events()) == 1
    items = sq.search(object_types=["ITEM"], query={"exact_query": {"attribute_name": "name",
                                                                    "attribute_value": "Art Blakey - Moanin'"}})
    assert [o["id"] for o in items["objects"]] == [ids_of(first)["#moanin"]]

    other = {**body, "batches": [{"objects": record_shop()[:1]}]}
    reused = sq.error("POST", "/v2/catalog/batch-upsert", body=other)
    assert (reused["code"], reused["field"]) == ("IDEMPOTENCY_KEY_REUSED", "idempotency_key")
    single = sq.error("POST", "/v2/catalog/object", body={"idempotency_key": body["idempotency_key"],
                                                           "object": record_shop()[0]})
    assert single["code"] == "IDEMPOTENCY_KEY_REUSED"
    too_long = sq.error("POST", "/v2/catalog/batch-upsert", body={**body, "idempotency_key": "k" * 129})
    assert (too_long["code"], too_long["field"]) == ("VALUE_TOO_LONG", "idempotency_key")
    assert sq.catalog_version() == version


def test_a_refused_request_does_not_use_up_its_key(sq: Square) -> None:
    bad = {"type": "CATEGORY", "id": "#c", "category_data": {"name": "Soul"}, "is_deleted": True}
    assert sq.error("POST", "/v2/catalog/object", body={"idempotency_key": "retry-me", "object": bad})["field"] == (
        "object.is_deleted")
    assert ids_of(sq.upsert({**bad, "is_deleted": False}, key="retry-me"))["#c"]


# -- validation ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("obj", "code", "field"), [
    ({"id": "#x", "item_data": {"name": "X"}}, "MISSING_REQUIRED_PARAMETER", "object.type"),
    ({"type": "RECORD", "id": "#x"}, "INVALID_ENUM_VALUE", "object.type"),
    ({"type": "ITEM", "item_data": {"name": "X"}}, "MISSING_REQUIRED_PARAMETER", "object.id"),
    ({"type": "ITEM", "id": "#x"}, "MISSING_REQUIRED_PARAMETER", "object.item_data"),
    ({"type": "ITEM", "id": "#x", "item_data": {"name": " "}}, "MISSING_REQUIRED_PARAMETER", "object.item_data.name"),
    ({"type": "CUSTOM_ATTRIBUTE_DEFINITION", "id": "#x", "custom_attribute_definition_data": {
        "type": "STRING", "name": "Label"}}, "MISSING_REQUIRED_PARAMETER",
     "object.custom_attribute_definition_data.allowed_object_types"),
    ({"type": "CUSTOM_ATTRIBUTE_DEFINITION", "id": "#x", "custom_attribute_definition_data": {
        "type": "DATE", "name": "Label", "allowed_object_types": ["ITEM"]}}, "INVALID_ENUM_VALUE",
     "object.custom_attribute_definition_data.type"),
    ({"type": "ITEM_VARIATION", "id": "#x", "item_variation_data": {"name": "LP"}}, "MISSING_REQUIRED_PARAMETER",
     "object.item_variation_data.item_id"),
    ({"type": "ITEM", "id": "NO_SUCH_ITEM", "version": 1, "item_data": {"name": "X"}}, "NOT_FOUND", "object.id"),
    ({"type": "ITEM", "id": "#x", "item_data": {"name": "X", "variations": [
        {"type": "ITEM_VARIATION", "id": "#x", "item_variation_data": {"name": "LP"}}]}}, "INVALID_VALUE",
     "object.item_data.variations[0].id"),
])
def test_invalid_objects_get_squares_error_and_write_nothing(sq: Square, obj: dict[str, Any], code: str,
                                                              field: str) -> None:
    before = sq.catalog_version()
    error = sq.error("POST", "/v2/catalog/object", body={"idempotency_key": uuid.uuid4().hex, "object": obj})
    assert (error["code"], error["field"]) == (code, field)
    assert sq.catalog_version() == before


def test_batch_limits_and_missing_fields(sq: Square) -> None:
    assert sq.error("POST", "/v2/catalog/batch-upsert", body={"idempotency_key": "b"})["field"] == "batches"
    assert sq.error("POST", "/v2/catalog/object", body={"object": record_shop()[0]})["field"] == "idempotency_key"
    items = [{"type": "ITEM", "id": f"#i{n}", "item_data": {"name": f"Item {n}", "variations": [
        {"type": "ITEM_VARIATION", "id": f"#i{n}-v", "item_variation_data": {"name": "LP"}}]}} for n in range(501)]
    error = sq.error("POST", "/v2/catalog/batch-upsert", body={"idempotency_key": "big", "batches": [
        {"objects": items}]})  # 501 items and their 501 variations: over 1,000 objects in one batch
    assert (error["code"], error["field"]) == ("INVALID_VALUE", "batches[0].objects")
    assert sq.error("POST", "/v2/catalog/batch-delete", body={})["code"] == "MISSING_REQUIRED_PARAMETER"


# -- deletes ------------------------------------------------------------------------------------------------
def test_deleting_an_item_takes_its_variations_and_shows_in_incremental_search(sq: Square) -> None:
    ids = ids_of(sq.batch(record_shop()))
    since, events = sq.latest_time(), len(sq.catalog_events())
    answer = sq.call("DELETE", "/v2/catalog/object/{object_id}", object_id=ids["#moanin"])
    assert set(answer["deleted_object_ids"]) == {ids["#moanin"], ids["#moanin-lp"], ids["#moanin-cd"]}
    found = sq.search(begin_time=since, include_deleted_objects=True, object_types=["ITEM", "ITEM_VARIATION"])
    assert {(o["id"], o["is_deleted"]) for o in found["objects"]} == {
        (ids["#moanin"], True), (ids["#moanin-lp"], True), (ids["#moanin-cd"], True)}
    assert {o["updated_at"] for o in found["objects"]} == {answer["deleted_at"]}
    assert "objects" not in sq.search(begin_time=since, object_types=["ITEM", "ITEM_VARIATION"])
    assert sq.error("GET", "/v2/catalog/object/{object_id}", status=404, object_id=ids["#moanin-lp"])["code"] == (
        "NOT_FOUND")
    assert len(sq.catalog_events()) == events + 1
    # A deleted object cannot be updated; deleting it again deletes nothing and announces nothing.
    item = found["objects"][0] if found["objects"][0]["type"] == "ITEM" else found["objects"][-1]
    assert sq.error("POST", "/v2/catalog/object", body={"idempotency_key": "revive", "object": {
        **item, "is_deleted": False}})["code"] == "NOT_FOUND"
    again = sq.call("DELETE", "/v2/catalog/object/{object_id}", object_id=ids["#moanin"])
    assert again["deleted_object_ids"] == []
    assert sq.error("DELETE", "/v2/catalog/object/{object_id}", status=404, object_id="NO_SUCH_OBJECT")["code"] == (
        "NOT_FOUND")
    assert len(sq.catalog_events()) == events + 1


def test_batch_delete_skips_unknown_ids_and_takes_option_values(sq: Square) -> None:
    ids = ids_of(sq.batch(record_shop()))
    since, events = sq.latest_time(), len(sq.catalog_events())
    answer = sq.call("POST", "/v2/catalog/batch-delete", body={"object_ids": [ids["#format"], ids["#tax"], "NOPE"]})
    assert set(answer["deleted_object_ids"]) == {ids["#format"], ids["#lp"], ids["#cd"], ids["#tax"]}
    found = sq.search(begin_time=since, include_deleted_objects=True,
                      object_types=["ITEM_OPTION", "ITEM_OPTION_VAL", "TAX"])
    assert all(o["is_deleted"] for o in found["objects"]) and len(found["objects"]) == 4
    assert len(sq.catalog_events()) == events + 1
    assert sq.call("POST", "/v2/catalog/batch-delete", body={"object_ids": ["NOPE"]}) == {"deleted_object_ids": []}
    assert len(sq.catalog_events()) == events + 1


# -- one webhook per write ----------------------------------------------------------------------------------
def test_each_write_request_announces_one_catalog_version(sq: Square) -> None:
    start = len(sq.catalog_events())
    soul = {"type": "CATEGORY", "id": "#soul", "category_data": {"name": "Soul"}}
    ids = ids_of(sq.batch([soul], record_shop()))  # two batches, one request
    category = sq.get(ids["#music"])["object"]
    sq.upsert({**category, "category_data": {**category["category_data"], "name": "Recorded music"}})
    sq.call("DELETE", "/v2/catalog/object/{object_id}", object_id=ids["#moanin"])
    sq.call("POST", "/v2/catalog/batch-delete", body={"object_ids": [ids["#tax"], ids["#cover"]]})
    events = sq.catalog_events()[start:]
    assert len(events) == 4
    stamps = [e["data"]["object"]["catalog_version"]["updated_at"] for e in events]
    assert len(set(stamps)) == 4 and stamps[-1] == sq.search(object_types=["ITEM"], limit=1)["latest_time"]


# -- the storefront's client and the test helper --------------------------------------------------------------
def test_the_storefront_client_writes_and_deletes(server: Any, http: requests.Session) -> None:
    with SquareClient(server.base_url, TOKEN, max_retries=0) as client:
        created = client.upsert_catalog_object(uuid.uuid4().hex, {"type": "CATEGORY", "id": "#soul",
                                                                  "category_data": {"name": "Soul"}})
        soul = created["catalog_object"]
        assert ids_of(created) == {"#soul": soul["id"]}
        objects = [{"type": "ITEM", "id": f"#s{n}", "item_data": {
            "name": f"Soul {n}", "categories": [{"id": soul["id"]}], "variations": [
                {"type": "ITEM_VARIATION", "id": f"#s{n}-lp", "item_variation_data": {
                    "name": "LP", "pricing_type": "FIXED_PRICING",
                    "price_money": {"amount": 1000 + n, "currency": "USD"}}}]}} for n in range(5)]
        written = client.batch_upsert_catalog_objects(uuid.uuid4().hex, objects, batch_size=4)  # 2 per batch
        ids = ids_of(written)
        assert len(ids) == 10 and len(written["objects"]) == 5 and written["updated_at"]
        with pytest.raises(ECSBadRequest) as refused:
            client.upsert_catalog_object(uuid.uuid4().hex, {**soul, "version": soul["version"] - 1})
        assert [e["code"] for e in refused.value.errors] == ["VERSION_MISMATCH"]
        renamed = client.upsert_catalog_object(uuid.uuid4().hex, {**soul, "category_data": {"name": "Soul & funk"}})
        assert renamed["catalog_object"]["version"] > soul["version"]
        assert set(client.delete_catalog_object(ids["#s0"])) == {ids["#s0"], ids["#s0-lp"]}
        assert client.delete_catalog_object(ids["#s0"]) == []  # a retried delete is done, not an error
        assert set(client.batch_delete_catalog_objects([ids["#s1"], ids["#s2"], "NOPE"])) == {
            ids["#s1"], ids["#s1-lp"], ids["#s2"], ids["#s2-lp"]}
        live = client.search_catalog_objects(object_types=["ITEM"], limit=1000).objects
        assert {ids["#s3"], ids["#s4"]} <= {o["id"] for o in live}
        assert not {ids["#s0"], ids["#s1"], ids["#s2"]} & {o["id"] for o in live}


def test_write_catalog_helper_returns_the_id_mappings(server: Any, http: requests.Session) -> None:
    ids = write_catalog(server.base_url, TOKEN, record_shop())
    assert len(ids) == 15
    found = http.get(f"{server.base_url}/v2/catalog/object/{ids['#moanin']}", timeout=30).json()["object"]
    assert found["item_data"]["name"] == "Art Blakey - Moanin'"


# -- a storefront sync ---------------------------------------------------------------------------------------
def test_an_incremental_sync_picks_up_items_written_through_the_endpoints(make_app, sandbox) -> None:
    app = make_app(**ecs_config(sandbox))
    with app.app_context():
        assert run_sync().status == "succeeded"
        client = SquareClient(sandbox.base_url, SANDBOX_TOKEN)
        repriced_id = sorted(local_snapshot())[2]
        item = client.retrieve_catalog_object(repriced_id)["object"]
        variation = item["item_data"]["variations"][0]
        variation["item_variation_data"]["price_money"] = {"amount": 4321, "currency": "USD"}
        client.upsert_catalog_object(uuid.uuid4().hex, item)
        new = write_catalog(sandbox.base_url, SANDBOX_TOKEN, [
            {"type": "ITEM", "id": "#new", "item_data": {"name": "Lee Morgan — The Sidewinder", "variations": [
                {"type": "ITEM_VARIATION", "id": "#new-lp", "item_variation_data": {
                    "name": "LP", "pricing_type": "FIXED_PRICING", "track_inventory": False,
                    "price_money": {"amount": 2899, "currency": "USD"}}}]}}])
        run = run_sync("incremental")
        assert run.status == "succeeded", run.message
        assert (run.items_created, run.items_updated, run.items_deleted) == (1, 1, 0)
        added = db.session.query(Item).filter(Item.ecs_id == new["#new"]).one()
        assert added.name == "Lee Morgan — The Sidewinder"
        assert [v.price_amount for v in added.variations] == [2899]
        assert 4321 in local_snapshot()[repriced_id]["prices"][0]
        assert local_snapshot() == ecs_snapshot(sandbox)
        client.close()
