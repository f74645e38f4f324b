"""The event-space inquiry page: the form, field errors, CSRF, the honeypot, rate limits, notifications."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from storefront.extensions import db
from storefront.inquiries.models import EventInquiry
from storefront.notifications.models import OutboundEmail
from tests.support.inquiries import PAGE, future, post_form, valid_form
from tests.support.pages import csrf_token, soup

TRACKING = re.compile(r"^EV-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$")
def inquiry_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(EventInquiry)) or 0


@pytest.fixture
def app(make_app):
    return make_app(INQUIRY_NOTIFY_EMAIL="events@shop.example")


def test_the_page_shows_a_labelled_form_with_a_hidden_honeypot(client):
    response = client.get(PAGE)
    assert response.status_code == 200
    page = soup(response)
    form = page.find("form", action=PAGE)
    for name in ("name", "email", "phone", "preferred_date", "attendee_count", "message"):
        field = form.find(attrs={"name": name})
        assert field is not None and page.find("label", attrs={"for": field["id"]}) is not None
    assert [o["value"] for o in form.find("select", attrs={"name": "event_type"}).find_all("option")][1:] == [
        "listening_session", "album_launch", "private_party", "workshop", "other"]
    assert form.find("input", attrs={"name": "preferred_date"})["type"] == "date"
    assert form.find("input", attrs={"name": "csrf_token"})["value"]
    honeypot = form.find("input", attrs={"name": "website"})
    assert "hp-field" in honeypot.find_parent("div")["class"]
    assert not page.find(attrs={"style": True})


def test_a_valid_inquiry_is_stored_and_the_shopper_sees_the_tracking_id(app, client):
    response = post_form(client)
    assert response.status_code == 303 and response.headers["Location"] == "/events/inquiry/thanks"
    thanks = client.get("/events/inquiry/thanks")
    shown = soup(thanks).find(id="tracking-id").get_text(strip=True)
    assert TRACKING.match(shown)
    with app.app_context():
        inquiry = db.session.scalar(select(EventInquiry))
        assert inquiry.tracking_id == shown
        assert (inquiry.name, inquiry.email, inquiry.event_type, inquiry.attendee_count, inquiry.status) == (
            "Ada Lovelace", "ada@example.com", "listening_session", 40, "new")
        assert inquiry.preferred_date.isoformat() == future()
        assert inquiry.ip_hash and "127.0.0.1" not in inquiry.ip_hash
        # The notification job ran (JOBS_MODE=sync): the staff email is in the outbox.
        email = db.session.scalar(select(OutboundEmail))
        assert email.to == "events@shop.example"
        assert shown in email.subject and shown in email.body and "Ada Lovelace" in email.body
        assert inquiry.notified_at is not None


@pytest.mark.parametrize(("overrides", "field"), [
    ({"name": ""}, "name"),
    ({"email": "not-an-email"}, "email"),
    ({"email": ""}, "email"),
    ({"phone": "call me maybe"}, "phone"),
    ({"event_type": "rave"}, "event_type"),
    ({"preferred_date": ""}, "preferred_date"),
    ({"preferred_date": "31/12/2030"}, "preferred_date"),
    ({"preferred_date": future(0)}, "preferred_date"),
    ({"preferred_date": future(-3)}, "preferred_date"),
    ({"preferred_date": future(800)}, "preferred_date"),
    ({"attendee_count": "0"}, "attendee_count"),
    ({"attendee_count": "121"}, "attendee_count"),
    ({"attendee_count": "lots"}, "attendee_count"),
    ({"message": "hi"}, "message"),
    ({"message": "x" * 5001}, "message"),
])
def test_invalid_input_is_shown_next_to_the_field_and_nothing_is_stored(app, client, overrides, field):
    response = post_form(client, **overrides)
    assert response.status_code == 422
    page = soup(response)
    error = page.find(id=f"{field}-error")
    assert error is not None and error.get_text(strip=True)
    assert page.find(attrs={"name": field}).get("aria-invalid") == "true"
    assert page.find(attrs={"name": "name"}).get("value", "") == overrides.get("name", "Ada Lovelace")
    assert inquiry_count(app) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboundEmail)) == 0


def test_every_problem_is_reported_at_once(app, client):
    response = post_form(client, name="", email="nope", message="")
    assert response.status_code == 422
    page = soup(response)
    assert {e["id"] for e in page.select(".field-error")} == {"name-error", "email-error", "message-error"}


def test_the_capacity_setting_bounds_the_attendee_count(make_app):
    app = make_app(EVENT_SPACE_CAPACITY=300)
    client = app.test_client()
    assert post_form(client, attendee_count="300").status_code == 303
    assert post_form(client, attendee_count="301").status_code == 422
    assert inquiry_count(app) == 1


def test_a_post_without_the_csrf_token_is_refused_and_stores_nothing(app, client):
    response = client.post(PAGE, data=valid_form())
    assert response.status_code == 400
    assert inquiry_count(app) == 0


def test_a_filled_honeypot_looks_accepted_but_stores_and_sends_nothing(app, client):
    response = post_form(client, website="http://spam.example")
    assert response.status_code == 303 and response.headers["Location"] == "/events/inquiry/thanks"
    shown = soup(client.get("/events/inquiry/thanks")).find(id="tracking-id").get_text(strip=True)
    assert TRACKING.match(shown)
    assert inquiry_count(app) == 0
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboundEmail)) == 0


def test_a_burst_from_one_ip_is_rate_limited(make_app):
    app = make_app(INQUIRY_RATE_LIMIT="3 per hour")
    client = app.test_client()
    # Mistakes do not use up the budget of accepted inquiries ...
    assert post_form(client, email="nope").status_code == 422
    for _ in range(3):
        assert post_form(client).status_code == 303
    # ... but a fourth accepted-looking submission within the hour is refused.
    refused = post_form(client)
    assert refused.status_code == 429
    assert "Too many requests" in soup(refused).get_text()
    assert inquiry_count(app) == 3
    # Another address has its own budget.
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert post_form(other).status_code == 303


def test_invalid_floods_hit_the_attempt_ceiling(make_app):
    app = make_app()
    client = app.test_client()
    token = csrf_token(client, PAGE)
    statuses = [client.post(PAGE, data={**valid_form(email="x"), "csrf_token": token}).status_code
                for _ in range(31)]
    assert statuses[:30] == [422] * 30 and statuses[30] == 429


def test_the_thank_you_page_needs_a_submission(client):
    response = client.get("/events/inquiry/thanks")
    assert response.status_code == 303 and response.headers["Location"] == PAGE


def test_the_nav_links_to_the_inquiry_page(client):
    assert soup(client.get("/")).find("a", href=PAGE) is not None


def test_the_event_space_page_shows_the_room_its_capacity_and_whats_coming(app, client):
    from datetime import timedelta

    from storefront.db.timestamps import utcnow
    from tests.support.factories import make_item
    from tests.support.pages import soup

    app.config["EVENT_SPACE_CAPACITY"] = 95
    with app.app_context():
        make_item(artist="", title="Evening hire", kind="event", format="", price=25000)
        make_item(artist="", title="Album launch", kind="event", format="", starts_at=utcnow() + timedelta(days=5))
        make_item(artist="", title="Long gone", kind="event", format="", starts_at=utcnow() - timedelta(days=5),
                  deleted=True)
        db.session.commit()
    page = soup(client.get(PAGE))
    assert page.select_one(".space-capacity").get_text(strip=True) == "95 guests"
    assert "holds up to 95 guests" in page.select_one("form.inquiry-form").get_text(" ", strip=True)
    hires = [t.get_text(strip=True) for t in page.select("section[aria-labelledby=space-hires] .product-title")]
    coming = [t.get_text(strip=True) for t in page.select("section[aria-labelledby=space-upcoming] .product-title")]
    assert hires == ["Evening hire"] and coming == ["Album launch"]
