"""The OpenAPI 3.1 document: valid, complete (every /api/v1 route, nothing else), served with a docs
page, and real responses match it — so renaming a JSON field in a serializer fails here."""

from __future__ import annotations

import re

import pytest
from openapi_spec_validator import validate
from sqlalchemy import select

from storefront.api.openapi import api_rules, build_document, openapi_path
from storefront.catalog.models import Item, ItemVariation
from storefront.extensions import db
from tests.support.accounts import bearer, customer_bearer, make_customer, make_staff
from tests.support.contract import Contract, synced_app
from tests.support.pages import soup

SKIPPED_METHODS = {"HEAD", "OPTIONS"}


def route_operations(app) -> dict[tuple[str, str], str]:
    """(METHOD, OpenAPI path) → endpoint, for every rule under /api/v1."""
    return {(method, openapi_path(rule.rule)): rule.endpoint
            for rule in api_rules(app) for method in rule.methods - SKIPPED_METHODS}


def documented_operations(doc) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, operations in doc["paths"].items() for method in operations}


@pytest.fixture
def doc(app):
    return build_document(app)


# --- the document itself ------------------------------------------------------------------------

def test_document_is_valid_openapi_3_1(doc):
    assert doc["openapi"].startswith("3.1.")
    validate(doc)  # the official 3.1 meta-schema (openapi-spec-validator); raises on any problem


def test_every_api_route_is_documented(app, doc):
    documented = documented_operations(doc)
    missing = {op: endpoint for op, endpoint in route_operations(app).items() if op not in documented}
    assert not missing, "Routes missing from the OpenAPI document — add an Op to storefront/api/openapi_*.py:\n" + \
        "\n".join(f"  {method} {path}  (view {endpoint})" for (method, path), endpoint in sorted(missing.items()))


def test_nothing_is_documented_that_does_not_exist(app, doc):
    stale = documented_operations(doc) - set(route_operations(app))
    assert not stale, "Documented operations with no route (remove or fix them):\n" + \
        "\n".join(f"  {method} {path}" for method, path in sorted(stale))


def test_path_parameters_match_the_routes(app, doc):
    for rule in api_rules(app):
        for method in rule.methods - SKIPPED_METHODS:
            operation = doc["paths"][openapi_path(rule.rule)][method.lower()]
            params = {p["name"]: p["schema"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert set(params) == set(rule.arguments), f"{method} {rule.rule}: path parameters {sorted(params)}"
            for name, converter in rule._converters.items():
                expected = "integer" if type(converter).__name__ == "IntegerConverter" else "string"
                assert params[name]["type"] == expected, f"{method} {rule.rule}: {name} should be {expected}"


# The one exception to the Error envelope: the channel-connector API answers the shapes its
# specification defines (422 {message, errors}, {message, error_code: CHN-…, details?}, 403
# {message, required_permission}); where the shop may answer first (a customer token, the API rate
# limiter, an unmatched path) the response is documented as either shape.
CHANNEL_API = "/api/v1/staff/channel-connectors"
ERROR_SCHEMA = {"$ref": "#/components/schemas/Error"}
CHANNEL_SCHEMAS = {f"#/components/schemas/{name}" for name in (
    "ChannelValidationError", "ChannelError", "ChannelPermissionError")}


def channel_error_schemas(schema) -> bool:
    """The schema is one of the channel API's error shapes, or anyOf them and the Error envelope."""
    options = schema.get("anyOf", [schema])
    refs = {option.get("$ref") for option in options}
    return bool(refs & CHANNEL_SCHEMAS) and refs <= CHANNEL_SCHEMAS | {ERROR_SCHEMA["$ref"]}


def test_every_operation_is_complete(doc):
    tags = {t["name"] for t in doc["tags"]}
    ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids)), "operationIds must be unique"
    error_responses = doc["components"]["responses"]
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            where = f"{method.upper()} {path}"
            assert op["summary"] and op["tags"][0] in tags, where
            assert "429" in op["responses"], f"{where}: every API route is rate limited"
            if op.get("security"):
                assert {"401", "403"} <= set(op["responses"]), f"{where}: authenticated routes answer 401/403"
            for status, response in op["responses"].items():
                if status.startswith("2"):
                    assert "X-Request-ID" in response["headers"], where
                elif status != "304":
                    name = response["$ref"].rsplit("/", 1)[-1]
                    schema = error_responses[name]["content"]["application/json"]["schema"]
                    if path.startswith("/api/v1/shop/"):
                        assert schema == {"$ref": "#/components/schemas/ShopApiError"}, f"{where} {status}"
                        continue
                    if path.startswith(CHANNEL_API) and schema != ERROR_SCHEMA:
                        assert channel_error_schemas(schema), f"{where} {status}: {schema}"
                        continue
                    assert schema == ERROR_SCHEMA, f"{where} {status}"


