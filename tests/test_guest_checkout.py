"""Selling to anyone: guest checkout on the pages and the API, delivery zones and rates, coupons and the
shop's tax sent to the ECS (which computes what is charged), your own hold never blocking you, and
the order page for its owner. Over real HTTP against the sandbox."""

from __future__ import annotations

import json
import re

import requests
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from storefront.coupons.models import Coupon
from storefront.ecs.client import SquareClient
from storefront.extensions import db
from storefront.notifications.models import OutboundEmail
from storefront.orders.models import Order, StockHold
from storefront.shipping.models import ShippingMethod, ShippingZone
from tests.support.checkout import (
    SUCCESS_CARD,
    order_status,
    page_login,
    pay,
    register_and_login,
    two_records_in_stock,
    wait_for,
)
from tests.support.ecs import SANDBOX_TOKEN

UK_ADDRESS = {"name": "Ada Lovelace", "line1": "12 St James's Square", "line2": "", "city": "London",
              "region": "", "postcode": "sw1y 4jh", "country": "GB", "phone": ""}


def _zones(app) -> dict[str, int]:
    with app.app_context():
        uk = ShippingZone(name="UK", countries="GB", position=0)
        uk.methods.append(ShippingMethod(name="Royal Mail Tracked", kind="per_unit", amount=500, additional_amount=100))
        pickup = ShippingMethod(name="Collect from the shop", kind="pickup")
        db.session.add_all([uk, pickup])
        db.session.commit()
        return {"uk": uk.methods[0].id, "pickup": pickup.id}


def _coupon(app, code: str = "SPIN10", **extra) -> None:
    with app.app_context():
        db.session.add(Coupon(code=code, kind=extra.pop("kind", "percent"), percent=extra.pop("percent", 10),
                              currency="USD", **extra))
        db.session.commit()


def _guest_cart(base: str, *variations: tuple[int, int]) -> str:
    cart = requests.post(f"{base}/api/v1/cart").json()["cart_token"]
    for variation_id, quantity in variations:
        added = requests.post(f"{base}/api/v1/cart/items", json={"variation_id": variation_id, "quantity": quantity},
                              headers={"X-Cart-Token": cart})
        assert added.status_code == 200, added.text
    return cart


def _ecs_order(sandbox, order_id: str) -> dict:
    return SquareClient(sandbox.base_url, SANDBOX_TOKEN).retrieve_order(order_id)


def test_a_guest_buys_over_the_api_with_delivery_coupon_and_tax_charged_by_the_ecs(live_shop, sandbox):
    app, base = live_shop
    app.config.update(TAX_PERCENT="8.875", TAX_NAME="NY sales tax")
    methods = _zones(app)
    _coupon(app)
    (v1, _e1, _), (v2, _e2, _) = two_records_in_stock(app)
    cart = _guest_cart(base, (v1, 1), (v2, 1))
    body = {"cart_token": cart, "email": "Guest@Example.com", "shipping_address": UK_ADDRESS,
            "shipping_method_id": methods["uk"], "coupon_code": "spin10"}

    quoted = requests.post(f"{base}/api/v1/checkout/quote", json=body).json()
    assert [r["name"] for r in quoted["rates"]] == ["Royal Mail Tracked", "Collect from the shop"]
    assert quoted["shipping"]["amount"] == 600 and quoted["computed_by_ecs"] is True
    assert quoted["discount"]["amount"] > 0 and quoted["tax"]["amount"] > 0 and quoted["problems"] == []

    created = requests.post(f"{base}/api/v1/checkout", json=body)
    assert created.status_code == 201, created.text
    number = created.json()["order"]["number"]
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.number == number))
        assert order.customer_id is None and order.email == "guest@example.com"
        assert order.shipping_address["postcode"] == "SW1Y 4JH" and order.shipping_amount == 600
        assert order.coupon_code == "SPIN10"
        ecs_order_id, total, tax, discount = order.ecs_order_id, order.total_amount, order.tax_amount, \
            order.discount_amount
    ecs_order = _ecs_order(sandbox, ecs_order_id)
    assert ecs_order["total_money"]["amount"] == total == quoted["total"]["amount"]  # charged what was shown
    assert ecs_order["total_tax_money"]["amount"] == tax and ecs_order["total_discount_money"]["amount"] == discount
    assert [d["name"] for d in ecs_order["discounts"]][0].upper().endswith("SPIN10")

    again = requests.post(f"{base}/api/v1/checkout", json=body)  # Back, then "check out" again
    assert again.status_code == 201 and again.json()["payment_url"] == created.json()["payment_url"]
    http = requests.Session()
    assert pay(http, created.json()["payment_url"], SUCCESS_CARD).status_code == 303
    wait_for(lambda: order_status(app, number) == "paid")

    def confirmation_body() -> str | None:
        with app.app_context():
            db.session.remove()
            return db.session.scalar(select(OutboundEmail.body).where(OutboundEmail.kind == "order_confirmation"))

    wait_for(lambda: confirmation_body() is not None)  # queued just after the order turns paid
    link = re.search(r"(http://\S+/orders/status/\S+)", confirmation_body()).group(1)
    page = http.get(link)
    text = BeautifulSoup(page.text, "html.parser").get_text(" ")
    assert "St James's Square" in text and "Royal Mail Tracked" in text and "NY sales tax" in text
    assert "SPIN10" in text
    thumbs = [img["src"] for img in BeautifulSoup(page.text, "html.parser").select("#order-detail img")]
    assert len(thumbs) == 2 and all(src.startswith("/media/ecs/") for src in thumbs)  # each record's cover


