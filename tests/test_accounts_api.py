"""Customer accounts over /api/v1: register, confirm, login tokens (expiry, logout, revocation), limits."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storefront.apitokens.models import ApiToken
from storefront.apitokens.services import revoke_all
from storefront.db.timestamps import utcnow
from storefront.extensions import db
from tests.support.accounts import PASSWORD, bearer, customer_bearer, customer_count, make_customer, make_staff
from tests.support.emails import link_path, sent_emails

STRONG = "turntable dust jacket 1972"


def _without_request_id(body: dict) -> dict:
    body = {**body}
    if "error" in body:
        body["error"] = {**body["error"], "request_id": "<normalised>"}
    return body


def _register(client, email: str, password: str = STRONG, name: str = "Jo Vinyl"):
    return client.post("/api/v1/customer/register", json={"email": email, "name": name, "password": password})


def test_register_answers_the_same_for_new_and_existing_emails(app):
    client = app.test_client()
    make_customer(app, "existing@example.com")
    new = _register(client, "new@example.com")
    existing = _register(client, "Existing@Example.com")
    assert new.status_code == existing.status_code == 202
    assert new.get_json() == existing.get_json()
    assert new.get_json()["status"] == "pending_confirmation" and new.get_json()["message"]
    assert {name for name, _ in new.headers} == {name for name, _ in existing.headers}
    assert [(m.to, m.kind) for m in sent_emails(app)] == [("new@example.com", "accounts.confirm_email"),
                                                          ("existing@example.com", "accounts.already_registered")]
    assert customer_count(app) == 2


@pytest.mark.parametrize(("payload", "fields"), [
    ({"email": "jo@example.com", "name": "Jo", "password": "short"}, {"password"}),
    ({"email": "jo@example.com", "name": "Jo", "password": "password1234"}, {"password"}),
    ({"email": "jo@example.com", "name": "Jo", "password": "jo@example.com"}, {"password"}),
    ({"email": "nope", "name": "", "password": STRONG}, {"email", "name"}),
    ({"email": "jo@example.com", "name": "Jo"}, {"password"}),
    ({"email": 7, "name": ["Jo"], "password": STRONG}, {"email", "name"}),
])
def test_invalid_registration_is_a_422_envelope_and_creates_nothing(app, payload, fields):
    response = app.test_client().post("/api/v1/customer/register", json=payload)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and error["request_id"] == response.headers["X-Request-ID"]
    assert {d["field"] for d in error["details"]} == fields
    assert all(d["message"] for d in error["details"])
    assert customer_count(app) == 0 and sent_emails(app) == []


def test_register_needs_a_json_object(app):
    client = app.test_client()
    assert client.post("/api/v1/customer/register", data="email=x").status_code == 415
    bad = client.post("/api/v1/customer/register", data="[1]", content_type="application/json")
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "invalid_json"


def test_confirm_through_the_api_then_log_in(app):
    client = app.test_client()
    _register(client, "jo@example.com")
    before = client.post("/api/v1/customer/login", json={"email": "jo@example.com", "password": STRONG})
    assert before.status_code == 401, "unconfirmed accounts cannot log in"
    token = link_path(sent_emails(app)[0]).rsplit("/", 1)[1]
    confirmed = client.post("/api/v1/customer/confirm", json={"token": token})
    assert confirmed.status_code == 200 and confirmed.get_json()["customer"]["email"] == "jo@example.com"
    again = client.post("/api/v1/customer/confirm", json={"token": token})
    assert again.status_code == 400 and again.get_json()["error"]["code"] == "invalid_link"
    login = client.post("/api/v1/customer/login", json={"email": "jo@example.com", "password": STRONG})
    assert login.status_code == 200


def test_login_issues_a_bearer_token_for_me(app):
    customer = make_customer(app, "jo@example.com", name="Jo Vinyl")
    client = app.test_client()
    response = client.post("/api/v1/customer/login", json={"email": " JO@example.com", "password": PASSWORD})
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["token"].startswith("sfc_")
    assert body["customer"] == {"id": customer.id, "email": "jo@example.com", "name": "Jo Vinyl"}
    assert body["expires_at"].endswith("+00:00")
    me = client.get("/api/v1/customer/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200
    assert me.get_json()["customer"]["id"] == customer.id and me.get_json()["token_expires_at"] == body["expires_at"]
    with app.app_context():
        row = db.session.query(ApiToken).one()
        assert (row.kind, row.subject_id) == ("customer", customer.id) and body["token"] not in row.token_hash


def test_login_failures_are_identical_for_unknown_email_wrong_password_and_unconfirmed(app):
    make_customer(app, "jo@example.com")
    make_customer(app, "pending@example.com", confirmed=False)
    client = app.test_client()
    responses = [
        client.post("/api/v1/customer/login", json={"email": "jo@example.com", "password": "wrong password!"}),
        client.post("/api/v1/customer/login", json={"email": "nobody@example.com", "password": PASSWORD}),
        client.post("/api/v1/customer/login", json={"email": "pending@example.com", "password": PASSWORD}),
    ]
    assert {r.status_code for r in responses} == {401}
    bodies = [_without_request_id(r.get_json()) for r in responses]
    assert bodies[0] == bodies[1] == bodies[2]
    assert bodies[0]["error"]["code"] == "invalid_credentials"


def test_expired_token_is_rejected(app):
    make_customer(app, "jo@example.com")
    client = app.test_client()
    headers = customer_bearer(client, "jo@example.com")
    with app.app_context():
        db.session.query(ApiToken).one().expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = client.get("/api/v1/customer/me", headers=headers)
    assert response.status_code == 401 and "invalid_token" in response.headers["WWW-Authenticate"]


def test_logout_revokes_the_token(app):
    make_customer(app, "jo@example.com")
    client = app.test_client()
    headers = customer_bearer(client, "jo@example.com")
    other = customer_bearer(client, "jo@example.com")
    assert client.post("/api/v1/customer/logout").status_code == 401
    assert client.post("/api/v1/customer/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/customer/me", headers=headers).status_code == 401
    assert client.post("/api/v1/customer/logout", headers=headers).status_code == 401
    assert client.get("/api/v1/customer/me", headers=other).status_code == 200, "only that token ends"


def test_revoked_tokens_are_rejected(app):
    customer = make_customer(app, "jo@example.com")
    client = app.test_client()
    headers = customer_bearer(client, "jo@example.com")
    with app.app_context():
        assert revoke_all("customer", customer.id) == 1
    assert client.get("/api/v1/customer/me", headers=headers).status_code == 401


def test_staff_tokens_are_not_customer_tokens(app):
    staff = make_staff(app)
    response = app.test_client().get("/api/v1/customer/me", headers=bearer(app, staff))
    assert response.status_code == 403


def test_failed_logins_are_limited_per_account(make_app):
    app = make_app(CUSTOMER_LOGIN_RATE_LIMIT_PER_ACCOUNT="3 per 15 minutes")
    make_customer(app, "jo@example.com")
    client = app.test_client()
    for _ in range(3):
        assert client.post("/api/v1/customer/login",
                           json={"email": "jo@example.com", "password": "wrong password!"}).status_code == 401
    blocked = client.post("/api/v1/customer/login", json={"email": "Jo@example.com", "password": PASSWORD})
    assert blocked.status_code == 429
    error = blocked.get_json()["error"]
    assert error["code"] == "rate_limited" and error["request_id"] == blocked.headers["X-Request-ID"]
    other = client.post("/api/v1/customer/login", json={"email": "x@example.com", "password": "whatever!!"})
    assert other.status_code == 401


def test_failed_logins_are_limited_per_ip(make_app):
    app = make_app(CUSTOMER_LOGIN_RATE_LIMIT_PER_IP="3 per minute")
    make_customer(app, "jo@example.com")
    client = app.test_client()
    statuses = [client.post("/api/v1/customer/login",
                            json={"email": f"guess{i}@example.com", "password": "whatever!!"}).status_code
                for i in range(3)]
    blocked = client.post("/api/v1/customer/login", json={"email": "jo@example.com", "password": PASSWORD})
    assert statuses == [401, 401, 401] and blocked.status_code == 429
    assert blocked.headers["X-RateLimit-Limit"] == "3"
    elsewhere = client.post("/api/v1/customer/login", json={"email": "jo@example.com", "password": PASSWORD},
                            environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert elsewhere.status_code == 200


def test_password_reset_through_the_api_revokes_tokens(app):
    make_customer(app, "jo@example.com")
    client = app.test_client()
    headers = customer_bearer(client, "jo@example.com")
    known = client.post("/api/v1/customer/password/forgot", json={"email": "jo@example.com"})
    unknown = client.post("/api/v1/customer/password/forgot", json={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 202 and known.get_json() == unknown.get_json()
    token = link_path(sent_emails(app, "accounts.password_reset")[0]).rsplit("/", 1)[1]
    weak = client.post("/api/v1/customer/password/reset", json={"token": token, "password": "qwerty12345"})
    assert weak.status_code == 422 and weak.get_json()["error"]["details"][0]["field"] == "password"
    done = client.post("/api/v1/customer/password/reset", json={"token": token, "password": STRONG})
    assert done.status_code == 200
    assert client.get("/api/v1/customer/me", headers=headers).status_code == 401
    assert client.post("/api/v1/customer/password/reset",
                       json={"token": token, "password": STRONG + "!"}).status_code == 400
    assert customer_bearer(client, "jo@example.com", STRONG)


def test_resend_confirmation_is_generic(app):
    make_customer(app, "pending@example.com", confirmed=False)
    client = app.test_client()
    a = client.post("/api/v1/customer/confirmation/resend", json={"email": "pending@example.com"})
    b = client.post("/api/v1/customer/confirmation/resend", json={"email": "nobody@example.com"})
    assert a.status_code == b.status_code == 202 and a.get_json() == b.get_json()
    assert [m.to for m in sent_emails(app)] == ["pending@example.com"]
