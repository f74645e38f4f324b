"""Staff orders: filters, valid transitions only, and one audit row per change."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from storefront.audit.models import AuditEntry
from storefront.extensions import db
from storefront.orders.models import Order, OrderLine
from tests.support.accounts import bearer, login, make_staff
from tests.support.pages import csrf_token, soup


def make_order(app, number: str, status: str, email: str = "buyer@example.com") -> int:
    with app.app_context():
        order = Order(number=number, email=email, status=status, subtotal_amount=1000, total_amount=1000,
                      idempotency_key=uuid.uuid4().hex)
        order.lines.append(OrderLine(variation_ecs_id="V", name="Record", quantity=1, unit_amount=1000))
        db.session.add(order)
        db.session.commit()
        return order.id


def audit_rows(app) -> list[AuditEntry]:
    with app.app_context():
        rows = list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "order.update")))
        for row in rows:
            db.session.expunge(row)
        return rows


def test_list_filters(app):
    staff = make_staff(app)
    make_order(app, "GC-0000-0001", "paid")
    make_order(app, "GC-0000-0002", "pending_payment", email="other@example.com")
    headers = bearer(app, staff)
    client = app.test_client()
    paid = client.get("/api/v1/staff/orders", query_string={"status": "paid"}, headers=headers).get_json()
    assert [o["number"] for o in paid["orders"]] == ["GC-0000-0001"]
    by_email = client.get("/api/v1/staff/orders", query_string={"email": "OTHER@example.com"}, headers=headers)
    assert [o["number"] for o in by_email.get_json()["orders"]] == ["GC-0000-0002"]
    bad = client.get("/api/v1/staff/orders", query_string={"status": "lost", "date_from": "yesterday"},
                     headers=headers)
    assert bad.status_code == 422
    assert {d["field"] for d in bad.get_json()["error"]["details"]} == {"status", "date_from"}


def test_valid_transition_with_tracking_is_saved_and_audited(app):
    staff = make_staff(app, "packer@example.com")
    order_id = make_order(app, "GC-0000-0001", "paid")
    response = app.test_client().put(f"/api/v1/staff/orders/{order_id}", headers=bearer(app, staff),
                                     json={"status": "fulfilled", "tracking_number": "1Z999", "note": "Shipped"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["order"]["status"] == "fulfilled" and body["order"]["tracking_number"] == "1Z999"
    rows = audit_rows(app)
    assert len(rows) == 3 and {r.actor_label for r in rows} == {"packer@example.com"}


def test_invalid_transition_is_refused_and_changes_nothing(app):
    staff = make_staff(app)
    order_id = make_order(app, "GC-0000-0001", "pending_payment")
    client = app.test_client()
    response = client.put(f"/api/v1/staff/orders/{order_id}", json={"status": "fulfilled"}, headers=bearer(app, staff))
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "invalid_transition"
    unknown = client.put(f"/api/v1/staff/orders/{order_id}", json={"status": "paid", "price": 0},
                         headers=bearer(app, staff))
    assert unknown.status_code == 422
    with app.app_context():
        assert db.session.get(Order, order_id).status == "pending_payment"
    assert audit_rows(app) == []


def test_staff_page_updates_an_order(app):
    staff = make_staff(app, "desk@example.com")
    order_id = make_order(app, "GC-0000-0009", "paid")
    client = app.test_client()
    login(client, staff)
    page = soup(client.get(f"/staff/orders/{order_id}"))
    options = [o["value"] for o in page.find("select", id="status").find_all("option")]
    assert options == ["", "fulfilled", "completed", "cancelled"]
    token = csrf_token(client, f"/staff/orders/{order_id}")
    assert client.post(f"/staff/orders/{order_id}", data={"status": "cancelled"}).status_code == 400  # no CSRF
    saved = client.post(f"/staff/orders/{order_id}", data={"status": "cancelled", "csrf_token": token})
    assert saved.status_code == 303
    with app.app_context():
        assert db.session.get(Order, order_id).status == "cancelled"
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "order.update")) == 1