def test_your_own_hold_never_blocks_you_and_a_changed_cart_deletes_the_old_link(live_shop, sandbox):
    app, base = live_shop
    (v1, ecs1, _), (v2, _e2, _) = two_records_in_stock(app)
    sandbox.control("POST", f"inventory/{ecs1}", json={"quantity": 1})
    wait_for(lambda: _stock(app, v1) == 1)
    http = requests.Session()
    token = register_and_login(app, base, http, "last@example.com")
    auth = {"Authorization": f"Bearer {token}"}
    cart = _guest_cart(base, (v1, 1))
    first = http.post(f"{base}/api/v1/checkout", json={"cart_token": cart}, headers=auth)
    assert first.status_code == 201, first.text

    view = http.get(f"{base}/api/v1/cart", headers={"X-Cart-Token": cart}).json()["cart"]
    assert view["can_check_out"] is True and not view.get("problems")  # not "sold out": the hold is ours
    again = http.post(f"{base}/api/v1/checkout", json={"cart_token": cart}, headers=auth)
    assert again.status_code == 201
    assert again.json()["order"]["number"] == first.json()["order"]["number"]
    assert again.json()["payment_url"] == first.json()["payment_url"]

    http.post(f"{base}/api/v1/cart/items", json={"variation_id": v2, "quantity": 1}, headers={"X-Cart-Token": cart})
    changed = http.post(f"{base}/api/v1/checkout", json={"cart_token": cart}, headers=auth)
    assert changed.status_code == 201, changed.text
    assert changed.json()["order"]["number"] != first.json()["order"]["number"]
    with app.app_context():
        old = db.session.scalar(select(Order).where(Order.number == first.json()["order"]["number"]))
        assert old.status == "cancelled"
        link_id, ecs_order_id = old.payment_link_id, old.ecs_order_id
        assert db.session.scalar(select(StockHold.held).where(StockHold.variation_id == v1)) == 1  # the new order's
    gone = requests.get(f"{sandbox.base_url}/v2/online-checkout/payment-links/{link_id}",
                        headers={"Authorization": f"Bearer {SANDBOX_TOKEN}"})
    assert gone.status_code == 404 and _ecs_order(sandbox, ecs_order_id)["state"] == "CANCELED"
    assert http.get(f"{base}/api/v1/orders/{changed.json()['order']['number']}", headers=auth).status_code == 200


def _stock(app, variation_id: int) -> int | None:
    from storefront.catalog.models import StockLevel

    with app.app_context():
        db.session.remove()
        return db.session.scalar(select(StockLevel.quantity).where(StockLevel.variation_id == variation_id))


