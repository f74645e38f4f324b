"""Fulfilment by staff: the "orders to ship" work list, the packing slip, shipping with a tracking link,
refunds (partial, with restock; double submits; over-refunds), cancelling unpaid orders, the emails
(plain text and HTML) and the staff API — against the ECS sandbox over real HTTP where money or stock
moves."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
import requests
from sqlalchemy import func, select

from storefront.audit.models import AuditEntry
from storefront.catalog.models import StockLevel
from storefront.ecs.client import SquareClient
from storefront.extensions import db
from storefront.notifications.models import OutboundEmail
from storefront.notifications.services import _message
from storefront.orders.models import Order, OrderLine, Refund, StockHold
from tests.support.accounts import bearer, login, make_customer, make_staff
from tests.support.checkout import SUCCESS_CARD, customer_checkout, order_status, pay, two_records_in_stock, wait_for
from tests.support.ecs import SANDBOX_TOKEN
from tests.support.emails import sent_emails
from tests.support.pages import soup

ADDRESS = {"name": "Ada Lovelace", "line1": "12 Analytical Row", "line2": "Flat 3", "city": "Brooklyn",
           "region": "NY", "postcode": "11201", "country": "US", "phone": "+1 555 0100"}
TRACKING = "1Z999AA10123456784"
UPS_URL = f"https://www.ups.com/track?loc=en_US&tracknum={TRACKING}"


# --- helpers ----------------------------------------------------------------------------------

def _order(app, number: str) -> Order:
    with app.app_context():
        db.session.remove()
        order = db.session.scalar(select(Order).where(Order.number == number))
        order.lines, order.refunds  # noqa: B018 - load them before detaching
        db.session.expunge_all()
        return order


def _paid_order_with_address(app, base: str, variations: list[int]) -> Order:
    http, checkout = customer_checkout(app, base, f"buyer-{uuid.uuid4().hex[:8]}@example.com", variations)
    assert pay(http, checkout["payment_url"], SUCCESS_CARD).status_code == 303
    number = checkout["order"]["number"]
    wait_for(lambda: order_status(app, number) == "paid")
    wait_for(lambda: _order(app, number).stock_recorded_at is not None)
    with app.app_context():
        order = db.session.scalar(select(Order).where(Order.number == number))
        order.shipping_address, order.shipping_method = dict(ADDRESS), "Standard shipping"
        db.session.commit()
    return _order(app, number)


def _form(page, form_id: str) -> dict[str, str]:
    form = page.find("form", id=form_id)
    assert form is not None, f"no form #{form_id}"
    fields = {i["name"]: i.get("value", "") for i in form.find_all("input") if i.get("name")}
    for select_ in form.find_all("select"):
        chosen = select_.find("option", selected=True)
        fields[select_["name"]] = chosen["value"] if chosen else ""
    return fields


def _local_stock(app, variation_id: int) -> int | None:
    with app.app_context():
        db.session.remove()
        return db.session.scalar(select(StockLevel.quantity).where(StockLevel.variation_id == variation_id))


def _sandbox_get(sandbox, path: str) -> dict:
    response = requests.get(f"{sandbox.base_url}{path}", headers={"Authorization": f"Bearer {SANDBOX_TOKEN}"},
                            timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def _count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _both_parts(app, email: OutboundEmail) -> tuple[str, str]:
    """The text and HTML parts of the email as it would be sent."""
    with app.app_context():
        message = _message(email)
    assert message.is_multipart()
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


# --- end to end -------------------------------------------------------------------------------

def test_a_paid_order_is_listed_packed_shipped_and_partly_refunded_with_restock(live_shop, sandbox):
    app, base = live_shop
    (v1, ecs1, stock1), (v2, _ecs2, _stock2) = two_records_in_stock(app)
    order = _paid_order_with_address(app, base, [v1, v2])
    assert sandbox.inventory()[ecs1] == stock1 - 1
    staff = make_staff(app, "packer@example.com")
    client = app.test_client()
    assert login(client, staff).status_code == 303

    # on the dashboard's "orders to ship" (page and API) and the list's "to ship" filter
    panel = soup(client.get("/staff/")).find("section", attrs={"data-panel": "orders.to_ship"})
    assert order.number in panel.get_text() and panel.find(attrs={"data-count": True})["data-count"] == "1"
    api = client.get("/api/v1/staff/dashboard", headers=bearer(app, staff)).get_json()
    to_ship = next(p for p in api["panels"] if p["key"] == "orders.to_ship")
    assert to_ship["count"] == 1 and to_ship["rows"][0]["label"] == order.number
    assert to_ship["rows"][0]["href"] == f"/staff/orders/{order.id}"
    assert order.number in client.get("/staff/orders/?status=to_ship").get_data(as_text=True)

    # the packing slip: address, lines with quantities, the "packed by" box; linked from the order
    detail = soup(client.get(f"/staff/orders/{order.id}"))
    assert detail.find("a", href=f"/staff/orders/{order.id}/packing-slip") is not None
    assert "12 Analytical Row" in detail.get_text() and "Standard shipping" in detail.get_text()
    slip = client.get(f"/staff/orders/{order.id}/packing-slip")
    assert slip.status_code == 200
    slip_text = soup(slip).get_text(" ", strip=True)
    assert all(part in slip_text for part in ("Ada Lovelace", "12 Analytical Row", "Brooklyn, NY 11201",
                                               order.number, "Packed by"))
    rows = soup(slip).select(".slip-lines tbody tr")
    assert [(r.select_one(".slip-qty").get_text(strip=True), order.lines[i].name in r.get_text())
            for i, r in enumerate(rows)] == [("1", True), ("1", True)]

    _ship(app, client, order)
    _refund_one_line_with_restock(app, client, sandbox, order, v1, ecs1, stock1)


def _ship(app, client, order: Order) -> None:
    fields = {**_form(soup(client.get(f"/staff/orders/{order.id}")), "ship-form"), "carrier": "ups",
              "tracking_number": TRACKING}
    shipped = client.post(f"/staff/orders/{order.id}/ship", data=fields)
    assert shipped.status_code == 303
    after = _order(app, order.number)
    assert (after.status, after.carrier, after.tracking_number) == ("fulfilled", "ups", TRACKING)
    assert after.shipped_at is not None
    assert client.post(f"/staff/orders/{order.id}/ship", data=fields).status_code == 303  # idempotent
    [email] = sent_emails(app, "orders/shipped")
    assert email.to == order.email and UPS_URL in email.body
    text, html = _both_parts(app, email)
    assert UPS_URL in text and UPS_URL.replace("&", "&amp;") in html and "Ada Lovelace" in html
    assert _count(app, AuditEntry, AuditEntry.action == "order.shipped") == 1
    assert soup(client.get("/staff/")).find("section", attrs={"data-panel": "orders.to_ship"}) \
        .find(attrs={"data-count": True})["data-count"] == "0"


def _refund_one_line_with_restock(app, client, sandbox, order: Order, v1: int, ecs1: str, stock1: int) -> None:
    line = next(line for line in order.lines if line.variation_id == v1)
    page = soup(client.get(f"/staff/orders/{order.id}"))
    fields = _form(page, "refund-form")
    assert Decimal(fields["amount"]) * 100 == order.total_amount  # prefilled with everything that is left
    fields.update(amount=str(Decimal(line.unit_amount) / 100), reason="Sleeve arrived split",
                  **{f"restock-{line.id}": "1"})
    done = client.post(f"/staff/orders/{order.id}/refund", data=fields)
    assert done.status_code == 303
    again = client.post(f"/staff/orders/{order.id}/refund", data=fields)  # a double-submitted form
    assert again.status_code == 303

    after = _order(app, order.number)
    [refund] = after.refunds
    assert refund.amount == line.unit_amount and after.refunded_amount == line.unit_amount
    assert after.payment_status == "partially_refunded"
    ecs_refund = SquareClient(sandbox.base_url, SANDBOX_TOKEN).get_payment_refund(refund.ecs_refund_id)
    assert ecs_refund["amount_money"]["amount"] == line.unit_amount
    payment = _sandbox_get(sandbox, f"/v2/payments/{after.ecs_payment_id}")["payment"]
    assert payment["refunded_money"]["amount"] == line.unit_amount and payment["refund_ids"] == [refund.ecs_refund_id]
    assert sandbox.inventory()[ecs1] == stock1  # the copy is back in the ECS …
    wait_for(lambda: _local_stock(app, v1) == stock1)  # … and in the shop's stock figure

    shown = soup(client.get(f"/staff/orders/{order.id}"))
    refunds_text = shown.find("section", attrs={"aria-labelledby": "refunds-h"}).get_text(" ", strip=True)
    assert "Sleeve arrived split" in refunds_text and f"${line.unit_amount / 100:.2f}" in refunds_text
    assert shown.find("input", id=f"restock-{line.id}").has_attr("disabled")  # nothing left to put back
    [email] = sent_emails(app, "orders/refunded")
    text, html = _both_parts(app, email)
    assert f"${line.unit_amount / 100:.2f}" in text and line.name in text and "Sleeve arrived split" in html
    assert _count(app, AuditEntry, AuditEntry.action == "order.refunded") == 1

    # over-refund: a clear message by the form, nothing changed
    fields = _form(shown, "refund-form")
    fields.update(amount=str(Decimal(after.total_amount - after.refunded_amount + 1) / 100), reason="Too much")
    refused = client.post(f"/staff/orders/{order.id}/refund", data=fields)
    assert refused.status_code == 422
    message = soup(refused).find("form", id="refund-form").find(class_="flash-error").get_text()
    assert "at most" in message
    assert _count(app, Refund, Refund.order_id == order.id) == 1
    assert _order(app, order.number).refunded_amount == line.unit_amount
    assert len(sent_emails(app, "orders/refunded")) == 1


def test_the_api_refunds_idempotently_and_refuses_what_it_cannot_do(live_shop, sandbox):
    app, base = live_shop
    (v1, _ecs1, _), _ = two_records_in_stock(app)
    order = _paid_order_with_address(app, base, [v1])
    staff = make_staff(app, "api@example.com")
    client = app.test_client()
    headers = {**bearer(app, staff), "Idempotency-Key": "refund-once"}
    path = f"/api/v1/staff/orders/{order.id}/refunds"

    bad = client.post(path, json={"amount": "5", "reason": "x"}, headers=headers)
    assert bad.status_code == 422 and bad.get_json()["error"]["details"][0]["field"] == "amount"
    not_a_line = client.post(path, json={"amount": 100, "reason": "x", "restock": [{"line_id": 999999, "quantity": 1}]},
                             headers=headers)
    assert not_a_line.status_code == 422
    too_much = client.post(path, json={"amount": order.total_amount + 1, "reason": "x"}, headers=headers)
    assert too_much.status_code == 422 and _count(app, Refund, Refund.order_id == order.id) == 0

    first = client.post(path, json={"amount": order.total_amount, "reason": "Lost in the post",
                                    "restock": [{"line_id": order.lines[0].id, "quantity": 0}]}, headers=headers)
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["refund"]["amount"]["amount"] == order.total_amount and body["order"]["payment_status"] == "refunded"
    replay = client.post(path, json={"amount": order.total_amount, "reason": "Lost in the post"}, headers=headers)
    assert replay.status_code == 201 and replay.get_json()["refund"]["id"] == body["refund"]["id"]
    assert _count(app, Refund, Refund.order_id == order.id) == 1
    assert len(sent_emails(app, "orders/refunded")) == 1

    nothing_left = client.post(path, json={"amount": 1, "reason": "again"},
                               headers={**headers, "Idempotency-Key": "another"})
    assert nothing_left.status_code == 409 and nothing_left.get_json()["error"]["code"] == "nothing_to_refund"
    payment = _sandbox_get(sandbox, f"/v2/payments/{order.ecs_payment_id}")["payment"]
    assert payment["refunded_money"]["amount"] == order.total_amount


def test_cancelling_an_unpaid_order_frees_its_copies_and_deletes_the_link(live_shop, sandbox):
    app, base = live_shop
    (v1, ecs1, stock1), _ = two_records_in_stock(app)
    _http, checkout = customer_checkout(app, base, "undecided@example.com", [v1])
    order = _order(app, checkout["order"]["number"])
    staff = make_staff(app, "desk@example.com")
    client = app.test_client()
    login(client, staff)

    page = soup(client.get(f"/staff/orders/{order.id}"))
    assert page.find("form", id="refund-form") is None and page.find("form", id="ship-form") is None
    no_reason = client.post(f"/staff/orders/{order.id}/cancel", data={**_form(page, "cancel-form"), "reason": " "})
    assert no_reason.status_code == 422 and order_status(app, order.number) == "pending_payment"
    done = client.post(f"/staff/orders/{order.id}/cancel",
                       data={**_form(page, "cancel-form"), "reason": "Customer asked us to cancel"})
    assert done.status_code == 303
    assert order_status(app, order.number) == "cancelled"
    gone = requests.get(f"{sandbox.base_url}/v2/online-checkout/payment-links/{order.payment_link_id}",
                        headers={"Authorization": f"Bearer {SANDBOX_TOKEN}"}, timeout=10)
    assert gone.status_code == 404
    with app.app_context():
        assert db.session.scalar(select(StockHold.held).where(StockHold.variation_id == v1)) == 0
    assert sandbox.inventory()[ecs1] == stock1
    [email] = sent_emails(app, "orders/cancelled")
    text, html = _both_parts(app, email)
    assert "Customer asked us to cancel" in text and "Customer asked us to cancel" in html

    again = client.post(f"/api/v1/staff/orders/{order.id}/cancel", json={"reason": "again"},
                        headers=bearer(app, staff))
    assert again.status_code == 200 and again.get_json()["changed"] is False
    assert len(sent_emails(app, "orders/cancelled")) == 1
    assert _count(app, AuditEntry, AuditEntry.action == "order.cancelled") == 1


# --- without the sandbox ------------------------------------------------------------------------

def _make_order(app, status: str, *, address: dict | None = None, paid: bool = False) -> int:
    with app.app_context():
        order = Order(number=f"GC-{uuid.uuid4().hex[:4].upper()}-{uuid.uuid4().hex[:4].upper()}",
                      email="buyer@example.com", status=status, subtotal_amount=2500, total_amount=2500,
                      idempotency_key=uuid.uuid4().hex, shipping_address=address,
                      ecs_payment_id="PAY-1" if paid else None, payment_status="completed" if paid else None)
        order.lines.append(OrderLine(variation_ecs_id="V", name="Blue Train", variation_name="LP", quantity=1,
                                     unit_amount=2500))
        db.session.add(order)
        db.session.commit()
        return order.id


def test_the_api_ships_with_a_carrier_and_explains_refusals(app):
    staff = make_staff(app)
    headers = bearer(app, staff)
    client = app.test_client()
    shipping = _make_order(app, "paid", address=dict(ADDRESS), paid=True)
    pickup = _make_order(app, "paid", paid=True)
    unpaid = _make_order(app, "pending_payment", address=dict(ADDRESS))

    def put(order_id: int, **body):  # noqa: ANN202
        return client.put(f"/api/v1/staff/orders/{order_id}", json=body, headers=headers)

    assert put(shipping, carrier="pigeon", tracking_number="X1").status_code == 422
    assert put(shipping, carrier="ups").status_code == 422  # a tracking number is needed
    shipped = put(shipping, carrier="Royal Mail", tracking_number="AB 1234 5678 9GB")
    assert shipped.status_code == 200, shipped.get_json()
    assert shipped.get_json()["order"]["status"] == "fulfilled"
    assert shipped.get_json()["changes"] == ["shipped with Royal Mail (tracking AB 1234 5678 9GB)"]
    assert put(shipping, carrier="royal_mail", tracking_number="AB 1234 5678 9GB").get_json()["changes"] == []
    [email] = sent_emails(app, "orders/shipped")
    assert "https://www.royalmail.com/track-your-item#/tracking-results/AB123456789GB" in email.body
    assert email.html_body and "<html" in email.html_body

    assert put(pickup, carrier="ups", tracking_number="1Z").get_json()["error"]["code"] == "pickup_order"
    assert put(unpaid, carrier="ups", tracking_number="1Z").status_code == 409
    refund = client.post(f"/api/v1/staff/orders/{unpaid}/refunds", json={"amount": 100, "reason": "x"},
                         headers=headers)
    assert refund.status_code == 409 and refund.get_json()["error"]["code"] == "not_paid"
    cancel_paid = client.post(f"/api/v1/staff/orders/{shipping}/cancel", json={"reason": "x"}, headers=headers)
    assert cancel_paid.status_code == 409
    assert client.post(f"/api/v1/staff/orders/{unpaid}/cancel", json={}, headers=headers).status_code == 422
    assert client.post(f"/api/v1/staff/orders/{unpaid}/cancel", json={"reason": "x"}).status_code == 401


def test_a_pickup_order_is_collected_on_its_page(app):
    staff = make_staff(app)
    client = app.test_client()
    login(client, staff)
    order_id = _make_order(app, "paid", paid=True)
    page = soup(client.get(f"/staff/orders/{order_id}"))
    assert page.find("form", id="ship-form") is None
    assert "Hold at the counter" in client.get(f"/staff/orders/{order_id}/packing-slip").get_data(as_text=True)
    done = client.post(f"/staff/orders/{order_id}/collect", data=_form(page, "collect-form"))
    assert done.status_code == 303
    with app.app_context():
        order = db.session.get(Order, order_id)
        assert order.status == "fulfilled" and order.shipped_at is not None
    assert client.post(f"/staff/orders/{order_id}/collect", data=_form(page, "collect-form")).status_code == 303
    assert len(sent_emails(app, "orders/collected")) == 1
    refused = client.post(f"/staff/orders/{order_id}/ship", data={**_form(page, "collect-form"), "carrier": "ups",
                                                                  "tracking_number": "1Z"})
    assert refused.status_code == 409 and "pickup" in soup(refused).get_text()


@pytest.mark.parametrize("path", ["", "/packing-slip"])
def test_staff_pages_refuse_anonymous_users_and_customers(app, path):
    order_id = _make_order(app, "paid", address=dict(ADDRESS), paid=True)
    anonymous = app.test_client()
    response = anonymous.get(f"/staff/orders/{order_id}{path}")
    assert response.status_code in (302, 303) and "/staff/login" in response.headers["Location"]
    for action in ("ship", "refund", "cancel", "collect"):
        assert anonymous.post(f"/staff/orders/{order_id}/{action}", data={}).status_code in (302, 303, 400)
    customer = make_customer(app, "shopper@example.com")
    shopper = app.test_client()
    login(shopper, customer)
    assert shopper.get(f"/staff/orders/{order_id}{path}").status_code == 403
    assert anonymous.get("/api/v1/staff/dashboard").status_code == 401
    with app.app_context():
        assert db.session.get(Order, order_id).status == "paid"
