"""The cart: add/update/remove by page (HTMX or not) and by API; every bad input is refused cleanly."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storefront.cart.models import Cart
from storefront.catalog.models import Item, ItemVariation, StockLevel
from storefront.extensions import db
from tests.support.pages import csrf_token, soup

LOCATION = "LTEST"


@pytest.fixture
def catalog(make_app):
    app = make_app(ECS_LOCATION_ID=LOCATION, CART_MAX_PER_ITEM=5)
    with app.app_context():
        made = []
        for n, stock in enumerate([3, 0, 50]):
            item = Item(ecs_id=f"I{n}", name=f"Artist {n} — Title {n}", artist=f"Artist {n}", title=f"Title {n}",
                        price_amount=1500 + n, stock=stock)
            item.variations.append(ItemVariation(ecs_id=f"V{n}", name="LP", price_amount=1500 + n))
            db.session.add(item)
            db.session.flush()
            db.session.add(StockLevel(variation_id=item.variations[0].id, location_id=LOCATION, quantity=stock))
            made.append(item.variations[0].id)
        db.session.commit()
    return app, made


def api_cart(client) -> dict[str, str]:
    return {"X-Cart-Token": client.post("/api/v1/cart").get_json()["cart_token"]}


def cart_lines(app) -> list[dict]:
    with app.app_context():
        return [c.lines for c in db.session.scalars(select(Cart))]


def test_api_add_update_remove(catalog):
    app, (in_stock, _sold_out, _plenty) = catalog
    client = app.test_client()
    headers = api_cart(client)
    body = client.post("/api/v1/cart/items", json={"variation_id": in_stock, "quantity": 2}, headers=headers)
    assert body.status_code == 200
    line = body.get_json()["cart"]["lines"][0]
    assert line["quantity"] == 2 and line["unit_price"]["amount"] == 1500
    assert body.get_json()["cart"]["subtotal"]["formatted"] == "$30.00"
    updated = client.put(f"/api/v1/cart/items/{in_stock}", json={"quantity": 3}, headers=headers)
    assert updated.get_json()["cart"]["count"] == 3
    removed = client.delete(f"/api/v1/cart/items/{in_stock}", headers=headers)
    assert removed.get_json()["cart"]["lines"] == []


@pytest.mark.parametrize(("payload", "status", "code"), [
    ({"variation_id": 999999, "quantity": 1}, 404, "not_found"),
    ({"variation_id": 2**31, "quantity": 1}, 422, "validation_error"),  # beyond an integer id: never queried
    ({"item_id": 2**40, "quantity": 1}, 422, "validation_error"),
    ({"item_id": "abc", "quantity": 1}, 422, "validation_error"),
    ({"variation_id": "IN_STOCK", "quantity": 0}, 422, "validation_error"),
    ({"variation_id": "IN_STOCK", "quantity": -2}, 422, "validation_error"),
    ({"variation_id": "IN_STOCK", "quantity": 10**12}, 422, "validation_error"),
    ({"variation_id": "IN_STOCK", "quantity": 1.5}, 422, "validation_error"),
    ({"variation_id": "IN_STOCK", "quantity": True}, 422, "validation_error"),
    ({"variation_id": "IN_STOCK", "quantity": 4}, 422, "validation_error"),  # only 3 in stock
    ({"variation_id": "SOLD_OUT", "quantity": 1}, 422, "validation_error"),
    ({"variation_id": "PLENTY", "quantity": 6}, 422, "validation_error"),  # per-item maximum is 5
    ({}, 422, "validation_error"),
])
def test_api_refuses_bad_cart_operations_and_changes_nothing(catalog, payload, status, code):
    app, (in_stock, sold_out, plenty) = catalog
    names = {"IN_STOCK": in_stock, "SOLD_OUT": sold_out, "PLENTY": plenty}
    payload = {k: names.get(v, v) if isinstance(v, str) else v for k, v in payload.items()}
    client = app.test_client()
    headers = api_cart(client)
    response = client.post("/api/v1/cart/items", json=payload, headers=headers)
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"]
    assert cart_lines(app) == [{}]


def test_api_malformed_json_and_unknown_cart(catalog):
    app, (in_stock, *_rest) = catalog
    client = app.test_client()
    headers = api_cart(client)
    bad = client.post("/api/v1/cart/items", data="{oops", content_type="application/json", headers=headers)
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_json"
    missing = client.post("/api/v1/cart/items", json={"variation_id": in_stock}, headers={"X-Cart-Token": "nope"})
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "cart_not_found"
    unknown_line = client.put("/api/v1/cart/items/424242", json={"quantity": 1}, headers=headers)
    assert unknown_line.status_code == 404
    assert cart_lines(app) == [{}]


def test_page_add_is_csrf_protected(catalog):
    app, (in_stock, *_rest) = catalog
    client = app.test_client()
    assert client.post("/cart/add", data={"variation_id": in_stock}).status_code == 400
    assert cart_lines(app) == []


def test_page_add_with_htmx_updates_the_header_count(catalog):
    app, (in_stock, *_rest) = catalog
    client = app.test_client()
    token = csrf_token(client)
    response = client.post("/cart/add", data={"variation_id": in_stock, "quantity": "2", "csrf_token": token},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    page = soup(response)
    assert page.find("html") is None
    count = page.find(id="cart-count")
    assert count["hx-swap-oob"] == "true" and count.text == "2"
    cart = soup(client.get("/cart"))
    assert cart.find(id="cart-count").text == "2"
    assert "Artist 0 — Title 0" in cart.find("tr", class_="cart-line").text


def test_page_shows_errors_without_javascript(catalog):
    app, (_in_stock, sold_out, _plenty) = catalog
    client = app.test_client()
    token = csrf_token(client)
    response = client.post("/cart/add", data={"variation_id": sold_out, "csrf_token": token, "next": "/cart"},
                           follow_redirects=True)
    assert "sold out" in soup(response).find("p", class_="flash-error").text


def test_price_change_and_sell_out_are_flagged(catalog):
    app, (in_stock, _sold_out, _plenty) = catalog
    client = app.test_client()
    headers = api_cart(client)
    client.post("/api/v1/cart/items", json={"variation_id": in_stock, "quantity": 2}, headers=headers)
    with app.app_context():
        variation = db.session.get(ItemVariation, in_stock)
        variation.price_amount = 1800
        db.session.scalar(select(StockLevel).where(StockLevel.variation_id == in_stock)).quantity = 1
        db.session.commit()
    line = client.get("/api/v1/cart", headers=headers).get_json()["cart"]["lines"][0]
    assert line["unit_price"]["amount"] == 1800 and line["price_when_added"]["amount"] == 1500
    assert line["flags"] == {"out_of_stock": False, "exceeds_stock": True, "price_changed": True,
                             "unavailable": False}
    assert client.get("/api/v1/cart", headers=headers).get_json()["cart"]["can_check_out"] is False


def test_checkout_with_an_empty_cart_goes_back_to_the_cart(catalog):
    app, _ = catalog
    response = app.test_client().get("/checkout")  # guests may check out, but not an empty cart
    assert response.status_code == 303 and response.headers["Location"].endswith("/cart")


def test_event_space_items_are_booked_by_inquiry_not_the_cart(catalog):
    app, _ = catalog
    with app.app_context():
        event = Item(ecs_id="EV1", name="Evening hire", kind="event", price_amount=25000)
        event.variations.append(ItemVariation(ecs_id="EVV1", name="Evening", price_amount=25000))
        db.session.add(event)
        db.session.commit()
        variation_id = event.variations[0].id
    client = app.test_client()
    response = client.post("/api/v1/cart/items", json={"variation_id": variation_id}, headers=api_cart(client))
    assert response.status_code == 422 and "inquiry" in response.get_json()["error"]["message"]
