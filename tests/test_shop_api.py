"""The Shop API (/api/v1/shop) replayed request by request as the specification describes it:
products, the session cart, JWT auth (bearer and cookie), orders, content pages, its error shape and
its rate limits. Checkout goes over real HTTP to the ECS sandbox."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import requests
from sqlalchemy import func, select

from storefront.accounts.models import Customer
from storefront.apitokens.models import ApiToken
from storefront.cart.models import Cart
from storefront.catalog.models import Item, ItemDetail, ItemVariation, StockLevel
from storefront.content.models import ContentPage
from storefront.content.render import render_body
from storefront.extensions import db
from storefront.orders.models import Order
from storefront.shopapi import tokens
from tests.support.accounts import PASSWORD, make_customer
from tests.support.checkout import SUCCESS_CARD, order_status, pay, two_records_in_stock, wait_for

LOCATION = "LSHOP"
BASE = "/api/v1/shop"
ERROR_KEYS = {"error_code", "message", "status_code", "details"}


def session_id() -> str:
    return secrets.token_urlsafe(24)


@pytest.fixture
def shop(make_app):
    """Three records (3 in stock and a staff pick, sold out, 50 in stock) and a two-copy record."""
    app = make_app(ECS_LOCATION_ID=LOCATION, CART_MAX_PER_ITEM=5)
    with app.app_context():
        ids = []
        for n, stock in enumerate([3, 0, 50]):
            item = Item(ecs_id=f"I{n}", name=f"Artist {n} – Title {n}", artist=f"Artist {n}", title=f"Title {n}",
                        price_amount=1500 + n, stock=stock, search_text=f"artist {n} title {n} blue{n}",
                        first_seen_at=datetime(2026, 1, 1 + n, tzinfo=UTC))
            item.variations.append(ItemVariation(ecs_id=f"V{n}", name="LP", price_amount=1500 + n))
            db.session.add(item)
            db.session.flush()
            db.session.add(StockLevel(variation_id=item.variations[0].id, location_id=LOCATION, quantity=stock))
            ids.append(item.id)
        two = Item(ecs_id="I9", name="Two Copies", artist="Duo", title="Two Copies", price_amount=900, stock=2,
                   first_seen_at=datetime(2025, 1, 1, tzinfo=UTC))
        for k, grade in enumerate(("VG+", "NM")):
            two.variations.append(ItemVariation(ecs_id=f"V9{k}", name=f"LP, Used {grade}", price_amount=900 + 100 * k,
                                                condition="used", media_grade=grade, ordinal=k))
        db.session.add(two)
        db.session.flush()
        for v in two.variations:
            db.session.add(StockLevel(variation_id=v.id, location_id=LOCATION, quantity=1))
        db.session.add(ItemDetail(item_id=ids[0], staff_pick="Our favourite."))
        db.session.commit()
        ids.append(two.id)
    return app, ids


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == ERROR_KEYS and body["status_code"] == status and body["details"]["request_id"]
    if code:
        assert body["error_code"] == code
    return body


def login(client, email: str, password: str = PASSWORD) -> dict:
    response = client.post(f"{BASE}/auth/login", json={"email_or_username": email, "password": password})
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


# --- products ------------------------------------------------------------------------------------

def test_products_list_with_total_skip_limit_and_the_product_shape(shop):
    app, (a, sold_out, b, two) = shop
    client = app.test_client()
    body = client.get(f"{BASE}/products").get_json()
    assert set(body) == {"products", "total", "skip", "limit"}
    assert (body["total"], body["skip"], body["limit"]) == (4, 0, 100)
    assert [p["id"] for p in body["products"]] == [b, sold_out, a, two]  # newest first
    first = next(p for p in body["products"] if p["id"] == a)
    assert first["price"] == "15.00" and first["currency"] == "USD" and first["sale_price"] is None
    assert (first["total_inventory"], first["available_inventory"], first["min_quantity"], first["max_quantity"]) \
        == (3, 3, 1, 3)
    assert first["availability"] == "in_stock" and first["is_featured"] is True
    gone = next(p for p in body["products"] if p["id"] == sold_out)
    assert gone["availability"] == "out_of_stock" and gone["max_quantity"] == 0 and gone["is_available"] is False
    page = client.get(f"{BASE}/products?skip=1&limit=2").get_json()
    assert [p["id"] for p in page["products"]] == [sold_out, a] and page["total"] == 4
    assert client.get(f"{BASE}/products?skip=10").get_json()["products"] == []
    featured = client.get(f"{BASE}/products?is_featured=true").get_json()
    assert [p["id"] for p in featured["products"]] == [a] and featured["total"] == 1
    assert client.get(f"{BASE}/products?is_featured=false").get_json()["total"] == 3
    assert [p["id"] for p in client.get(f"{BASE}/products?search=blue2").get_json()["products"]] == [b]
    assert client.get(f"{BASE}/products?search=nothingmatches").get_json() == {
        "products": [], "total": 0, "skip": 0, "limit": 100}


def test_product_detail_inventory_and_variants(shop):
    app, (a, _sold_out, _b, two) = shop
    client = app.test_client()
    product = client.get(f"{BASE}/products/{two}").get_json()
    assert [(v["media_grade"], v["price"], v["available_inventory"]) for v in product["variants"]] == [
        ("VG+", "9.00", 1), ("NM", "10.00", 1)]
    assert product["available_inventory"] == 2 and product["availability"] == "low_stock"
    assert client.get(f"{BASE}/products/{a}").get_json()["id"] == a
    assert_error(client.get(f"{BASE}/products/999999"), 404, "PRODUCT_NOT_FOUND")
    assert_error(client.get(f"{BASE}/products/99999999999"), 404)


@pytest.mark.parametrize("query", ["limit=1001", "limit=0", "skip=-1", "skip=x", "is_featured=maybe",
                                   "search=" + "x" * 201])
def test_bad_product_queries_are_422_in_the_error_shape(shop, query):
    app, _ids = shop
    body = assert_error(app.test_client().get(f"{BASE}/products?{query}"), 422, "VALIDATION_ERROR")
    assert body["details"]["fields"]


# --- the session cart ------------------------------------------------------------------------------

def test_cart_add_update_remove_and_clear(shop):
    app, (a, sold_out, b, two) = shop
    client = app.test_client()
    sid = session_id()
    empty = client.get(f"{BASE}/cart/{sid}").get_json()
    assert empty["items"] == [] and empty["subtotal"] == "0.00"
    added = client.post(f"{BASE}/cart/{sid}/items", json={"product_id": a, "quantity": 2})
    assert added.status_code == 201
    cart = added.get_json()
    assert [(i["product_id"], i["quantity"], i["unit_price"], i["line_total"]) for i in cart["items"]] == [
        (a, 2, "15.00", "30.00")]
    assert cart["subtotal"] == "30.00" and cart["item_count"] == 2 and cart["can_check_out"] is True

    too_many = client.post(f"{BASE}/cart/{sid}/items", json={"product_id": a, "quantity": 2})
    assert "1 more" in assert_error(too_many, 400, "INSUFFICIENT_INVENTORY")["message"]
    assert_error(client.post(f"{BASE}/cart/{sid}/items", json={"product_id": sold_out}), 400,
                 "INSUFFICIENT_INVENTORY")
    assert_error(client.post(f"{BASE}/cart/{sid}/items", json={"product_id": 424242}), 404, "PRODUCT_NOT_FOUND")
    assert_error(client.post(f"{BASE}/cart/{sid}/items", json={"product_id": "x"}), 422)
    assert_error(client.post(f"{BASE}/cart/{sid}/items", json={"product_id": a, "quantity": 0}), 422)

    updated = client.put(f"{BASE}/cart/{sid}/items/{a}", json={"quantity": 3})
    assert updated.status_code == 200 and updated.get_json()["items"][0]["quantity"] == 3
    assert_error(client.put(f"{BASE}/cart/{sid}/items/{a}", json={"quantity": 4}), 400, "INSUFFICIENT_INVENTORY")
    assert_error(client.put(f"{BASE}/cart/{sid}/items/{b}", json={"quantity": 1}), 404, "ITEM_NOT_IN_CART")

    # a product with two copies: each is its own line, named by variant_id
    with app.app_context():
        vg, nm = db.session.scalars(select(ItemVariation.id).where(ItemVariation.item_id == two)
                                    .order_by(ItemVariation.ordinal)).all()
    assert client.post(f"{BASE}/cart/{sid}/items", json={"product_id": two, "variant_id": nm}).status_code == 201
    assert client.post(f"{BASE}/cart/{sid}/items", json={"product_id": two, "variant_id": vg}).status_code == 201
    assert_error(client.delete(f"{BASE}/cart/{sid}/items/{two}"), 422)  # which one?
    left = client.delete(f"{BASE}/cart/{sid}/items/{two}?variant_id={nm}").get_json()
    assert sorted(i["variant_id"] for i in left["items"] if i["product_id"] == two) == [vg]
    assert_error(client.post(f"{BASE}/cart/{sid}/items", json={"product_id": a, "variant_id": vg}), 422)

    removed = client.delete(f"{BASE}/cart/{sid}/items/{a}").get_json()
    assert [i["product_id"] for i in removed["items"]] == [two]
    cleared = client.delete(f"{BASE}/cart/{sid}")
    assert cleared.status_code == 200 and cleared.get_json()["items"] == []


@pytest.mark.parametrize("bad", ["short", "a" * 129, "has.dots.in.it.0123456789"])
def test_guessable_or_malformed_session_ids_are_refused(shop, bad):
    app, (a, *_rest) = shop
    client = app.test_client()
    assert_error(client.post(f"{BASE}/cart/{bad}/items", json={"product_id": a}), 422)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Cart)) == 0


def test_a_customers_cart_is_not_readable_by_anyone_else_with_its_session_id(shop):
    app, (a, *_rest) = shop
    make_customer(app, "owner@example.com")
    client = app.test_client()
    bearer = {"Authorization": f"Bearer {login(client, 'owner@example.com')['access_token']}"}
    client.delete_cookie("customer_token", path=BASE)
    sid = session_id()
    assert client.post(f"{BASE}/cart/{sid}/items", json={"product_id": a}, headers=bearer).status_code == 201
    assert client.get(f"{BASE}/cart/{sid}", headers=bearer).get_json()["item_count"] == 1
    assert_error(app.test_client().get(f"{BASE}/cart/{sid}"), 404, "CART_NOT_FOUND")


# --- auth --------------------------------------------------------------------------------------------

def test_register_is_201_and_the_same_for_an_address_that_already_has_an_account(shop):
    app, _ids = shop
    make_customer(app, "taken@example.com")
    client = app.test_client()
    fresh = client.post(f"{BASE}/auth/register", json={"email": "new@example.com", "password": PASSWORD,
                                                         "name": "New Buyer"})
    taken = client.post(f"{BASE}/auth/register", json={"email": "taken@example.com", "password": PASSWORD,
                                                         "name": "Someone"})
    assert fresh.status_code == taken.status_code == 201
    assert fresh.get_json() == taken.get_json()  # nobody learns who shops here
    body = assert_error(client.post(f"{BASE}/auth/register", json={"email": "nope", "password": "x"}), 422)
    assert {f["field"] for f in body["details"]["fields"]} >= {"email", "password"}
    assert_error(client.post(f"{BASE}/auth/register", json={"password": PASSWORD}), 422)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 2


def test_login_returns_a_jwt_and_an_httponly_cookie_and_either_authenticates(shop):
    app, _ids = shop
    customer = make_customer(app, "jazz@example.com", name="Jazz Fan")
    client = app.test_client()
    response = client.post(f"{BASE}/auth/login", json={"email_or_username": "JAZZ@example.com ",
                                                         "password": PASSWORD})
    body = response.get_json()
    assert set(body) == {"access_token", "token_type", "expires_in", "user"}
    assert body["token_type"] == "bearer" and body["expires_in"] == app.config["API_TOKEN_TTL_SECONDS"]
    assert body["user"]["id"] == customer.id and body["user"]["email"] == "jazz@example.com"
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["aud"] == "shop:default" and claims["sub"] == str(customer.id)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("customer_token=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert f"Path={BASE}" in cookie and "Secure" not in cookie  # Secure in production only

    assert client.get(f"{BASE}/auth/me").get_json()["user"]["email"] == "jazz@example.com"  # the cookie
    bare = app.test_client()
    assert_error(bare.get(f"{BASE}/auth/me"), 401, "UNAUTHORIZED")
    me = bare.get(f"{BASE}/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200


def test_wrong_credentials_are_one_401_and_logout_revokes_the_token(shop):
    app, _ids = shop
    make_customer(app, "spin@example.com")
    make_customer(app, "unconfirmed@example.com", confirmed=False)
    client = app.test_client()
    for login_name, password in (("spin@example.com", "wrong-password"), ("nobody@example.com", PASSWORD),
                                 ("unconfirmed@example.com", PASSWORD)):
        response = client.post(f"{BASE}/auth/login", json={"email_or_username": login_name, "password": password})
        assert_error(response, 401)
    token = login(client, "spin@example.com")["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    logout = client.post(f"{BASE}/auth/logout", headers=bearer)
    assert logout.status_code == 200 and "customer_token=;" in logout.headers["Set-Cookie"]
    assert_error(app.test_client().get(f"{BASE}/auth/me", headers=bearer), 401)  # revoked, not just forgotten
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.revoked_at.is_(None))) == 0
    assert client.post(f"{BASE}/auth/logout", headers=bearer).status_code == 200  # twice is fine


def test_forged_expired_and_other_shops_tokens_are_refused(shop):
    app, _ids = shop
    customer = make_customer(app, "forge@example.com")
    client = app.test_client()
    real = login(client, "forge@example.com")["access_token"]
    claims = jwt.decode(real, options={"verify_signature": False})
    with app.app_context():
        other_shop_key = tokens._key("another-shop")
        own_key = tokens._key("default")
    forged = {
        "other shop's key and audience": jwt.encode({**claims, "aud": "shop:another-shop"}, other_shop_key),
        "other shop's key, our audience": jwt.encode(claims, other_shop_key),
        "alg none": jwt.encode(claims, None, algorithm="none"),
        "someone else's sub": jwt.encode({**claims, "sub": str(customer.id + 1)}, own_key),
        "expired": jwt.encode({**claims, "exp": datetime.now(UTC) - timedelta(seconds=5)}, own_key),
        "garbage": "not.a.jwt",
        "huge": "x" * 5000,
    }
    for name, token in forged.items():
        response = app.test_client().get(f"{BASE}/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, name


def test_cookie_authenticated_writes_must_come_from_this_site(shop):
    app, (a, *_rest) = shop
    make_customer(app, "csrf@example.com")
    client = app.test_client()
    login(client, "csrf@example.com")
    sid = session_id()
    evil = client.post(f"{BASE}/cart/{sid}/items", json={"product_id": a},
                       headers={"Origin": "https://evil.example"})
    assert_error(evil, 403, "CROSS_SITE_REQUEST")
    assert_error(client.post(f"{BASE}/cart/{sid}/items", json={"product_id": a}), 403)  # no Origin at all
    ok = client.post(f"{BASE}/cart/{sid}/items", json={"product_id": a}, headers={"Origin": "http://localhost"})
    assert ok.status_code == 201
    assert client.get(f"{BASE}/cart/{sid}").status_code == 200  # reads need no Origin


# --- orders ------------------------------------------------------------------------------------------

def test_orders_need_a_customer_and_another_customers_order_is_404(shop):
    app, _ids = shop
    alice, bob = make_customer(app, "alice@example.com"), make_customer(app, "bob@example.com")
    with app.app_context():
        for n, who in enumerate((alice, alice, bob)):
            db.session.add(Order(number=f"GC-TEST-{n}", email=who.email, customer_id=who.id, status="paid",
                                 currency="USD", subtotal_amount=1000 * (n + 1), total_amount=1000 * (n + 1),
                                 checkout_key=f"k{n}", idempotency_key=f"i{n}"))
        db.session.commit()
        bobs = db.session.scalar(select(Order.id).where(Order.customer_id == bob.id))
    client = app.test_client()
    assert_error(client.get(f"{BASE}/orders"), 401)
    bearer = {"Authorization": f"Bearer {login(client, 'alice@example.com')['access_token']}"}
    listed = client.get(f"{BASE}/orders?limit=1", headers=bearer).get_json()
    assert listed["total"] == 2 and len(listed["orders"]) == 1 and listed["limit"] == 1
    second = client.get(f"{BASE}/orders?skip=1&limit=5", headers=bearer).get_json()["orders"]
    assert len(second) == 1 and second[0]["id"] != listed["orders"][0]["id"]
    own = listed["orders"][0]
    by_id = client.get(f"{BASE}/orders/{own['id']}", headers=bearer)
    assert by_id.status_code == 200 and by_id.get_json()["number"] == own["number"]
    assert client.get(f"{BASE}/orders/{own['number']}", headers=bearer).get_json()["id"] == own["id"]
    assert_error(client.get(f"{BASE}/orders/{bobs}", headers=bearer), 404, "ORDER_NOT_FOUND")
    assert_error(client.get(f"{BASE}/orders/GC-TEST-2", headers=bearer), 404, "ORDER_NOT_FOUND")
    assert_error(client.get(f"{BASE}/orders?limit=1001", headers=bearer), 422)


def test_an_order_from_an_empty_or_unknown_cart_is_refused(shop):
    app, _ids = shop
    client = app.test_client()
    assert_error(client.post(f"{BASE}/orders", json={"session_id": session_id(), "email": "g@example.com"}), 422)
    assert_error(client.post(f"{BASE}/orders", json={"email": "g@example.com"}), 422)
    bad = client.post(f"{BASE}/orders", json={"session_id": session_id(), "billing_address": {"country": "XX"}})
    assert any(f["field"].startswith("billing_address.") for f in assert_error(bad, 422)["details"]["fields"])
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0


def test_a_guest_checks_out_a_session_cart_and_pays_on_the_hosted_page(live_shop, sandbox):
    app, base = live_shop
    (v1, _e1, _s1), (v2, _e2, _s2) = two_records_in_stock(app)
    with app.app_context():
        p1, p2 = (db.session.get(ItemVariation, v).item_id for v in (v1, v2))
    sid = session_id()
    for product, variant in ((p1, v1), (p2, v2)):
        added = requests.post(f"{base}{BASE}/cart/{sid}/items", json={"product_id": product, "variant_id": variant})
        assert added.status_code == 201, added.text
    cart = requests.get(f"{base}{BASE}/cart/{sid}").json()
    body = {"session_id": sid, "email": "Vinyl.Guest@example.com",
            "shipping_address": {"name": "Ada", "line1": "1 Main St", "city": "Springfield", "region": "IL",
                                 "postcode": "62701", "country": "US"},
            "billing_address": {"name": "Ada", "line1": "1 Main St", "city": "Springfield", "region": "IL",
                                "postcode": "62701", "country": "US"}}
    created = requests.post(f"{base}{BASE}/orders", json=body)
    assert created.status_code == 201, created.text
    order = created.json()["order"]
    assert order["status"] == "pending_payment" and created.json()["payment_url"].startswith("http")
    assert order["subtotal"]["amount"] / 100 == float(cart["subtotal"])  # charged what was shown
    again = requests.post(f"{base}{BASE}/orders", json=body)  # a retry gives the same order and link
    assert again.json()["order"]["id"] == order["id"] and again.json()["payment_url"] == created.json()["payment_url"]
    assert pay(requests.Session(), created.json()["payment_url"], SUCCESS_CARD).status_code == 303
    wait_for(lambda: order_status(app, order["number"]) == "paid")
    with app.app_context():
        saved = db.session.get(Order, order["id"])
        assert saved.email == "vinyl.guest@example.com" and saved.customer_id is None


# --- content pages -----------------------------------------------------------------------------------

def test_content_pages_navigation_and_a_page(shop):
    app, _ids = shop
    with app.app_context():
        for slug, title, header, footer, published, order in (
                ("about", "About", True, True, True, 1), ("grading", "Grading", False, True, True, 2),
                ("secret", "Secret", True, True, False, 3)):
            source = "# Hi\n<script>x()</script>"
            db.session.add(ContentPage(slug=slug, title=title, body=source, body_format="markdown",
                                       body_html=render_body(source, "markdown"),
                                       show_in_header=header, show_in_footer=footer, published=published,
                                       display_order=order, meta_description=f"{title} page"))
        db.session.commit()
    client = app.test_client()
    assert client.get(f"{BASE}/content-pages/navigation").get_json() == {
        "header": [{"slug": "about", "title": "About"}],
        "footer": [{"slug": "about", "title": "About"}, {"slug": "grading", "title": "Grading"}]}
    page = client.get(f"{BASE}/content-pages/about").get_json()
    assert page["title"] == "About" and page["meta_description"] == "About page"
    assert "<h2>Hi</h2>" in page["content"] and "script" not in page["content"]
    assert_error(client.get(f"{BASE}/content-pages/secret"), 404)
    assert_error(client.get(f"{BASE}/content-pages/none"), 404)


# --- limits and shape ------------------------------------------------------------------------------

def test_rate_limits_per_ip_per_customer_and_for_search_with_headers(shop):
    app, _ids = shop
    app.config.update(SHOP_API_RATE_LIMIT="5 per minute", SHOP_API_CUSTOMER_RATE_LIMIT="8 per minute",
                      SHOP_API_SEARCH_RATE_LIMIT="2 per minute")
    make_customer(app, "busy@example.com")
    client = app.test_client()
    first = client.get(f"{BASE}/products")
    assert first.headers["X-RateLimit-Limit"] == "5" and "X-RateLimit-Remaining" in first.headers
    for _ in range(4):
        assert client.get(f"{BASE}/content-pages/navigation").status_code == 200
    assert_error(client.get(f"{BASE}/products"), 429, "RATE_LIMITED")
    token = tokens_for(app, "busy@example.com")
    signed_in = {"Authorization": f"Bearer {token}"}
    for _ in range(8):  # a signed-in customer has their own, larger budget
        assert client.get(f"{BASE}/auth/me", headers=signed_in).status_code == 200
    assert_error(client.get(f"{BASE}/auth/me", headers=signed_in), 429)
    other_ip = app.test_client()
    env = {"REMOTE_ADDR": "10.9.9.9"}
    assert other_ip.get(f"{BASE}/products?search=blue1", environ_base=env).status_code == 200
    assert other_ip.get(f"{BASE}/products?search=blue1", environ_base=env).status_code == 200
    assert_error(other_ip.get(f"{BASE}/products?search=blue1", environ_base=env), 429)
    assert other_ip.get(f"{BASE}/products", environ_base=env).status_code == 200  # browsing still works


def tokens_for(app, email: str) -> str:
    with app.app_context():
        customer = db.session.scalar(select(Customer).where(Customer.email == email))
        return tokens.mint(customer.id).token


def test_errors_never_use_the_shops_other_envelope(shop):
    app, _ids = shop
    client = app.test_client()
    assert_error(client.get(f"{BASE}/no-such-thing"), 404)
    assert_error(client.post(f"{BASE}/cart/{session_id()}/items", data="{", content_type="application/json"), 400)
    assert_error(client.post(f"{BASE}/cart/{session_id()}/items", data="x", content_type="text/plain"), 415)
    assert_error(client.patch(f"{BASE}/products"), 405)
    assert re.fullmatch(r"[0-9a-f-]+", client.get(f"{BASE}/products").headers["X-Request-ID"])
