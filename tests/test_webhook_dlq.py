"""The staff DLQ: JSON (token + signed request), pages (CSRF), CLI; redaction; every replay/discard audited."""

from __future__ import annotations

import json
import time

import pyotp
import pytest

from storefront.api.auth import sign_staff_request
from storefront.audit.models import AuditEntry
from storefront.catalog import webhooks as catalog_webhooks
from storefront.extensions import db
from storefront.sync import webhooks as sync_webhooks
from storefront.webhooks import handlers
from storefront.webhooks.models import WebhookEvent
from storefront.webhooks.redaction import redact, trim
from tests.support.accounts import bearer, install_test_login, login, make_staff
from tests.support.pages import csrf_token, soup
from tests.support.webhooks import add_row, event, webhook_config

HMAC_KEY = "staff-hmac-test-key"
DLQ = "/api/v1/staff/webhooks/dlq"

PII_PAYMENT = {
    "id": "PAY1", "status": "FAILED", "amount_money": {"amount": 2599, "currency": "USD"},
    "buyer_email_address": "ada@example.com", "note": "Call me on 555-0101, ada@example.com",
    "billing_address": {"address_line_1": "1 Secret Lane", "locality": "Springfield", "postal_code": "SW1A 2AA"},
    "shipping_address": {"first_name": "Ada", "last_name": "Lovelace"},
    "card_details": {"card": {"cardholder_name": "ADA LOVELACE", "last_4": "1111"}},
    "line_items": [{"name": "Blue Train LP", "quantity": "1"}],
}
PII_ORDER = {"order_id": "O1", "fulfillments": [{"shipment_details": {"recipient": {
    "display_name": "Ada Lovelace", "email_address": "ada@example.com", "phone_number": "+1 555 010 1234",
    "address": {"address_line_1": "1 Secret Lane"}}}}], "customer_note": "leave at the back door"}
# Distinctive strings only: a bare "555" or "90210" also turns up inside random UUIDs and timestamps.
SECRETS = ("ada@example.com", "Lovelace", "Secret Lane", "555-0101", "555 010 1234", "back door", "ADA LOVELACE",
           "SW1A 2AA")


@pytest.fixture
def app(make_app):
    app = make_app(**webhook_config(STAFF_API_HMAC_KEY=HMAC_KEY))
    install_test_login(app)
    return app


@pytest.fixture(autouse=True)
def builtin_handlers_only(app, monkeypatch):
    """Replays run the built-in handlers (payment.* is recorded), whatever other domains register."""
    monkeypatch.setattr(handlers, "_HANDLERS", {})
    handlers.register_fallbacks()
    catalog_webhooks.register()
    sync_webhooks.register()


@pytest.fixture
def staff(app):
    """The DLQ's operator: two-factor sign-in on (STAFF_TOTP_REQUIRED_FOR_DLQ is on by default)."""
    return make_staff(app, "ops@example.com", totp_enabled=True, totp_secret=pyotp.random_base32())


def test_both_surfaces_refuse_a_password_only_staff_member(app, dead):
    plain = make_staff(app, "plain@example.com")
    api = call(app.test_client(), app, plain, "DELETE", f"{DLQ}/{dead}", {"reason": "poison"})
    assert api.status_code == 403 and api.get_json()["error"]["code"] == "totp_required"
    api_list = call(app.test_client(), app, plain, "GET", DLQ)
    assert api_list.status_code == 403
    page = app.test_client()
    login(page, plain)
    listing = page.get("/staff/webhooks/dlq")
    assert listing.status_code == 303 and "two-factor" in listing.headers["Location"]
    token = csrf_token(page, "/staff/")
    discard = page.post(f"/staff/webhooks/dlq/{dead}/discard", data={"reason": "poison", "csrf_token": token})
    assert discard.status_code == 303 and "two-factor" in discard.headers["Location"]
    with app.app_context():
        assert db.session.get(WebhookEvent, dead).status == "dead"  # nothing changed
        assert not db.session.query(AuditEntry).filter(AuditEntry.action.like("dlq.%")).count()


@pytest.fixture
def dead(app):
    payload = event("payment.updated", {"type": "payment", "id": "PAY1", "object": {"payment": PII_PAYMENT}})
    return add_row(app, status="dead", event_type="payment.updated", payload=payload,
                   last_error="RuntimeError: ECS timed out")


def signed(method: str, path: str, body: bytes = b"", key: str = HMAC_KEY, ts: int | None = None) -> dict[str, str]:
    return {"X-Signature": sign_staff_request(key, method, path.split("?")[0], body, ts)}


