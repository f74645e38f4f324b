"""Shopping over real HTTP as a customer would: register, check out, pay on the sandbox's page."""

from __future__ import annotations

import re
import time

import requests
from bs4 import BeautifulSoup
from sqlalchemy import select

from storefront.extensions import db
from storefront.orders.models import Order

PASSWORD = "a-long-and-unusual-passphrase"
SUCCESS_CARD = "4111 1111 1111 1111"
DECLINE_CARD = "4000 0000 0000 0002"


def register_and_login(app, base: str, http: requests.Session, email: str) -> str:
    response = http.post(f"{base}/api/v1/customer/register",
                         json={"email": email, "name": "Record Buyer", "password": PASSWORD})
    assert response.status_code == 202, response.text
    with app.app_context():
        from storefront.notifications.models import OutboundEmail

        body = db.session.scalar(select(OutboundEmail.body).where(OutboundEmail.to == email)
                                 .order_by(OutboundEmail.id.desc()).limit(1))
    token = re.search(r"/account/confirm/([A-Za-z0-9._\-]+)", body).group(1)
    assert http.post(f"{base}/api/v1/customer/confirm", json={"token": token}).status_code == 200
    login = http.post(f"{base}/api/v1/customer/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return login.json()["token"]


def two_records_in_stock(app) -> list[tuple[int, str, int]]:
    """(variation id, variation ECS id, stock) for two different in-stock records."""
    from storefront.catalog.models import Item, ItemVariation, StockLevel

    with app.app_context():
        rows = db.session.execute(
            select(ItemVariation.id, ItemVariation.ecs_id, StockLevel.quantity)
            .join(Item, Item.id == ItemVariation.item_id).join(StockLevel, StockLevel.variation_id == ItemVariation.id)
            .where(Item.kind == "record", Item.is_deleted.is_(False), StockLevel.quantity >= 2)
            .order_by(ItemVariation.id).limit(2)).all()
    assert len(rows) == 2
    return [tuple(r) for r in rows]


def pay(http: requests.Session, payment_url: str, card: str) -> requests.Response:
    """Fill in the sandbox's hosted checkout form like a shopper would."""
    page = http.get(payment_url)
    assert page.status_code == 200
    form = BeautifulSoup(page.text, "html.parser").find("form")
    fields = {i["name"]: i.get("value", "") for i in form.find_all("input") if i.get("name")}
    card_field = next(name for name in fields if "card" in name or "number" in name)
    fields[card_field] = card
    for name in fields:
        if "exp" in name and not fields[name]:
            fields[name] = "12/30"
        if "cvv" in name or "cvc" in name:
            fields[name] = fields[name] or "123"
        if "postal" in name or "zip" in name:
            fields[name] = fields[name] or "94103"
    action = requests.compat.urljoin(payment_url, form.get("action") or payment_url)
    return http.post(action, data=fields, allow_redirects=False)


def wait_for(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


def order_status(app, number: str) -> str:
    with app.app_context():
        db.session.remove()
        return db.session.scalar(select(Order.status).where(Order.number == number))


def page_login(http: requests.Session, base: str, email: str, password: str = PASSWORD) -> None:
    """Sign in on the shop's login page (a browser session, as opposed to an API token)."""
    page = http.get(f"{base}/account/login")
    token = BeautifulSoup(page.text, "html.parser").find("input", {"name": "csrf_token"})["value"]
    done = http.post(f"{base}/account/login", data={"csrf_token": token, "email": email, "password": password},
                     allow_redirects=False)
    assert done.status_code == 303, done.text


def customer_checkout(app, base: str, email: str, variations: list[int]) -> tuple[requests.Session, dict]:
    """Register ``email``, put one of each variation in a cart and check out over the API:
    (the shopper's session, the checkout answer with ``order`` and ``payment_url``)."""
    http = requests.Session()
    token = register_and_login(app, base, http, email)
    cart = http.post(f"{base}/api/v1/cart").json()["cart_token"]
    for variation_id in variations:
        added = http.post(f"{base}/api/v1/cart/items", json={"variation_id": variation_id, "quantity": 1},
                          headers={"X-Cart-Token": cart})
        assert added.status_code == 200, added.text
    checkout = http.post(f"{base}/api/v1/checkout", json={"cart_token": cart},
                         headers={"Authorization": f"Bearer {token}"})
    assert checkout.status_code == 201, checkout.text
    return http, checkout.json()