def test_components_describe_the_envelope_money_and_pagination(doc):
    schemas = doc["components"]["schemas"]
    assert schemas["Error"]["properties"]["error"]["required"] == ["code", "message", "details", "request_id"]
    assert schemas["Money"]["required"] == ["amount", "currency", "formatted"]
    assert set(schemas["Pagination"]["required"]) >= {"page", "limit", "total"}
    assert set(doc["components"]["securitySchemes"]) == {"customerBearer", "staffBearer", "staffSignature",
                                                         "shopBearer", "shopCookie"}
    assert doc["components"]["securitySchemes"]["staffSignature"]["name"] == "X-Signature"
    assert {"X-Request-ID", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "ETag"} <= \
        set(doc["components"]["headers"])


# --- serving it ---------------------------------------------------------------------------------

def test_document_is_served_with_an_etag(client, doc):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.is_json
    assert response.get_json() == doc
    assert response.headers["X-Request-ID"]
    again = client.get("/api/v1/openapi.json", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_docs_page_renders_every_operation_without_scripts(client, doc):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = soup(response)
    assert page.find("a", href="/api/v1/openapi.json")
    headings = {h.get_text(" ", strip=True) for h in page.select(".api-operation h3")}
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            assert f"{method.upper()} {path}" in headings
            assert page.find(id=op["operationId"]) is not None
    assert {h.get_text(strip=True) for h in page.select(".api-group > h2")} >= {t["name"] for t in doc["tags"]}
    assert page.find(id="schema-Error") and page.find(id="schema-Money")
    assert all(tag.get("src") for tag in page.find_all("script")), "no inline scripts (CSP)"
    assert not page.find(attrs={"style": True}), "no inline styles (CSP)"
    assert "cdn" not in response.get_data(as_text=True).lower()


# --- real responses match the document ------------------------------------------------------------

@pytest.fixture
def shop(make_app, sandbox):
    app = synced_app(make_app, sandbox, API_RATE_LIMIT="1000 per minute")
    return app, Contract(app)


def first_record(app) -> tuple[int, int]:
    """(item id, variation id) of an in-stock record."""
    with app.app_context():
        row = db.session.execute(
            select(Item.id, ItemVariation.id).join(ItemVariation, ItemVariation.item_id == Item.id)
            .where(Item.kind == "record", Item.stock > 1, Item.is_deleted.is_(False)).order_by(Item.id).limit(1)).one()
    return row[0], row[1]


def test_public_responses_match_the_document(shop):
    app, contract = shop
    client = app.test_client()
    item_id, variation_id = first_record(app)

    health = contract.check(client.get("/api/v1/health"))
    assert health["checks"]["database"]["status"] == "ok"
    listing = contract.check(client.get("/api/v1/products?limit=5&sort=price_asc"))
    assert len(listing["products"]) == 5 and listing["pagination"]["limit"] == 5
    assert listing["products"][0]["price"]["currency"] == "USD"
    contract.check(client.get("/api/v1/products?q=jazz&in_stock=true&kind=record"))
    product = contract.check(client.get(f"/api/v1/products/{item_id}"))["product"]
    assert product["id"] == item_id and product["variations"]

    created = contract.check(client.post("/api/v1/cart"))
    cart_header = {"X-Cart-Token": created["cart_token"]}
    added = contract.check(client.post("/api/v1/cart/items", json={"variation_id": variation_id, "quantity": 1},
                                       headers=cart_header))
    assert added["cart"]["lines"][0]["variation_id"] == variation_id
    assert contract.check(client.get("/api/v1/cart", headers=cart_header))["cart"]["count"] == 1
    contract.check(client.put(f"/api/v1/cart/items/{variation_id}", json={"quantity": 2}, headers=cart_header))

    missing = contract.check(client.get("/api/v1/products/999999"))
    assert missing["error"]["code"] == "not_found" and missing["error"]["request_id"]
    invalid = contract.check(client.get("/api/v1/products?limit=0&sort=sideways"))
    assert {d["field"] for d in invalid["error"]["details"]} == {"limit", "sort"}
    contract.check(client.post("/api/v1/cart/items", data="nope", content_type="text/plain", headers=cart_header))
    contract.check(client.get("/api/v1/cart", headers={"X-Cart-Token": "unknown"}))
    contract.check(client.get("/api/v1/order/status?number=SF-0000&email=a@example.com"))


def test_customer_responses_match_the_document(shop):
    app, contract = shop
    client = app.test_client()
    item_id, variation_id = first_record(app)
    customer = make_customer(app)
    auth = customer_bearer(client, customer.email)

    contract.check(client.post("/api/v1/customer/login", json={"email": customer.email, "password": "wrong-one"}))
    assert contract.check(client.get("/api/v1/customer/me", headers=auth))["customer"]["email"] == customer.email
    contract.check(client.get("/api/v1/customer/me"))  # 401 envelope
    contract.check(client.post("/api/v1/wishlist", json={"item_id": item_id}, headers=auth))
    wishlist = contract.check(client.get("/api/v1/wishlist", headers=auth))
    assert [line["item_id"] for line in wishlist["items"]] == [item_id]

    cart_token = contract.check(client.post("/api/v1/cart"))["cart_token"]
    client.post("/api/v1/cart/items", json={"variation_id": variation_id}, headers={"X-Cart-Token": cart_token})
    checkout = contract.check(client.post("/api/v1/checkout", json={"cart_token": cart_token}, headers=auth))
    assert checkout["order"]["status"] == "pending_payment" and checkout["payment_url"]
    history = contract.check(client.get("/api/v1/orders/history", headers=auth))
    assert history["orders"][0]["number"] == checkout["order"]["number"]
    contract.check(client.get("/api/v1/order/status", query_string={"number": checkout["order"]["number"],
                                                                     "email": customer.email}))
    contract.check(client.post("/api/v1/customer/logout", headers=auth))


def test_staff_responses_match_the_document(shop):
    app, contract = shop
    client = app.test_client()
    item_id, _variation_id = first_record(app)
    admin = make_staff(app, role="admin")
    auth = bearer(app, admin)

    assert contract.check(client.get("/api/v1/staff/me", headers=auth))["staff"]["role"] == "admin"
    contract.check(client.get("/api/v1/staff/dashboard", headers=auth))
    contract.check(client.get("/api/v1/staff/members", headers=auth))
    contract.check(client.get("/api/v1/staff/orders", headers=auth))
    runs = contract.check(client.get("/api/v1/staff/sync/catalog", headers=auth))
    assert runs["recent"][0]["status"] == "succeeded"
    contract.check(client.get(f"/api/v1/staff/sync/catalog/runs/{runs['recent'][0]['id']}", headers=auth))
    contract.check(client.get("/api/v1/staff/audit", headers=auth))
    contract.check(client.get("/api/v1/staff/inquiries", headers=auth))
    contract.check(client.get("/api/v1/staff/genres", headers=auth))
    contract.check(client.get("/api/v1/staff/formats", headers=auth))
    contract.check(client.get(f"/api/v1/staff/product-details/{item_id}", headers=auth))
    contract.check(client.get("/api/v1/staff/members", headers=bearer(app, make_staff(app))))  # 403 for staff
    contract.check(client.get("/api/v1/staff/webhooks/dlq", headers=auth))  # 401: unsigned


def test_a_renamed_json_field_breaks_the_contract(shop):
    """What a serializer change looks like to the contract: the check names the field."""
    app, contract = shop
    item_id, _variation_id = first_record(app)
    body = app.test_client().get(f"/api/v1/products/{item_id}").get_json()
    schema = {"$ref": "#/components/schemas/Product"}
    contract.check_body(schema, body["product"], "product")
    body["product"]["stock"] = body["product"].pop("stock_state")
    with pytest.raises(AssertionError, match=re.escape("'stock_state' is a required property")):
        contract.check_body(schema, body["product"], "product")
    body["product"]["stock_state"] = "in_stock"
    with pytest.raises(AssertionError, match="'stock' was unexpected"):
        contract.check_body(schema, body["product"], "product")


def test_channel_connector_responses_match_the_document(make_app):
    """The channel-connector API's successes and its own error shapes (422, CHN codes, 403 permission)."""
    from storefront.catalog.models import StockLevel
    from storefront.channels.models import ChannelConflict, ChannelConnector, ChannelListing
    from tests.support.factories import make_item

    app = make_app(ECS_LOCATION_ID="LTEST", PUBLIC_BASE_URL="https://shop.example", API_RATE_LIMIT="1000 per minute")
    with app.app_context():
        item = make_item(artist="Alice Coltrane", title="Journey in Satchidananda", price=2499)
        for variation in db.session.scalars(select(ItemVariation).where(ItemVariation.item_id == item.id)):
            db.session.add(StockLevel(variation_id=variation.id, location_id="LTEST", quantity=2))
            variation.media_grade, variation.condition = "VG+", "used"
        db.session.commit()
    contract = Contract(app)
    client = app.test_client()
    admin = bearer(app, make_staff(app, role="admin"))
    api = "/api/v1/staff/channel-connectors"

    created = contract.check(client.post(api, json={"channel_type": "google_feed", "code": "google",
                                                    "name": "Google Merchant Center feed"}, headers=admin))
    assert created["test_result"]["success"] is True and created["data"]["credentials"] == {}
    assert contract.check(client.post(api, json={"channel_type": "google_feed", "code": "google", "name": "Again"},
                                      headers=admin))["error_code"] == "CHN-002"
    invalid = contract.check(client.post(api, json={"channel_type": "google_feed", "code": "Shop!", "name": "",
                                                    "settings": {"format": "pdf"}}, headers=admin))
    assert {"code", "name", "settings.format"} <= set(invalid["errors"])
    incomplete = contract.check(client.post(api, json={"channel_type": "shopify", "code": "shop", "name": "Shop"},
                                            headers=admin))
    assert {"credentials.access_token", "settings.base_url"} <= set(incomplete["errors"])
    assert contract.check(client.get(api, headers=admin, query_string={"status": "active"}))["meta"]["total"] == 1
    contract.check(client.get(api, headers=admin, query_string={"per_page": "500", "channel_type": "ebay"}))
    contract.check(client.get(f"{api}/google", headers=admin))
    assert contract.check(client.get(f"{api}/nope", headers=admin))["error_code"] == "CHN-001"
    contract.check(client.patch(f"{api}/google", json={"name": "Google feed", "settings": {"format": "tsv"}},
                                headers=admin))
    contract.check(client.patch(f"{api}/google", json={"code": "other"}, headers=admin))
    contract.check(client.post(f"{api}/google/test", headers=admin))
    contract.check(client.get(f"{api}/google/mappings", headers=admin))
    contract.check(client.put(f"{api}/google/mappings", json={"title_template": "{artist} – {title}",
                                                             "price": {"rounding": "x.99"}}, headers=admin))
    contract.check(client.put(f"{api}/google/mappings", json={"title_template": "{nope}"}, headers=admin))

    started = contract.check(client.post(f"{api}/google/sync", json={"sync_type": "full"}, headers=admin))
    contract.check(client.post(f"{api}/google/sync", json={"sync_type": "sideways"}, headers=admin))
    contract.check(client.get(f"{api}/google/sync", headers=admin))
    job = contract.check(client.get(f"{api}/google/sync/{started['job_id']}", headers=admin))
    assert job["counts"]["created"] == 2 and job["failed_products"] == []
    assert contract.check(client.post(f"{api}/google/sync/{started['job_id']}/retry",
                                      headers=admin))["error_code"] == "CHN-061"
    assert contract.check(client.get(f"{api}/google/sync/nope", headers=admin))["error_code"] == "CHN-060"

    with app.app_context():
        connector = db.session.scalar(select(ChannelConnector).where(ChannelConnector.code == "google"))
        row = db.session.scalar(select(ChannelListing).where(ChannelListing.connector_id == connector.id))
        conflict = ChannelConflict(connector_id=connector.id, listing_pk=row.id, offer_key=row.offer_key,
                                   fields={"price_amount": {"pim": 2499, "channel": 2199, "locale": "en"}})
        db.session.add(conflict)
        db.session.commit()
        conflict_id = conflict.id
    assert contract.check(client.get(f"{api}/google/conflicts", headers=admin))["meta"]["total"] == 1
    contract.check(client.get(f"{api}/google/conflicts", headers=admin, query_string={"status": "maybe"}))
    contract.check(client.get(f"{api}/google/conflicts/{conflict_id}", headers=admin))
    contract.check(client.put(f"{api}/google/conflicts/{conflict_id}/resolve",
                              json={"resolution": "pim_wins", "field_overrides": {"price_amount": 1}}, headers=admin))
    resolved = contract.check(client.put(f"{api}/google/conflicts/{conflict_id}/resolve",
                                         json={"resolution": "merged", "field_overrides": {"price_amount": 2299}},
                                         headers=admin))
    assert resolved["data"]["resolution"] == "merged"
    assert contract.check(client.put(f"{api}/google/conflicts/{conflict_id}/resolve", json={"resolution": "pim_wins"},
                                     headers=admin))["error_code"] == "CHN-041"
    assert contract.check(client.get(f"{api}/google/conflicts/999", headers=admin))["error_code"] == "CHN-040"

    clerk = bearer(app, make_staff(app, role="staff"))
    refused = contract.check(client.delete(f"{api}/google", headers=clerk))
    assert refused["required_permission"] == "channel_connector.connectors.delete"
    contract.check(client.get(api))  # 401: the shop's envelope
    contract.check(client.get(api, headers=customer_bearer(client, make_customer(app).email)))  # 403: envelope
    contract.check(client.patch(f"{api}/google", json={"status": "disabled"}, headers=admin))
    assert contract.check(client.post(f"{api}/google/sync", headers=admin))["error_code"] == "CHN-091"
    contract.check(client.delete(f"{api}/google", headers=admin))
