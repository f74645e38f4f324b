"""Bearer tokens (issue, expiry, revocation), the API auth decorators and signed staff requests."""

from __future__ import annotations

import hashlib
import time
from datetime import timedelta

import pytest
from flask import jsonify
from sqlalchemy import select

from storefront.api.auth import (
    customer_token_required,
    sign_staff_request,
    signed_request_required,
    staff_dlq_required,
    staff_token_required,
)
from storefront.apitokens.models import ApiToken
from storefront.apitokens.services import authenticate, issue_token, revoke, revoke_all
from storefront.db.timestamps import utcnow
from storefront.extensions import csrf, db
from storefront.staff import totp
from tests.support.accounts import PASSWORD, bearer, make_staff

KEY = "test-staff-hmac-key"


# --- the token service ----------------------------------------------------------------------

def test_issued_token_is_stored_only_as_its_hash(app_ctx):
    issued = issue_token("staff", 42, 3600)
    assert issued.token.startswith("sfs_") and len(issued.token) > 40
    row = db.session.get(ApiToken, issued.token_id)
    assert row.token_hash == hashlib.sha256(issued.token.encode()).hexdigest()
    stored = [str(v) for v in (row.kind, row.subject_id, row.token_hash)]
    assert issued.token not in stored
    assert abs((row.expires_at - utcnow()) - timedelta(hours=1)) < timedelta(seconds=5)


def test_authenticate_checks_kind_expiry_and_revocation(app_ctx):
    staff_token = issue_token("staff", 1, 3600).token
    customer_token = issue_token("customer", 1, 3600).token
    assert authenticate(staff_token, "staff").subject_id == 1
    assert authenticate(staff_token, "customer") is None
    assert authenticate(customer_token, "customer").kind == "customer"
    assert authenticate("sfs_not-a-real-token", "staff") is None
    assert authenticate("", "staff") is None

    expired = issue_token("staff", 1, 3600)
    db.session.get(ApiToken, expired.token_id).expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert authenticate(expired.token, "staff") is None

    assert revoke(staff_token) is True
    assert revoke(staff_token) is False
    assert authenticate(staff_token, "staff") is None


def test_authenticate_records_last_use(app_ctx):
    issued = issue_token("customer", 5, 60)
    assert db.session.get(ApiToken, issued.token_id).last_used_at is None
    authenticate(issued.token, "customer")
    db.session.expire_all()
    assert db.session.get(ApiToken, issued.token_id).last_used_at is not None


def test_revoke_all_only_touches_one_subject(app_ctx):
    mine = [issue_token("staff", 1, 60).token for _ in range(3)]
    other = issue_token("staff", 2, 60).token
    customer_same_id = issue_token("customer", 1, 60).token
    assert revoke_all("staff", 1) == 3
    assert all(authenticate(t, "staff") is None for t in mine)
    assert authenticate(other, "staff") is not None
    assert authenticate(customer_same_id, "customer") is not None


def test_bad_arguments_are_refused(app_ctx):
    with pytest.raises(ValueError):
        issue_token("robot", 1, 60)
    with pytest.raises(ValueError):
        issue_token("staff", 1, 0)


# --- the staff API login and token auth ------------------------------------------------------

def test_staff_api_login_me_and_logout(app, client):
    staff = make_staff(app, "Ops@Example.com")
    response = client.post("/api/v1/staff/login", json={"email": " ops@example.com ", "password": PASSWORD})
    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "Bearer" and body["token"].startswith("sfs_")
    assert body["staff"] == {**body["staff"], "email": "ops@example.com", "role": "staff", "id": staff.id}
    assert "password_hash" not in body["staff"] and "totp_secret" not in body["staff"]
    headers = {"Authorization": f"Bearer {body['token']}"}

    me = client.get("/api/v1/staff/me", headers=headers)
    assert me.status_code == 200 and me.get_json()["staff"]["email"] == "ops@example.com"

    assert client.post("/api/v1/staff/logout", headers=headers).status_code == 204
    after = client.get("/api/v1/staff/me", headers=headers)
    assert after.status_code == 401
    assert 'error="invalid_token"' in after.headers["WWW-Authenticate"]


def test_staff_api_login_failures(app, client):
    make_staff(app, "ops@example.com")
    wrong = client.post("/api/v1/staff/login", json={"email": "ops@example.com", "password": "nope"})
    unknown = client.post("/api/v1/staff/login", json={"email": "who@example.com", "password": PASSWORD})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json()["error"]["message"] == unknown.get_json()["error"]["message"]
    assert wrong.get_json()["error"]["code"] == "invalid_credentials"
    missing = client.post("/api/v1/staff/login", json={"email": "ops@example.com"})
    assert missing.status_code == 422
    assert [d["field"] for d in missing.get_json()["error"]["details"]] == ["password"]
    assert client.post("/api/v1/staff/login", data="x").status_code == 415