def test_guest_checkout_pages_ask_for_email_and_address_and_explain_problems(live_shop, sandbox):
    app, base = live_shop
    methods = _zones(app)
    (v1, _e1, _), _ = two_records_in_stock(app)
    http = requests.Session()
    page = http.get(f"{base}/catalog")
    token = json.loads(BeautifulSoup(page.text, "html.parser").body["hx-headers"])["X-CSRFToken"]
    added = http.post(f"{base}/cart/add", data={"csrf_token": token, "variation_id": v1}, allow_redirects=False)
    assert added.status_code == 303
    checkout = http.get(f"{base}/checkout")
    assert checkout.status_code == 200  # no login wall
    soup = BeautifulSoup(checkout.text, "html.parser")
    assert soup.find("input", {"name": "email"}) is not None and "Log in" in soup.get_text()
    token = soup.find("input", {"name": "csrf_token"})["value"]

    missing = http.post(f"{base}/checkout", data={"csrf_token": token, "country": "GB"})
    assert missing.status_code == 400
    assert "Enter the email address" in missing.text
    nowhere = http.post(f"{base}/checkout", data={"csrf_token": token, "email": "g@example.com",
                                                 **{**UK_ADDRESS, "country": "FR"},
                                                 "shipping_method": methods["uk"]})
    assert nowhere.status_code == 400
    shown = BeautifulSoup(nowhere.text, "html.parser").find(id="checkout-form").get_text(" ")
    assert "we don't ship there yet" in shown.lower(), shown
    quote = http.post(f"{base}/checkout/quote", data={"csrf_token": token, **UK_ADDRESS},
                      headers={"HX-Request": "true"})
    assert "Royal Mail Tracked" in quote.text and "$5.00" in quote.text
    paid = http.post(f"{base}/checkout", data={"csrf_token": token, "email": "g@example.com", **UK_ADDRESS,
                                              "shipping_method": methods["uk"]}, allow_redirects=False)
    assert paid.status_code == 303 and paid.headers["Location"].startswith(sandbox.base_url)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order).where(Order.customer_id.is_(None))) == 1


def test_an_order_page_is_its_owners_only(live_shop, sandbox):
    app, base = live_shop
    (v1, _e1, _), _ = two_records_in_stock(app)
    owner, other = requests.Session(), requests.Session()
    owner_token = register_and_login(app, base, owner, "owner@example.com")
    other_token = register_and_login(app, base, other, "other@example.com")
    cart = _guest_cart(base, (v1, 1))
    number = owner.post(f"{base}/api/v1/checkout", json={"cart_token": cart},
                        headers={"Authorization": f"Bearer {owner_token}"}).json()["order"]["number"]
    mine = owner.get(f"{base}/api/v1/orders/{number}", headers={"Authorization": f"Bearer {owner_token}"})
    assert mine.status_code == 200 and mine.json()["order"]["payment_url"]
    theirs = other.get(f"{base}/api/v1/orders/{number}", headers={"Authorization": f"Bearer {other_token}"})
    assert theirs.status_code == 404
    assert other.get(f"{base}/account/orders/{number}", allow_redirects=False).status_code in (302, 303)
    page_login(other, base, "other@example.com")
    assert other.get(f"{base}/account/orders/{number}").status_code == 404
    page_login(owner, base, "owner@example.com")
    page = owner.get(f"{base}/account/orders/{number}")
    assert page.status_code == 200 and "Pay now" in page.text


def test_a_checkout_never_hangs_on_a_failing_ecs_and_leaves_nothing_half_done(live_shop, sandbox):
    app, base = live_shop
    app.config.update(ECS_MAX_RETRIES=50, ECS_WEB_DEADLINE_SECONDS=1.5)  # many retries allowed, little time
    (v1, _e1, _), _ = two_records_in_stock(app)
    cart = _guest_cart(base, (v1, 1))
    app.extensions.pop("ecs_client_web", None)
    sandbox.control("POST", "faults", json={"rules": [
        {"path_prefix": "/v2/inventory", "kind": "server_error", "times": 1000}]})
    refused = requests.post(f"{base}/api/v1/checkout", json={"cart_token": cart, "email": "g@example.com"},
                            timeout=30)
    assert refused.status_code == 503
    assert "try again" in refused.json()["error"]["message"].lower()
    sandbox.control("DELETE", "faults")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 0
        assert (db.session.scalar(select(func.sum(StockHold.held))) or 0) == 0
    assert requests.post(f"{base}/api/v1/checkout", json={"cart_token": cart, "email": "g@example.com"},
                         timeout=30).status_code == 201
