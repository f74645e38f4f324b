"""POST /api/v1/events/inquiry: 202 + tracking id, 422 envelopes, honeypot, rate limit, the notification job."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import func, select

from storefront.db.timestamps import utcnow
from storefront.extensions import db
from storefront.inquiries.models import EventInquiry
from storefront.notifications.models import OutboundEmail
from tests.support.inquiries import post_form

URL = "/api/v1/events/inquiry"
TRACKING = re.compile(r"^EV-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$")


def future(days: int = 45) -> str:
    return (utcnow().date() + timedelta(days=days)).isoformat()


def payload(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "Grace Hopper", "email": "grace@example.com", "phone": "(555) 010-4477",
                            "eventType": "album_launch", "preferredDate": future(), "attendeeCount": 80,
                            "message": "Launch party for our debut LP, with a short live set."}
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not ...}


def stored(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(EventInquiry)) or 0


class _Capture(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, Any]]]

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.received.append((self.path, json.loads(body)))  # type: ignore[attr-defined]
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook_server() -> Iterator[Any]:
    """A real local HTTP endpoint standing in for Slack and the CRM (third parties we cannot run)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Capture)
    server.received = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_valid_inquiry_is_accepted_with_a_tracking_id(app, client):
    response = client.post(URL, json=payload())
    assert response.status_code == 202
    body = response.get_json()
    assert body["status"] == "new" and TRACKING.match(body["tracking_id"])
    assert response.headers["X-RateLimit-Limit"]
    with app.app_context():
        inquiry = db.session.scalar(select(EventInquiry))
        assert inquiry.tracking_id == body["tracking_id"]
        assert (inquiry.event_type, inquiry.attendee_count, inquiry.phone) == ("album_launch", 80, "(555) 010-4477")


def test_optional_fields_may_be_left_out_and_labels_are_understood(app, client):
    response = client.post(URL, json=payload(phone=..., attendeeCount=..., eventType="Private party"))
    assert response.status_code == 202
    with app.app_context():
        inquiry = db.session.scalar(select(EventInquiry))
        assert (inquiry.event_type, inquiry.attendee_count, inquiry.phone) == ("private_party", None, "")


def test_the_notification_job_emails_staff_posts_to_slack_and_forwards_to_the_crm(make_app, webhook_server):
    base = f"http://127.0.0.1:{webhook_server.server_port}"
    app = make_app(INQUIRY_NOTIFY_EMAIL="events@shop.example", SLACK_WEBHOOK_URL=f"{base}/slack",
                   INQUIRY_CRM_WEBHOOK_URL=f"{base}/crm", PUBLIC_BASE_URL="https://shop.example")
    # The Host header is the attacker's to choose; links to staff pages use PUBLIC_BASE_URL.
    response = app.test_client().post(URL, json=payload(), headers={"Host": "evil.example"})
    tracking_id = response.get_json()["tracking_id"]
    staff_page = f"https://shop.example/staff/inquiries/{tracking_id}"
    with app.app_context():
        email = db.session.scalar(select(OutboundEmail))
        assert email.to == "events@shop.example" and tracking_id in email.body and email.status == "logged"
        assert staff_page in email.body and "evil.example" not in email.body
        assert db.session.scalar(select(EventInquiry)).notified_at is not None
    received = dict(webhook_server.received)
    assert staff_page in received["/slack"]["text"] and "Album launch" in received["/slack"]["text"]
    crm = received["/crm"]
    assert crm["trackingId"] == tracking_id and crm["email"] == "grace@example.com" and crm["attendeeCount"] == 80


def test_nothing_configured_means_no_notifications(app, client):
    assert client.post(URL, json=payload()).status_code == 202
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboundEmail)) == 0
        assert db.session.scalar(select(EventInquiry)).notified_at is not None


@pytest.mark.redis
def test_the_request_only_enqueues_the_notification_job(make_app, redis_url):
    from redis import Redis
    from rq import Queue

    app = make_app(JOBS_MODE="rq", REDIS_URL=redis_url, INQUIRY_NOTIFY_EMAIL="events@shop.example")
    response = app.test_client().post(URL, json=payload())
    assert response.status_code == 202
    with app.app_context():
        inquiry = db.session.scalar(select(EventInquiry))
        assert inquiry.notified_at is None  # nothing was sent during the request
        assert db.session.scalar(select(func.count()).select_from(OutboundEmail)) == 0
    conn = Redis.from_url(redis_url)
    queue = Queue("notifications", connection=conn)
    assert queue.job_ids == [f"inquiry-notify-{inquiry.id}"]
    job = queue.fetch_job(f"inquiry-notify-{inquiry.id}")
    assert job.func_name == "jobs.inquiries.notify_staff_of_inquiry" and job.args == (inquiry.id,)
    # What a worker would do with it: run the job in the app.
    with app.app_context():
        app.config["JOBS_MODE"] = "sync"
        job.func(*job.args)
        assert db.session.scalar(select(OutboundEmail)).to == "events@shop.example"
    conn.close()


