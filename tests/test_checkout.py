"""Cart → checkout → hosted payment on the sandbox → webhook → paid, over real HTTP end to end."""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import timedelta

import requests
from sqlalchemy import func, select

from storefront.ecs.signature import sign
from storefront.extensions import db
from storefront.orders.models import Order, Reservation, StockHold
from tests.support.checkout import (
    DECLINE_CARD,
    SUCCESS_CARD,
    order_status,
    pay,
    register_and_login,
    two_records_in_stock,
    wait_for,
)
from tests.support.ecs import SANDBOX_SIGNATURE_KEY


def test_register_cart_checkout_pay_webhook_paid_lookup_history(live_shop, sandbox):
    app, base = live_shop
    http = requests.Session()
    token = register_and_login(app, base, http, "buyer@example.com")
    auth = {"Authorization": f"Bearer {token}"}
    (v1, ecs1, stock1), (v2, ecs2, stock2) = two_records_in_stock(app)

    cart = http.post(f"{base}/api/v1/cart").json()["cart_token"]
    cart_headers = {"X-Cart-Token": cart}
    assert http.post(f"{base}/api/v1/cart/items", json={"variation_id": v1, "quantity": 1},
                     headers=cart_headers).status_code == 200
    added = http.post(f"{base}/api/v1/cart/items", json={"variation_id": v2, "quantity": 2}, headers=cart_headers)
    assert added.json()["cart"]["count"] == 3

    checkout = http.post(f"{base}/api/v1/checkout", json={"cart_token": cart}, headers=auth)
    assert checkout.status_code == 201, checkout.text
    number, payment_url = checkout.json()["order"]["number"], checkout.json()["payment_url"]
    assert checkout.json()["order"]["status"] == "pending_payment"

    paid = pay(http, payment_url, SUCCESS_CARD)
    assert paid.status_code in (302, 303)
    assert paid.headers["Location"].startswith(f"{base}/orders/confirmation/")
    wait_for(lambda: order_status(app, number) == "paid")

    stock = sandbox.inventory()
    assert stock[ecs1] == stock1 - 1 and stock[ecs2] == stock2 - 2  # decremented exactly once
    confirmation = http.get(paid.headers["Location"])
    assert "Paid" in confirmation.text

    status = http.get(f"{base}/api/v1/order/status", params={"number": number, "email": "BUYER@example.com"})
    assert status.status_code == 200 and status.json()["order"]["status"] == "paid"
    history = http.get(f"{base}/api/v1/orders/history", headers=auth).json()
    assert [o["number"] for o in history["orders"]] == [number]
    with app.app_context():
        assert db.session.scalar(select(func.sum(StockHold.held))) == 0  # holds handed back once paid
        from storefront.notifications.models import OutboundEmail

        email = db.session.scalar(select(OutboundEmail).where(OutboundEmail.kind == "order_confirmation"))
        link = re.search(r"(http://\S+/orders/status/\S+)", email.body).group(1)
    assert number in email.body
    assert number in http.get(link).text  # the signed link opens the order without a login


def test_declined_card_leaves_the_order_unpaid_and_expiry_releases_the_hold(live_shop, sandbox):
    app, base = live_shop
    http = requests.Session()
    token = register_and_login(app, base, http, "decline@example.com")
    (v1, ecs1, stock1), _ = two_records_in_stock(app)
    cart = http.post(f"{base}/api/v1/cart").json()["cart_token"]
    http.post(f"{base}/api/v1/cart/items", json={"variation_id": v1, "quantity": 1}, headers={"X-Cart-Token": cart})
    checkout = http.post(f"{base}/api/v1/checkout", json={"cart_token": cart},
                         headers={"Authorization": f"Bearer {token}"}).json()
    number = checkout["order"]["number"]

    declined = pay(http, checkout["payment_url"], DECLINE_CARD)
    assert declined.status_code == 402 and "declined" in declined.text.lower()
    time.sleep(1)
    assert order_status(app, number) == "pending_payment"
    assert sandbox.inventory()[ecs1] == stock1
    with app.app_context():
        assert db.session.scalar(select(StockHold.held).where(StockHold.variation_id == v1)) == 1
        order = db.session.scalar(select(Order).where(Order.number == number))
        order.reserved_until = order.reserved_until - timedelta(hours=1)
        db.session.commit()
        from jobs.orders import expire_unpaid_orders

        assert expire_unpaid_orders() == 1
        assert db.session.scalar(select(Order.status).where(Order.number == number)) == "expired"
        assert db.session.scalar(select(StockHold.held).where(StockHold.variation_id == v1)) == 0
        assert db.session.scalar(select(func.count()).select_from(Reservation)
                                 .where(Reservation.released_at.is_(None))) == 0


def test_double_submit_and_replayed_payment_webhook_give_one_link_and_one_decrement(live_shop, sandbox):
    app, base = live_shop
    http = requests.Session()
    token = register_and_login(app, base, http, "double@example.com")
    auth = {"Authorization": f"Bearer {token}"}
    (v1, ecs1, stock1), _ = two_records_in_stock(app)
    cart = http.post(f"{base}/api/v1/cart").json()["cart_token"]
    http.post(f"{base}/api/v1/cart/items", json={"variation_id": v1, "quantity": 1}, headers={"X-Cart-Token": cart})

    results: list[requests.Response] = []
    barrier = threading.Barrier(3)

    def submit() -> None:
        barrier.wait()
        results.append(requests.post(f"{base}/api/v1/checkout", json={"cart_token": cart}, headers=auth))

    threads = [threading.Thread(target=submit) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert {r.status_code for r in results} == {201}
    assert len({r.json()["payment_url"] for r in results}) == 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1

    pay(http, results[0].json()["payment_url"], SUCCESS_CARD)
    number = results[0].json()["order"]["number"]
    wait_for(lambda: order_status(app, number) == "paid")
    sandbox.control("POST", "webhooks/drain", json={"timeout": 10})
    with app.app_context():
        from storefront.webhooks.models import WebhookEvent

        payloads = [e.payload for e in db.session.scalars(
            select(WebhookEvent).where(WebhookEvent.event_type == "payment.updated"))]
    assert payloads
    url = f"{base}/webhooks/square"
    for i in range(3):  # the same event again, and the same content under new event ids
        payload = dict(payloads[0], event_id=payloads[0]["event_id"] if i == 0 else f"replay-{i}")
        raw = json.dumps(payload).encode()
        replay = requests.post(url, data=raw, headers={
            "Content-Type": "application/json",
            "x-square-hmacsha256-signature": sign(SANDBOX_SIGNATURE_KEY, url, raw)})
        assert replay.status_code == 200
    time.sleep(1)
    assert order_status(app, number) == "paid"
    assert sandbox.inventory()[ecs1] == stock1 - 1
