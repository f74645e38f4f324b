"""Order-status lookup: no enumeration (same answer for unknown number and wrong email), rate limits,
signed links, and order history that only ever shows the customer's own orders."""

from __future__ import annotations

import uuid

import pytest

from storefront.apitokens.services import issue_token
from storefront.extensions import db
from storefront.orders.models import Order, OrderLine
from storefront.orders.services import status_link_token
from tests.support.pages import csrf_token, soup


def make_order(customer_id: int | None, email: str, number: str, status: str = "paid") -> Order:
    order = Order(number=number, customer_id=customer_id, email=email, status=status, subtotal_amount=2500,
                  total_amount=2500, idempotency_key=uuid.uuid4().hex, tracking_number="TRACK123")
    order.lines.append(OrderLine(variation_ecs_id="V1", name="Artist — Title", quantity=1, unit_amount=2500))
    db.session.add(order)
    db.session.commit()
    return order


@pytest.fixture
def customer(app_ctx):
    from storefront.accounts.services import ensure_customer

    customer, _ = ensure_customer("owner@example.com", name="Owner", password="vinyl-crate-digger-2026")
    return customer


def test_lookup_finds_the_order_with_number_and_email(app, client, customer):
    make_order(customer.id, "owner@example.com", "GC-AAAA-BBBB")
    body = client.get("/api/v1/order/status", query_string={"number": "gc-aaaa-bbbb", "email": "Owner@Example.com"})
    assert body.status_code == 200
    order = body.get_json()["order"]
    assert order["status"] == "paid" and order["tracking_number"] == "TRACK123"
    assert order["total"] == {"amount": 2500, "currency": "USD", "formatted": "$25.00"}
    assert "email" not in order  # the public view never echoes personal data


def test_unknown_number_and_wrong_email_are_indistinguishable(app, client, customer):
    make_order(customer.id, "owner@example.com", "GC-AAAA-BBBB")
    unknown = client.get("/api/v1/order/status", query_string={"number": "GC-ZZZZ-ZZZZ", "email": "owner@example.com"})
    wrong = client.get("/api/v1/order/status", query_string={"number": "GC-AAAA-BBBB", "email": "thief@example.com"})
    assert unknown.status_code == wrong.status_code == 404
    strip = lambda r: {**r.get_json()["error"], "request_id": None}  # noqa: E731
    assert strip(unknown) == strip(wrong)
    page_unknown = client.post("/orders/status", data={"number": "GC-ZZZZ-ZZZZ", "email": "owner@example.com",
                                                       "csrf_token": csrf_token(client, "/orders/status")})
    page_wrong = client.post("/orders/status", data={"number": "GC-AAAA-BBBB", "email": "thief@example.com",
                                                     "csrf_token": csrf_token(client, "/orders/status")})
    assert page_unknown.status_code == page_wrong.status_code == 404
    assert soup(page_unknown).find("p", role="alert").text == soup(page_wrong).find("p", role="alert").text


def test_lookup_page_shows_the_order(app, client, customer):
    make_order(customer.id, "owner@example.com", "GC-AAAA-BBBB")
    response = client.post("/orders/status", data={"number": "GC-AAAA-BBBB", "email": "owner@example.com",
                                                   "csrf_token": csrf_token(client, "/orders/status")})
    assert response.status_code == 200
    page = soup(response)
    assert page.find(id="order-status").find("h2").text == "Order GC-AAAA-BBBB"
    assert "TRACK123" in page.find(id="order-status").text


def test_lookup_page_requires_csrf(app, client, customer):
    make_order(customer.id, "owner@example.com", "GC-AAAA-BBBB")
    response = client.post("/orders/status", data={"number": "GC-AAAA-BBBB", "email": "owner@example.com"})
    assert response.status_code == 400


def test_missing_fields_get_field_errors(app, client):
    response = client.get("/api/v1/order/status", query_string={"number": "", "email": "nope"})
    assert response.status_code == 422
    assert {d["field"] for d in response.get_json()["error"]["details"]} == {"number", "email"}


def test_a_burst_of_lookups_is_rate_limited_per_ip_and_per_number(make_app):
    app = make_app(ORDER_STATUS_RATE_LIMIT="3 per minute")
    client = app.test_client()
    codes = [client.get("/api/v1/order/status", query_string={"number": f"GC-AAAA-{i:04d}", "email": "a@b.co"},
                        environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code for i in range(4)]
    assert codes == [404, 404, 404, 429]
    # the same number from many addresses is limited too (guessing emails for one order)
    codes = [client.get("/api/v1/order/status", query_string={"number": "GC-BBBB-CCCC", "email": f"{i}@b.co"},
                        environ_base={"REMOTE_ADDR": f"10.0.1.{i}"}).status_code for i in range(4)]
    assert codes == [404, 404, 404, 429]
    limited = client.get("/api/v1/order/status", query_string={"number": "GC-BBBB-CCCC", "email": "x@b.co"},
                         environ_base={"REMOTE_ADDR": "10.0.2.1"})
    assert limited.get_json()["error"]["code"] == "rate_limited"


def test_signed_link_opens_the_order_and_a_forged_one_does_not(app, client, customer):
    with app.app_context():
        order = make_order(customer.id, "owner@example.com", "GC-AAAA-BBBB")
        token = status_link_token(order)
    assert client.get(f"/orders/status/{token}").status_code == 200
    assert client.get(f"/orders/status/{token[:-2]}xx").status_code == 404


def test_history_lists_only_the_customers_own_orders_newest_first(app, client, customer):
    from storefront.accounts.services import ensure_customer

    other, _ = ensure_customer("other@example.com", name="Other", password="vinyl-crate-digger-2027")
    make_order(customer.id, "owner@example.com", "GC-0000-0001")
    make_order(customer.id, "owner@example.com", "GC-0000-0002")
    make_order(other.id, "other@example.com", "GC-0000-0003")
    token = issue_token("customer", customer.id, 600).token
    body = client.get("/api/v1/orders/history", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert [o["number"] for o in body["orders"]] == ["GC-0000-0002", "GC-0000-0001"]
    assert body["pagination"]["total"] == 2
    assert client.get("/api/v1/orders/history").status_code == 401


def test_an_order_always_gets_the_same_status_link(app, customer, monkeypatch):
    """The checkout's redirect URL carries this token; a payment link retried under the order's
    idempotency key must be the same request, so the token cannot depend on the clock."""
    import time as clock

    order = make_order(customer.id, "owner@example.com", "GC-CCCC-DDDD")
    first = status_link_token(order)
    later = clock.time() + 3600
    monkeypatch.setattr(clock, "time", lambda: later)
    assert status_link_token(order) == first
    response = app.test_client().get(f"/orders/status/{first}")
    assert response.status_code == 200 and "GC-CCCC-DDDD" in response.get_data(as_text=True)