def call(client, app, staff, method: str, path: str, payload: dict | None = None, **sig):
    body = json.dumps(payload).encode() if payload is not None else b""
    headers = {**bearer(app, staff), **signed(method, path, body, **sig)}
    return client.open(path, method=method, data=body or None, headers=headers,
                       content_type="application/json" if payload is not None else None)


def audit_rows(app, action: str | None = None) -> list[AuditEntry]:
    with app.app_context():
        query = db.select(AuditEntry).order_by(AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        rows = list(db.session.scalars(query))
        db.session.expunge_all()
        return rows


def status_of(app, row_id: int) -> str:
    with app.app_context():
        return db.session.get(WebhookEvent, row_id).status


# --- redaction ------------------------------------------------------------------------------------

def test_redaction_removes_customer_personal_data_and_keeps_the_rest():
    cleaned = json.dumps(redact({"payment": PII_PAYMENT, "order": PII_ORDER}))
    for secret in SECRETS:
        assert secret not in cleaned
    assert "Blue Train LP" in cleaned and "2599" in cleaned and "1111" in cleaned and "FAILED" in cleaned


def test_trim_bounds_long_lists_and_strings():
    trimmed = trim({"counts": list(range(12)), "text": "x" * 500})
    assert trimmed["counts"] == [0, 1, 2, 3, 4, "… 7 more"]
    assert len(trimmed["text"]) == 201


# --- JSON API ------------------------------------------------------------------------------------

def test_list_is_paginated_and_redacted(app, staff, dead):
    for n in range(3):
        add_row(app, status="dead", event_type="order.updated",
                payload=event("order.updated", {"type": "order_updated", "id": f"O{n}",
                                                "object": {"order_updated": PII_ORDER}}))
    add_row(app, status="processed", event_type="order.updated", attempts=1, last_error=None)
    client = app.test_client()
    response = call(client, app, staff, "GET", f"{DLQ}?limit=2")
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["pagination"] == {"page": 1, "limit": 2, "total": 4, "pages": 2, "has_next": True, "has_prev": False}
    first = body["events"][0]
    assert set(first) >= {"id", "event_id", "event_type", "attempts", "last_error", "timestamps", "payload"}
    assert first["attempts"] == 5 and first["status"] == "dead"
    assert set(first["timestamps"]) >= {"received_at", "last_attempt_at", "finished_at", "event_created_at"}
    everything = json.dumps(call(client, app, staff, "GET", f"{DLQ}?limit=100").get_json())
    for secret in SECRETS:
        assert secret not in everything
    filtered = call(client, app, staff, "GET", f"{DLQ}?event_type=payment.updated").get_json()
    assert [e["id"] for e in filtered["events"]] == [dead]
    assert filtered["events"][0]["last_error"] == "RuntimeError: ECS timed out"
    bad = call(client, app, staff, "GET", f"{DLQ}?status=nope")
    assert bad.status_code == 422 and bad.get_json()["error"]["details"][0]["field"] == "status"


def test_one_event_in_full_for_authorised_staff(app, staff, dead):
    response = call(app.test_client(), app, staff, "GET", f"{DLQ}/{dead}")
    assert response.status_code == 200
    detail = response.get_json()["event"]
    assert detail["payload"]["data"]["object"]["payment"]["buyer_email_address"] == "ada@example.com"
    assert detail["payload_redacted"] is False
    (viewed,) = audit_rows(app, "dlq.view_payload")
    assert viewed.actor_label == "ops@example.com" and viewed.target_id == str(dead)
    assert call(app.test_client(), app, staff, "GET", f"{DLQ}/999999").status_code == 404


def test_retry_requeues_and_leaves_one_audit_row(app, staff, dead):
    response = call(app.test_client(), app, staff, "POST", f"{DLQ}/{dead}/retry",
                    {"reason": "ECS outage is over"})
    assert response.status_code == 202, response.get_data(as_text=True)
    # Jobs run inline here: the payment event is recorded (no orders handler) on its fresh attempt.
    assert response.get_json()["event"]["status"] == "processed"
    with app.app_context():
        row = db.session.get(WebhookEvent, dead)
        assert (row.status, row.attempts, row.replays) == ("processed", 1, 1)
    (entry,) = audit_rows(app, "dlq.retry")
    assert (entry.actor_kind, entry.actor_label, entry.reason) == ("staff", "ops@example.com", "ECS outage is over")
    assert entry.target_type == "webhook_event" and entry.target_id == str(dead)
    assert entry.details["previous_status"] == "dead" and entry.details["event_type"] == "payment.updated"
    again = call(app.test_client(), app, staff, "POST", f"{DLQ}/{dead}/retry", {"reason": "again"})
    assert again.status_code == 409 and len(audit_rows(app, "dlq.retry")) == 1


def test_discard_leaves_one_audit_row(app, staff, dead):
    response = call(app.test_client(), app, staff, "DELETE", f"{DLQ}/{dead}", {"reason": "poison: bad amount"})
    assert response.status_code == 200
    assert response.get_json()["event"]["status"] == "discarded"
    assert status_of(app, dead) == "discarded"
    (entry,) = audit_rows(app, "dlq.discard")
    assert entry.reason == "poison: bad amount" and entry.actor_label == "ops@example.com"


@pytest.mark.parametrize("method, suffix", [("POST", "/retry"), ("DELETE", "")])
@pytest.mark.parametrize("payload", [{}, {"reason": "   "}, {"reason": 42}])
def test_retry_and_discard_require_a_reason(app, staff, dead, method, suffix, payload):
    response = call(app.test_client(), app, staff, method, f"{DLQ}/{dead}{suffix}", payload)
    assert response.status_code == 422
    assert response.get_json()["error"]["details"] == [{"field": "reason", "message": "A reason is required."}]
    assert status_of(app, dead) == "dead" and audit_rows(app) == []


ENDPOINTS = [("GET", ""), ("GET", "/{id}"), ("POST", "/{id}/retry"), ("DELETE", "/{id}")]


@pytest.mark.parametrize("method, suffix", ENDPOINTS)
@pytest.mark.parametrize("case, expected", [
    ("no token", 401), ("customer token", 403), ("token, no signature", 401),
    ("token, wrong signature", 403), ("token, stale signature", 401), ("signature, no token", 401),
])
def test_dlq_endpoints_refuse_without_token_and_signature(app, staff, dead, method, suffix, case, expected):
    path = DLQ + suffix.format(id=dead)
    body = json.dumps({"reason": "let me"}).encode() if method != "GET" else b""
    headers: dict[str, str] = {}
    if case in ("token, no signature", "token, wrong signature", "token, stale signature"):
        headers.update(bearer(app, staff))
    if case == "customer token":
        headers.update(bearer(app, kind="customer", subject_id=1), **signed(method, path, body))
    if case == "token, wrong signature":
        headers.update(signed(method, path, body, key="not-the-key"))
    if case == "token, stale signature":
        headers.update(signed(method, path, body, ts=int(time.time()) - 3600))
    if case == "signature, no token":
        headers.update(signed(method, path, body))
    response = app.test_client().open(path, method=method, data=body or None, headers=headers,
                                      content_type="application/json" if body else None)
    assert response.status_code == expected, response.get_data(as_text=True)
    assert "ada@example.com" not in response.get_data(as_text=True)
    assert status_of(app, dead) == "dead" and audit_rows(app) == []


def test_a_signature_for_another_body_is_rejected(app, staff, dead):
    headers = {**bearer(app, staff), **signed("POST", f"{DLQ}/{dead}/retry", b'{"reason": "signed"}')}
    response = app.test_client().post(f"{DLQ}/{dead}/retry", data=b'{"reason": "swapped"}', headers=headers,
                                      content_type="application/json")
    assert response.status_code == 403 and status_of(app, dead) == "dead"


def test_an_allow_listed_address_needs_the_token_but_no_signature(make_app, dead):
    app = make_app(**webhook_config(STAFF_API_IP_ALLOWLIST=["127.0.0.1/32"]))
    staff = make_staff(app, "ops2@example.com", totp_enabled=True, totp_secret=pyotp.random_base32())
    assert app.test_client().get(DLQ, headers=bearer(app, staff)).status_code == 200
    assert app.test_client().get(DLQ).status_code == 401


# --- back-office pages ----------------------------------------------------------------------------

def test_pages_need_a_staff_session(app, dead):
    response = app.test_client().get("/staff/webhooks/dlq")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


def test_list_and_detail_pages_show_the_event_redacted(app, staff, dead):
    client = app.test_client()
    login(client, staff, password_step=False)
    page = client.get("/staff/webhooks/dlq")
    assert page.status_code == 200
    (row,) = soup(page).select("#dlq-results tbody tr")
    assert row["data-status"] == "dead" and "payment.updated" in row.get_text()
    assert "RuntimeError: ECS timed out" in row.get_text()
    partial = client.get("/staff/webhooks/dlq?status=all", headers={"HX-Request": "true", "HX-Target": "dlq-results"})
    assert partial.get_data(as_text=True).lstrip().startswith('<div id="dlq-results">')
    detail = client.get(f"/staff/webhooks/dlq/{dead}")
    text = detail.get_data(as_text=True)
    assert detail.status_code == 200 and "Blue Train LP" in text
    for secret in SECRETS:
        assert secret not in text
    forms = {f["action"] for f in soup(detail).select("form[method=post]")}
    assert {f"/staff/webhooks/dlq/{dead}/retry", f"/staff/webhooks/dlq/{dead}/discard"} <= forms


def test_page_retry_and_discard_need_csrf(app, staff, dead):
    client = app.test_client()
    login(client, staff, password_step=False)
    for action in ("retry", "discard"):
        response = client.post(f"/staff/webhooks/dlq/{dead}/{action}", data={"reason": "no token"})
        assert response.status_code == 400  # Flask-WTF: "The CSRF token is missing."
    assert status_of(app, dead) == "dead" and audit_rows(app) == []


def test_page_retry_needs_a_reason_and_is_audited(app, staff, dead):
    client = app.test_client()
    login(client, staff, password_step=False)
    token = csrf_token(client, f"/staff/webhooks/dlq/{dead}")
    missing = client.post(f"/staff/webhooks/dlq/{dead}/retry", data={"csrf_token": token, "reason": " "})
    assert missing.status_code == 422 and "A reason is required." in missing.get_data(as_text=True)
    assert status_of(app, dead) == "dead" and audit_rows(app) == []
    done = client.post(f"/staff/webhooks/dlq/{dead}/retry", data={"csrf_token": token, "reason": "fixed upstream"})
    assert done.status_code == 303 and done.headers["Location"].endswith(f"/staff/webhooks/dlq/{dead}")
    assert status_of(app, dead) == "processed"
    (entry,) = audit_rows(app, "dlq.retry")
    assert entry.reason == "fixed upstream" and entry.actor_label == "ops@example.com"
    assert "queued for another try" in client.get(done.headers["Location"]).get_data(as_text=True)


def test_page_discard_is_audited(app, staff, dead):
    client = app.test_client()
    login(client, staff, password_step=False)
    token = csrf_token(client, f"/staff/webhooks/dlq/{dead}")
    done = client.post(f"/staff/webhooks/dlq/{dead}/discard", data={"csrf_token": token, "reason": "duplicate charge"})
    assert done.status_code == 303 and status_of(app, dead) == "discarded"
    (entry,) = audit_rows(app, "dlq.discard")
    assert entry.reason == "duplicate charge"
    conflict = client.post(f"/staff/webhooks/dlq/{dead}/discard", data={"csrf_token": token, "reason": "again"})
    assert conflict.status_code == 409 and len(audit_rows(app, "dlq.discard")) == 1


def test_dashboard_counts_dead_events(app, staff, dead):
    client = app.test_client()
    login(client, staff, password_step=False)
    card = soup(client.get("/staff/")).select_one('[data-card="webhooks.dead"]')
    assert card is not None and "1" in card.select_one(".dashboard-value").get_text()


# --- CLI -----------------------------------------------------------------------------------------

def test_cli_list_show_retry_discard(app, dead):
    other = add_row(app, status="dead", event_type="order.updated")
    runner = app.test_cli_runner()
    listing = runner.invoke(args=["webhooks", "dlq", "list"])
    assert listing.exit_code == 0 and "payment.updated" in listing.output and "ECS timed out" in listing.output
    shown = runner.invoke(args=["webhooks", "dlq", "show", str(dead)])
    assert shown.exit_code == 0 and json.loads(shown.output)["payload_redacted"] is True
    assert "ada@example.com" not in shown.output
    full = runner.invoke(args=["webhooks", "dlq", "show", str(dead), "--full"])
    assert "ada@example.com" in full.output
    no_reason = runner.invoke(args=["webhooks", "dlq", "retry", str(dead)])
    assert no_reason.exit_code == 2 and "--reason" in no_reason.output
    blank = runner.invoke(args=["webhooks", "dlq", "discard", str(other), "--reason", "  "])
    assert blank.exit_code == 2
    assert status_of(app, dead) == "dead" and audit_rows(app, "dlq.retry") == []
    retried = runner.invoke(args=["webhooks", "dlq", "retry", str(dead), "--reason", "replay after fix"])
    assert retried.exit_code == 0, retried.output
    discarded = runner.invoke(args=["webhooks", "dlq", "discard", str(other), "--reason", "obsolete"])
    assert discarded.exit_code == 0, discarded.output
    assert (status_of(app, dead), status_of(app, other)) == ("processed", "discarded")
    (retry_entry,) = audit_rows(app, "dlq.retry")
    (discard_entry,) = audit_rows(app, "dlq.discard")
    assert (retry_entry.actor_kind, retry_entry.actor_label) == ("system", "cli")
    assert retry_entry.reason == "replay after fix"
    assert discard_entry.actor_label == "cli" and discard_entry.reason == "obsolete"
    missing = runner.invoke(args=["webhooks", "dlq", "retry", "99999", "--reason", "x"])
    assert missing.exit_code == 1 and "No webhook event #99999" in missing.output
