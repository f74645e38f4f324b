"""Back office: the inquiries list and status changes (page and API), access, audit, the dashboard card."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from storefront.audit.models import AuditEntry
from storefront.extensions import db
from storefront.inquiries.models import EventInquiry, InquiryStatusChange
from storefront.inquiries.services import TRACKING_ALPHABET
from tests.support.accounts import bearer, install_test_login, login, make_customer, make_staff
from tests.support.pages import csrf_token, soup


@pytest.fixture
def staff_app(make_app):
    app = make_app()
    install_test_login(app)
    return app


def seed(app, *statuses: str) -> list[str]:
    """One inquiry per status given, oldest first; returns their tracking ids."""
    ids = []
    with app.app_context():
        for n, status in enumerate(statuses):
            tracking_id = f"EV-TEST-{TRACKING_ALPHABET[n] * 4}"
            db.session.add(EventInquiry(
                tracking_id=tracking_id, name=f"Guest {n}", email=f"guest{n}@example.com", phone="",
                event_type="workshop", preferred_date=date(2031, 1, 1) + timedelta(days=n), attendee_count=10 + n,
                message="A vinyl care workshop for twelve people.", status=status,
                created_at=datetime(2030, 5, 1, tzinfo=UTC) + timedelta(hours=n)))
            ids.append(tracking_id)
        db.session.commit()
    return ids


def staff_client(app, role: str = "staff"):
    staff = make_staff(app, role=role)
    client = app.test_client()
    login(client, staff, password_step=False)
    return client, staff


def listed(response) -> list[str]:
    return [row["data-tracking-id"] for row in soup(response).select("tr[data-tracking-id]")]


def test_pages_refuse_anonymous_visitors_and_customers(staff_app):
    [tracking_id] = seed(staff_app, "new")
    anonymous = staff_app.test_client()
    for path in ("/staff/inquiries", f"/staff/inquiries/{tracking_id}"):
        response = anonymous.get(path)
        assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/staff/login"
    response = anonymous.post(f"/staff/inquiries/{tracking_id}/status",
                              data={"csrf_token": csrf_token(anonymous, "/staff/login"), "status": "booked"})
    assert response.status_code in (302, 303)
    customer = staff_app.test_client()
    login(customer, make_customer(staff_app), password_step=False)
    assert customer.get("/staff/inquiries").status_code == 403
    response = customer.post(f"/staff/inquiries/{tracking_id}/status",
                             data={"csrf_token": csrf_token(customer, "/"), "status": "booked"})
    assert response.status_code == 403
    with staff_app.app_context():
        assert db.session.scalar(select(EventInquiry.status)) == "new"


def test_the_api_refuses_anonymous_callers_and_customer_tokens(staff_app):
    [tracking_id] = seed(staff_app, "new")
    client = staff_app.test_client()
    assert client.get("/api/v1/staff/inquiries").status_code == 401
    customer = bearer(staff_app, kind="customer", subject_id=5)
    assert client.get("/api/v1/staff/inquiries", headers=customer).status_code == 403
    response = client.put(f"/api/v1/staff/inquiries/{tracking_id}", json={"status": "booked"}, headers=customer)
    assert response.status_code == 403
    with staff_app.app_context():
        assert db.session.scalar(select(EventInquiry.status)) == "new"


def test_the_list_is_newest_first_filtered_and_paginated(staff_app):
    ids = seed(staff_app, "new", "contacted", "new", "booked", "new")
    client, _ = staff_client(staff_app)
    assert listed(client.get("/staff/inquiries")) == ids[::-1]
    assert listed(client.get("/staff/inquiries?status=new")) == [ids[4], ids[2], ids[0]]
    first = client.get("/staff/inquiries?status=new&limit=2")
    assert listed(first) == [ids[4], ids[2]]
    next_link = soup(first).find("a", rel="next")["href"]
    assert listed(client.get(next_link)) == [ids[0]]
    empty = client.get("/staff/inquiries?status=declined")
    assert listed(empty) == [] and "No inquiries" in soup(empty).get_text()
    assert client.get("/staff/inquiries?status=bogus").status_code == 422


def test_htmx_filtering_gets_only_the_results_partial(staff_app):
    seed(staff_app, "new", "booked")
    client, _ = staff_client(staff_app)
    response = client.get("/staff/inquiries?status=booked",
                          headers={"HX-Request": "true", "HX-Target": "inquiry-results"})
    assert response.status_code == 200 and "<html" not in response.get_data(as_text=True)
    assert len(listed(response)) == 1 and "HX-Request" in response.headers["Vary"]


def test_a_status_change_is_saved_recorded_and_audited(staff_app):
    [tracking_id] = seed(staff_app, "new")
    client, staff = staff_client(staff_app)
    page = client.get(f"/staff/inquiries/{tracking_id}")
    assert "guest0@example.com" in page.get_data(as_text=True)
    response = client.post(f"/staff/inquiries/{tracking_id}/status",
                           data={"csrf_token": csrf_token(client, f"/staff/inquiries/{tracking_id}"),
                                 "status": "contacted", "note": "Called back, sending a quote."})
    assert response.status_code == 303
    detail = soup(client.get(response.headers["Location"]))
    assert detail.find(id="inquiry-status").get_text(strip=True) == "contacted"
    assert "Called back, sending a quote." in detail.find(class_="inquiry-history").get_text()
    with staff_app.app_context():
        inquiry = db.session.scalar(select(EventInquiry))
        assert inquiry.status == "contacted"
        change = db.session.scalar(select(InquiryStatusChange))
        assert (change.from_status, change.to_status, change.actor_label) == ("new", "contacted", staff.email)
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("inquiry.%"))).all()
        assert (entry.action, entry.actor_kind, entry.actor_id, entry.target_id, entry.reason) == (
            "inquiry.status_changed", "staff", staff.id, tracking_id, "Called back, sending a quote.")
        assert entry.details == {"from": "new", "to": "contacted"}


def test_an_invalid_status_changes_nothing(staff_app):
    [tracking_id] = seed(staff_app, "new")
    client, _ = staff_client(staff_app)
    token = csrf_token(client, f"/staff/inquiries/{tracking_id}")
    for data in ({"status": "cancelled"}, {"status": "new"}):  # unknown; unchanged without a note
        response = client.post(f"/staff/inquiries/{tracking_id}/status", data={"csrf_token": token, **data})
        assert response.status_code == 422
        assert soup(response).select_one(".field-error").get_text(strip=True)
    assert client.post(f"/staff/inquiries/{tracking_id}/status", data={"status": "booked"}).status_code == 400
    assert client.get("/staff/inquiries/EV-NONE-HERE").status_code == 404
    with staff_app.app_context():
        assert db.session.scalar(select(EventInquiry.status)) == "new"
        assert db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("inquiry.%"))).all() == []


def test_the_staff_api_lists_and_changes_inquiries(staff_app):
    ids = seed(staff_app, "new", "contacted", "new")
    staff = make_staff(staff_app)
    headers = bearer(staff_app, staff)
    client = staff_app.test_client()
    body = client.get("/api/v1/staff/inquiries?status=new&limit=1", headers=headers).get_json()
    assert [i["tracking_id"] for i in body["inquiries"]] == [ids[2]]
    assert body["pagination"]["total"] == 2 and body["pagination"]["has_next"] is True
    assert body["inquiries"][0]["email"] == "guest2@example.com"
    response = client.put(f"/api/v1/staff/inquiries/{ids[2].lower()}", headers=headers,
                          json={"status": "booked", "note": "Deposit paid"})
    assert response.status_code == 200
    inquiry = response.get_json()["inquiry"]
    assert inquiry["status"] == "booked"
    assert inquiry["history"][-1] == {**inquiry["history"][-1], "from": "new", "to": "booked",
                                      "note": "Deposit paid", "by": staff.email}
    bad = client.put(f"/api/v1/staff/inquiries/{ids[0]}", headers=headers, json={"status": "maybe"})
    assert bad.status_code == 422 and bad.get_json()["error"]["details"][0]["field"] == "status"
    assert client.put("/api/v1/staff/inquiries/EV-NONE-HERE", headers=headers,
                      json={"status": "booked"}).status_code == 404
    assert client.get("/api/v1/staff/inquiries?status=maybe", headers=headers).status_code == 422
    with staff_app.app_context():
        [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action.like("inquiry.%"))).all()
        assert (entry.actor_label, entry.target_id, entry.reason) == (staff.email, ids[2], "Deposit paid")


def test_the_dashboard_counts_new_inquiries_and_the_nav_links_them(staff_app):
    seed(staff_app, "new", "new", "booked")
    client, _ = staff_client(staff_app)
    page = soup(client.get("/staff/"))
    assert page.find("a", href="/staff/inquiries", string="Inquiries") is not None
    card = next(c for c in page.select(".dashboard-cards li") if "New inquiries" in c.get_text())
    assert card.select_one(".dashboard-value").get_text(strip=True) == "2"
    staff_headers = bearer(staff_app, make_staff(staff_app))
    cards = client.get("/api/v1/staff/dashboard", headers=staff_headers).get_json()["cards"]
    assert next(c for c in cards if c["key"] == "inquiries.new")["value"] == 2