@pytest.mark.parametrize(("overrides", "fields"), [
    ({"name": ..., "email": ..., "message": ...}, {"name", "email", "message"}),
    ({"email": "grace@"}, {"email"}),
    ({"email": 42}, {"email"}),
    ({"phone": "not a phone"}, {"phone"}),
    ({"eventType": "wedding"}, {"eventType"}),
    ({"eventType": ...}, {"eventType"}),
    ({"preferredDate": future(0)}, {"preferredDate"}),
    ({"preferredDate": future(-1)}, {"preferredDate"}),
    ({"preferredDate": future(731)}, {"preferredDate"}),
    ({"preferredDate": "2030-02-30"}, {"preferredDate"}),
    ({"preferredDate": 20300101}, {"preferredDate"}),
    ({"attendeeCount": 0}, {"attendeeCount"}),
    ({"attendeeCount": 121}, {"attendeeCount"}),
    ({"attendeeCount": 2.5}, {"attendeeCount"}),
    ({"attendeeCount": True}, {"attendeeCount"}),
    ({"message": "short"}, {"message"}),
    ({"message": "m" * 5001}, {"message"}),
])
def test_invalid_payloads_get_a_422_envelope_and_store_nothing(app, client, overrides, fields):
    response = client.post(URL, json=payload(**overrides))
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and error["request_id"]
    assert {d["field"] for d in error["details"]} == fields
    assert stored(app) == 0


def test_the_date_window_edges(app, client):
    assert client.post(URL, json=payload(preferredDate=future(1))).status_code == 202
    assert client.post(URL, json=payload(preferredDate=future(730))).status_code == 202
    assert client.post(URL, json=payload(attendeeCount=120)).status_code == 202
    assert stored(app) == 3


def test_bodies_that_are_not_json_objects(app, client):
    assert client.post(URL, data="name=x", content_type="application/x-www-form-urlencoded").status_code == 415
    response = client.post(URL, json=["not", "an", "object"])
    assert response.status_code == 400 and response.get_json()["error"]["code"] == "invalid_json"
    assert stored(app) == 0


def test_a_honeypot_hit_gets_the_same_answer_and_is_not_stored(app, client):
    response = client.post(URL, json=payload(website="https://cheap-pills.example"))
    assert response.status_code == 202
    body = response.get_json()
    assert set(body) == {"tracking_id", "status"} and TRACKING.match(body["tracking_id"])
    assert stored(app) == 0


def test_a_burst_from_one_ip_is_rate_limited_across_the_page_and_the_api(make_app):
    app = make_app(INQUIRY_RATE_LIMIT="3 per hour")
    client = app.test_client()
    assert client.post(URL, json=payload(email="bad")).status_code == 422  # does not count
    assert client.post(URL, json=payload()).status_code == 202
    assert post_form(client).status_code == 303  # the page shares the budget
    assert client.post(URL, json=payload()).status_code == 202
    refused = client.post(URL, json=payload())
    assert refused.status_code == 429
    assert refused.get_json()["error"]["code"] == "rate_limited"
    assert refused.headers["X-RateLimit-Remaining"] == "0"
    assert stored(app) == 3
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "198.51.100.7"
    assert other.post(URL, json=payload()).status_code == 202


def test_the_contract_lists_event_type_codes_and_both_codes_and_labels_are_accepted(make_app):
    from storefront.api.openapi import build_document
    from storefront.inquiries.models import EVENT_TYPES

    app = make_app(INQUIRY_RATE_LIMIT="100 per hour")
    with app.test_request_context():
        spec = build_document(app)
    body = spec["paths"]["/api/v1/events/inquiry"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    schema = body["properties"]["eventType"]
    assert schema["enum"] == list(EVENT_TYPES) and "listening_session" in schema["enum"]
    client = app.test_client()
    for value in ("listening_session", "Listening session"):
        response = client.post(URL, json=payload(eventType=value))
        assert response.status_code == 202, response.get_json()
