"""Twenty shoppers, one copy left: exactly one order gets it; stock never goes negative."""

from __future__ import annotations

import threading

import requests
from sqlalchemy import func, select

from storefront.apitokens.services import issue_token
from storefront.catalog.models import Item, ItemVariation, StockLevel
from storefront.extensions import db
from storefront.orders.models import Order, StockHold

SHOPPERS = 20


def test_twenty_concurrent_checkouts_for_the_last_unit(live_shop, sandbox):
    app, base = live_shop
    from storefront.accounts.services import ensure_customer

    with app.app_context():
        variation_id, ecs_id = db.session.execute(
            select(ItemVariation.id, ItemVariation.ecs_id).join(Item).join(StockLevel)
            .where(Item.kind == "record", StockLevel.quantity > 0).order_by(ItemVariation.id).limit(1)).one()
        tokens = []
        for i in range(SHOPPERS):
            customer, _ = ensure_customer(f"racer{i}@example.com", name=f"Racer {i}",
                                          password="vinyl-crate-digger-2026")
            tokens.append(issue_token("customer", customer.id, 600).token)
    sandbox.control("POST", f"inventory/{ecs_id}", json={"quantity": 1})
    with app.app_context():  # the webhook for that change may lag; the checkout reads live ECS stock anyway
        level = db.session.scalar(select(StockLevel).where(StockLevel.variation_id == variation_id))
        level.quantity = 1
        db.session.commit()

    carts = []
    for _ in range(SHOPPERS):
        cart = requests.post(f"{base}/api/v1/cart").json()["cart_token"]
        added = requests.post(f"{base}/api/v1/cart/items", json={"variation_id": variation_id, "quantity": 1},
                              headers={"X-Cart-Token": cart})
        assert added.status_code == 200, added.text
        carts.append(cart)

    barrier = threading.Barrier(SHOPPERS)
    statuses: list[int] = []
    lock = threading.Lock()

    def checkout(i: int) -> None:
        barrier.wait()
        response = requests.post(f"{base}/api/v1/checkout", json={"cart_token": carts[i]},
                                 headers={"Authorization": f"Bearer {tokens[i]}"}, timeout=60)
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=checkout, args=(i,)) for i in range(SHOPPERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)

    assert statuses.count(201) == 1, statuses
    assert statuses.count(409) == SHOPPERS - 1, statuses
    with app.app_context():
        db.session.remove()
        assert db.session.scalar(select(func.count()).select_from(Order)) == 1
        assert db.session.scalar(select(StockHold.held).where(StockHold.variation_id == variation_id)) == 1
        assert db.session.scalar(select(func.min(StockLevel.quantity))) >= 0
    assert sandbox.inventory()[ecs_id] == 1  # nothing is sold until payment
    assert min(sandbox.inventory().values()) >= 0
