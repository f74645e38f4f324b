"""POST /webhooks/square: signature before anything else, size and shape checks, the inbox row, the job."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from redis import Redis
from rq import Queue

from storefront.db.timestamps import utcnow
from storefront.extensions import db
from storefront.webhooks.models import WebhookEvent
from storefront.webhooks.services import job_id_for, reconcile
from tests.support.webhooks import (
    KEY,
    NOTIFICATION_URL,
    OLD_KEY,
    body_of,
    count,
    deliver,
    event,
    inventory_event,
    make_catalog,
    rows,
    webhook_config,
)


@pytest.fixture
def app(make_app):
    return make_app(**webhook_config())


def row_count(app) -> int:
    with app.app_context():
        return db.session.query(WebhookEvent).count()


SIGNATURE_CASES = {
    "valid": ({"key": KEY}, 200),
    "valid under the second key (rotation)": ({"key": OLD_KEY}, 200),
    "tampered body": ({"key": KEY, "tamper": True}, 401),
    "wrong key": ({"key": "whsec-attacker"}, 401),
    "missing header": ({"signature": ""}, 401),
    "different notification URL": ({"key": KEY, "url": "https://evil.example/webhooks/square"}, 401),
}


@pytest.mark.parametrize("case", list(SIGNATURE_CASES))
def test_signature_cases(app, case):
    kwargs, expected = SIGNATURE_CASES[case]
    with app.app_context():
        make_catalog(1)
    response = deliver(app.test_client(), inventory_event(count("V1", 4, at=1)), **kwargs)
    assert response.status_code == expected, response.get_data(as_text=True)
    if expected == 200:
        assert response.get_json()["status"] == "accepted"
        assert row_count(app) == 1
    else:
        assert response.get_json()["error"]["code"] == "invalid_signature"
        assert row_count(app) == 0  # nothing written: no row, and the job never ran
        with app.app_context():
            from tests.support.webhooks import stock_of

            assert stock_of("V1") is None


def test_signature_is_checked_before_the_body_is_parsed(app):
    response = deliver(app.test_client(), b"{not json", key="whsec-attacker")
    assert response.status_code == 401  # a forger learns nothing about our parser
    assert row_count(app) == 0


def test_notification_url_comes_from_configuration_not_the_host_header(app):
    body = body_of(event("custom.thing"))
    from storefront.ecs.signature import sign

    as_seen_locally = sign(KEY, "http://localhost/webhooks/square", body)
    response = app.test_client().post("/webhooks/square", data=body, content_type="application/json",
                                      headers={"x-square-hmacsha256-signature": as_seen_locally})
    assert response.status_code == 401
    assert deliver(app.test_client(), body).status_code == 200


@pytest.mark.parametrize("body, message", [
    (b"{not json", "not valid JSON"),
    (b"[1, 2]", "JSON object"),
    (b'{"type": "inventory.count.updated"}', "event_id"),
    (b'{"event_id": "", "type": "inventory.count.updated"}', "event_id"),
    (b'{"event_id": "abc"}', "type"),
    (b'{"event_id": "abc", "type": 42}', "type"),
    (b"\xff\xfe garbage", "not valid JSON"),
])
def test_malformed_signed_bodies_are_400_and_write_nothing(app, body, message):
    response = deliver(app.test_client(), body)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_payload" and message in error["message"]
    assert row_count(app) == 0


def test_oversized_body_is_413_and_writes_nothing(make_app):
    app = make_app(**webhook_config(WEBHOOK_MAX_BODY_BYTES=2048))
    payload = event("custom.thing", {"type": "x", "id": "1", "object": {"blob": "x" * 4096}})
    response = deliver(app.test_client(), payload)
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "payload_too_large"
    assert row_count(app) == 0


def test_a_verified_event_is_stored_with_what_ordering_needs(app):
    payload = event("order.updated", {"type": "order_updated", "id": "ORDER1", "object": {
        "order_updated": {"order_id": "ORDER1", "version": 7, "state": "OPEN", "location_id": "L1"}}})
    response = deliver(app.test_client(), payload)
    assert response.status_code == 200
    assert response.get_json() == {"status": "accepted", "event_id": payload["event_id"]}
    with app.app_context():
        (row,) = rows()
        assert row.event_id == payload["event_id"] and row.event_type == "order.updated"
        assert (row.object_type, row.object_id, row.object_version) == ("order_updated", "ORDER1", 7)
        assert row.merchant_id == "MLSANDBOX0000001"
        assert row.event_created_at is not None and row.event_created_at.isoformat().startswith("2025-03-01T12:00")
        assert row.payload == payload  # the whole event is kept for staff
        assert row.received_at is not None and row.enqueued_at is not None


def test_a_duplicate_delivery_is_acknowledged_and_ignored(app):
    payload = event("custom.thing")
    client = app.test_client()
    first, second = deliver(client, payload), deliver(client, payload)
    assert first.status_code == second.status_code == 200
    assert first.get_json()["status"] == "accepted" and second.get_json()["status"] == "duplicate"
    assert row_count(app) == 1


def test_the_receiver_needs_no_csrf_token_but_pages_still_do(app):
    # CSRF is on in tests (WTF_CSRF_ENABLED default); the signed receiver is exempt.
    assert app.config.get("WTF_CSRF_ENABLED", True)
    assert deliver(app.test_client(), event("custom.thing")).status_code == 200


def test_only_post_is_allowed(app):
    assert app.test_client().get("/webhooks/square").status_code == 405


def test_the_event_is_committed_even_when_the_queue_is_down(make_app):
    """Redis unreachable: still 200 (the row is the record), and the reconciler processes it later."""
    app = make_app(**webhook_config(JOBS_MODE="rq", REDIS_URL="redis://127.0.0.1:1/0",
                                    RATELIMIT_STORAGE_URI="memory://"))
    payload = event("custom.thing")
    response = deliver(app.test_client(), payload)
    assert response.status_code == 200
    with app.app_context():
        (row,) = rows()
        assert row.status == "received"
    later = make_app(**webhook_config())  # same database, jobs inline: the reconciler's view
    with later.app_context():
        result = reconcile(now=utcnow() + timedelta(minutes=11))
        assert result.requeued == 1
        (row,) = rows()
        assert row.status == "ignored" and row.attempts == 1


@pytest.mark.redis
def test_the_processing_job_is_queued_with_a_deterministic_id(make_app, redis_url):
    app = make_app(**webhook_config(JOBS_MODE="rq", REDIS_URL=redis_url))
    payload = event("custom.thing", event_id="evt-123_ABC")
    client = app.test_client()
    assert deliver(client, payload).status_code == 200
    assert deliver(client, payload).get_json()["status"] == "duplicate"
    queue = Queue("webhooks", connection=Redis.from_url(redis_url))
    assert queue.job_ids == ["webhook-evt-123_ABC"]  # queued once, named after the event
    job = queue.fetch_job("webhook-evt-123_ABC")
    assert job.func_name == "jobs.webhooks.process_event"
    assert job.retries_left == app.config["WEBHOOK_MAX_ATTEMPTS"] - 1
    assert job.retry_intervals == [2, 4, 8, 16]  # WEBHOOK_RETRY_BASE_SECONDS, doubling
    with app.app_context():
        (row,) = rows()
        assert row.status == "received" and job.args == (row.id,)


def test_job_ids_are_safe_for_any_event_id():
    assert job_id_for("a1b2-c3") == "webhook-a1b2-c3"
    assert job_id_for("a1b2-c3", 2) == "webhook-a1b2-c3-r2"
    odd = job_id_for("evt:with/odd chars")
    assert odd.startswith("webhook-") and odd == job_id_for("evt:with/odd chars")
    assert set(odd) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def test_response_is_json_with_a_request_id(app):
    response = deliver(app.test_client(), event("custom.thing"))
    assert response.is_json and response.headers.get("X-Request-ID")
    assert json.loads(response.get_data())["status"] == "accepted"
    assert NOTIFICATION_URL.endswith("/webhooks/square")