def test_staff_api_login_asks_for_the_totp_code(app, client):
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    make_staff(app, "twofa@example.com", totp_secret=secret, totp_enabled=True)
    first = client.post("/api/v1/staff/login", json={"email": "twofa@example.com", "password": PASSWORD})
    assert first.status_code == 401 and first.get_json()["error"]["code"] == "totp_required"
    bad = client.post("/api/v1/staff/login",
                      json={"email": "twofa@example.com", "password": PASSWORD, "totp": "000000"})
    assert bad.status_code == 401 and bad.get_json()["error"]["code"] == "invalid_credentials"
    good = client.post("/api/v1/staff/login", json={"email": "twofa@example.com", "password": PASSWORD,
                                                    "totp": totp.current_code(secret)})
    assert good.status_code == 200 and good.get_json()["staff"]["totp_enabled"] is True


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer a b", "Token abc"])
def test_malformed_authorization_is_401(app, client, header):
    response = client.get("/api/v1/staff/me", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="storefront"')
    assert response.get_json()["error"]["code"] == "unauthorized"


def test_expired_and_revoked_tokens_are_401(app, client):
    staff = make_staff(app)
    with app.app_context():
        expired = issue_token("staff", staff.id, 60)
        db.session.get(ApiToken, expired.token_id).expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        revoked = issue_token("staff", staff.id, 60)
        revoke(revoked.token)
    for token in (expired.token, revoked.token):
        response = client.get("/api/v1/staff/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401


def test_deactivated_staff_tokens_stop_working(app, client):
    staff = make_staff(app)
    headers = bearer(app, staff)
    with app.app_context():
        db.session.get(type(staff), staff.id).is_active = False
        db.session.commit()
    assert client.get("/api/v1/staff/me", headers=headers).status_code == 401


def test_customer_token_on_staff_route_is_403_and_plain_staff_on_admin_route_is_403(app, client):
    staff = make_staff(app)
    customer = client.get("/api/v1/staff/me", headers=bearer(app, kind="customer", subject_id=staff.id))
    assert customer.status_code == 403
    admin_only = client.get("/api/v1/staff/members", headers=bearer(app, staff))
    assert admin_only.status_code == 403 and "admin" in admin_only.get_json()["error"]["message"]
    admin = make_staff(app, role="admin")
    assert client.get("/api/v1/staff/members", headers=bearer(app, admin)).status_code == 200


# --- decorators on routes of the test's own ---------------------------------------------------

@pytest.fixture
def probe_app(make_app):
    """An app with probe routes using each decorator (outside the staff prefix: no default guard)."""
    app = make_app(STAFF_API_HMAC_KEY=KEY)

    @customer_token_required
    def customer_only():
        from flask import g
        return jsonify(customer_id=g.api_customer_id)

    @staff_token_required("admin")
    def admin_only():
        from flask import g
        return jsonify(staff=g.api_staff.email)

    @staff_token_required()
    @signed_request_required
    def signed():
        from flask import request
        return jsonify(body=request.get_data(as_text=True))

    @staff_dlq_required
    def dlq():
        return jsonify(ok=True)

    app.add_url_rule("/api/v1/_probe/customer", "probe_customer", customer_only)
    app.add_url_rule("/api/v1/_probe/admin", "probe_admin", admin_only)
    app.add_url_rule("/api/v1/_probe/signed", "probe_signed", signed, methods=["GET", "POST"])
    app.add_url_rule("/api/v1/_probe/dlq", "probe_dlq", dlq, methods=["POST"])
    for view in (signed, dlq):
        csrf.exempt(view)
    return app


def test_customer_token_required(probe_app):
    client = probe_app.test_client()
    ok = client.get("/api/v1/_probe/customer", headers=bearer(probe_app, kind="customer", subject_id=9))
    assert ok.status_code == 200 and ok.get_json() == {"customer_id": 9}
    anonymous = client.get("/api/v1/_probe/customer")
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    staff = make_staff(probe_app)
    assert client.get("/api/v1/_probe/customer", headers=bearer(probe_app, staff)).status_code == 403


def test_staff_role_decorator(probe_app):
    client = probe_app.test_client()
    assert client.get("/api/v1/_probe/admin", headers=bearer(probe_app, make_staff(probe_app))).status_code == 403
    admin = make_staff(probe_app, role="admin")
    response = client.get("/api/v1/_probe/admin", headers=bearer(probe_app, admin))
    assert response.status_code == 200 and response.get_json() == {"staff": admin.email}


def _signed_post(client, headers, body=b'{"reason":"replay"}', *, key=KEY, ts=None, path="/api/v1/_probe/signed",
                 signature=None):
    headers = dict(headers)
    headers["Content-Type"] = "application/json"
    if signature is not False:
        headers["X-Signature"] = signature or sign_staff_request(key, "POST", path, body, ts)
    return client.post(path, data=body, headers=headers)


def test_signed_request_valid(probe_app):
    client = probe_app.test_client()
    headers = bearer(probe_app, make_staff(probe_app))
    response = _signed_post(client, headers)
    assert response.status_code == 200 and response.get_json() == {"body": '{"reason":"replay"}'}
    get = client.get("/api/v1/_probe/signed",
                     headers={**headers, "X-Signature": sign_staff_request(KEY, "GET", "/api/v1/_probe/signed")})
    assert get.status_code == 200


def test_signed_request_refusals(probe_app):
    client = probe_app.test_client()
    headers = bearer(probe_app, make_staff(probe_app))
    missing = _signed_post(client, headers, signature=False)
    assert missing.status_code == 401 and missing.get_json()["error"]["code"] == "signature_required"
    malformed = _signed_post(client, headers, signature="v1=abc")
    assert malformed.status_code == 401 and malformed.get_json()["error"]["code"] == "signature_malformed"
    wrong_key = _signed_post(client, headers, key="not-the-key")
    assert wrong_key.status_code == 403 and wrong_key.get_json()["error"]["code"] == "signature_rejected"
    good_sig = sign_staff_request(KEY, "POST", "/api/v1/_probe/signed", b'{"reason":"replay"}')
    tampered = _signed_post(client, headers, body=b'{"reason":"other"}', signature=good_sig)
    assert tampered.status_code == 403
    other_path = sign_staff_request(KEY, "POST", "/api/v1/_probe/dlq", b'{"reason":"replay"}')
    assert _signed_post(client, headers, signature=other_path).status_code == 403
    stale = _signed_post(client, headers, ts=int(time.time()) - 301)
    assert stale.status_code == 401 and stale.get_json()["error"]["code"] == "signature_expired"
    future = _signed_post(client, headers, ts=int(time.time()) + 301)
    assert future.status_code == 401
    within = _signed_post(client, headers, ts=int(time.time()) - 250)
    assert within.status_code == 200


def test_signature_is_checked_after_the_token(probe_app):
    client = probe_app.test_client()
    assert _signed_post(client, {}).status_code == 401  # a valid signature is no substitute for a token
    customer = bearer(probe_app, kind="customer", subject_id=1)
    assert _signed_post(client, customer).status_code == 403


def test_signing_not_configured_refuses_signed_requests(make_app):
    app = make_app(STAFF_API_HMAC_KEY="")

    @staff_token_required
    @signed_request_required
    def signed():
        return jsonify(ok=True)

    app.add_url_rule("/api/v1/_probe/unconfigured", "probe_unconfigured", signed)
    client = app.test_client()
    headers = bearer(app, make_staff(app))
    signature = sign_staff_request("", "GET", "/api/v1/_probe/unconfigured")
    response = client.get("/api/v1/_probe/unconfigured", headers={**headers, "X-Signature": signature})
    assert response.status_code == 403


@pytest.mark.parametrize(("allowlist", "remote", "allowed"), [
    (["127.0.0.1"], "127.0.0.1", True),
    (["10.0.0.0/8", "192.168.1.5"], "10.20.30.40", True),
    (["10.0.0.0/8", "192.168.1.5"], "192.168.1.5", True),
    (["10.0.0.0/8"], "192.168.1.6", False),
    (["not-an-ip", "::1"], "::1", True),
    ([], "127.0.0.1", False),
])
def test_ip_allow_list_replaces_the_signature(make_app, allowlist, remote, allowed):
    app = make_app(STAFF_API_HMAC_KEY=KEY, STAFF_API_IP_ALLOWLIST=allowlist)

    @staff_token_required
    @signed_request_required
    def signed():
        return jsonify(ok=True)

    app.add_url_rule("/api/v1/_probe/ip", "probe_ip", signed)
    client = app.test_client()
    response = client.get("/api/v1/_probe/ip", headers=bearer(app, make_staff(app)),
                          environ_base={"REMOTE_ADDR": remote})
    assert response.status_code == (200 if allowed else 401)


@pytest.mark.parametrize("required", [False, True])
def test_dlq_two_factor_requirement(make_app, required):
    app = make_app(STAFF_API_HMAC_KEY=KEY, STAFF_TOTP_REQUIRED_FOR_DLQ=required)

    @staff_dlq_required
    def dlq():
        return jsonify(ok=True)

    app.add_url_rule("/api/v1/_probe/dlq2", "probe_dlq2", dlq, methods=["POST"])
    csrf.exempt(dlq)
    client = app.test_client()
    without = make_staff(app)
    with_2fa = make_staff(app, totp_secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", totp_enabled=True)
    path = "/api/v1/_probe/dlq2"
    plain = _signed_post(client, bearer(app, without), path=path)
    assert plain.status_code == (403 if required else 200)
    if required:
        assert plain.get_json()["error"]["code"] == "totp_required"
    assert _signed_post(client, bearer(app, with_2fa), path=path).status_code == 200
    assert _signed_post(client, bearer(app, with_2fa), path=path, signature=False).status_code == 401


def test_tokens_for_a_staff_member_are_listed_by_subject(app_ctx):
    issue_token("staff", 3, 60)
    issue_token("staff", 3, 60)
    rows = db.session.scalars(select(ApiToken).where(ApiToken.kind == "staff", ApiToken.subject_id == 3)).all()
    assert len(rows) == 2
