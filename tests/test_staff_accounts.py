"""Staff accounts: creation, page login with session rotation, lockout, two-factor, admin management, CLI."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storefront.audit.models import AuditEntry
from storefront.core.errors import Conflict, ValidationError
from storefront.db.timestamps import utcnow
from storefront.extensions import db
from storefront.staff import shell, totp
from storefront.staff.models import StaffMember
from storefront.staff.services import (
    LOGIN_FAILED_MESSAGE,
    create_staff,
    ensure_staff,
    update_staff,
)
from tests.support.accounts import PASSWORD, bearer, install_test_login, login, make_staff
from tests.support.pages import csrf_token, soup

NEW_PASSWORD = "a much longer new password"


@pytest.fixture
def staff_app(make_app):
    app = make_app()
    install_test_login(app)
    return app


def _audit(app, action: str) -> list[AuditEntry]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _staff(app, staff_id: int) -> StaffMember:
    with app.app_context():
        staff = db.session.get(StaffMember, staff_id)
        db.session.expunge(staff)
        return staff


# --- the service ----------------------------------------------------------------------------

def test_create_staff_normalises_hashes_and_audits(app_ctx):
    staff = create_staff("  Jo@Example.COM ", "Jo", PASSWORD, "admin", actor="cli")
    assert staff.email == "jo@example.com" and staff.role == "admin" and staff.is_active
    assert staff.password_hash.startswith("$argon2id$") and PASSWORD not in staff.password_hash
    assert staff.get_id() == f"staff:{staff.id}"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "staff.create"))
    assert (entry.actor_label, entry.target_id, entry.details["role"]) == ("cli", str(staff.id), "admin")


def test_create_staff_validation_and_duplicates(app_ctx):
    with pytest.raises(ValidationError) as bad:
        create_staff("not-an-email", "", "short", "owner")
    assert {d.field for d in bad.value.details} == {"email", "name", "role", "password"}
    create_staff("jo@example.com", "Jo", PASSWORD)
    with pytest.raises(Conflict):
        create_staff("JO@example.com", "Jo again", PASSWORD)


def test_ensure_staff_is_idempotent(app_ctx):
    first, created = ensure_staff("demo@example.com", "Demo", PASSWORD, "admin")
    again, created_again = ensure_staff("demo@example.com", "Demo", PASSWORD, "admin")
    assert created and not created_again and first.id == again.id


def test_last_admin_and_self_protection(app_ctx):
    admin = create_staff("boss@example.com", "Boss", PASSWORD, "admin")
    other = create_staff("sam@example.com", "Sam", PASSWORD)
    with pytest.raises(Conflict, match="own account"):
        update_staff(admin.id, actor=admin, is_active=False)
    with pytest.raises(Conflict, match="last active admin"):
        update_staff(admin.id, actor=other, role="staff")
    update_staff(other.id, actor=admin, role="admin")
    assert update_staff(admin.id, actor=other, role="staff") == ["role admin → staff"]


# --- page login -----------------------------------------------------------------------------

def test_page_login_rotates_the_session_and_audits(staff_app):
    staff = make_staff(staff_app, "ops@example.com")
    client = staff_app.test_client()
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    response = login(client, "OPS@example.com", kind="staff")
    assert response.status_code == 303 and response.headers["Location"] == "/staff/"
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["_user_id"] == f"staff:{staff.id}"
    dashboard = client.get("/staff/")
    assert dashboard.status_code == 200 and soup(dashboard).find("h1").text == "Dashboard"
    assert _staff(staff_app, staff.id).last_login_at is not None
    [entry] = _audit(staff_app, "staff.login")
    assert entry.actor_label == "ops@example.com" and entry.details["ip"] == "127.0.0.1"
    assert entry.details["channel"] == "page"


def test_failures_share_one_message_and_are_audited(staff_app):
    make_staff(staff_app, "ops@example.com")
    client = staff_app.test_client()
    wrong = login(client, "ops@example.com", "wrong password!!", kind="staff")
    unknown = login(client, "nobody@example.com", kind="staff")
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert soup(response).find(id="login-error").text == LOGIN_FAILED_MESSAGE
    failures = _audit(staff_app, "staff.login_failed")
    assert [(f.actor_kind, f.details["reason"]) for f in failures] == [("staff", "bad_password"),
                                                                       ("anonymous", "unknown_email")]
    assert failures[1].actor_label == "nobody@example.com"
    assert all(f.details["ip"] == "127.0.0.1" for f in failures)
    assert "password" not in str(failures[0].details).replace("bad_password", "")


def test_repeated_failures_make_further_guesses_wait(staff_app):
    staff = make_staff(staff_app, "ops@example.com")
    client = staff_app.test_client()
    threshold = staff_app.config["STAFF_LOCKOUT_THRESHOLD"]
    for _ in range(threshold):
        login(client, "ops@example.com", "wrong password!!", kind="staff")
    locked = _staff(staff_app, staff.id)
    assert locked.locked_until is not None
    seconds = (locked.locked_until - utcnow()).total_seconds()
    base = staff_app.config["STAFF_THROTTLE_BASE_SECONDS"]
    assert base - 5 < seconds <= base
    assert len(_audit(staff_app, "staff.locked")) == 1

    refused = login(client, "ops@example.com", kind="staff")  # the right password, but too soon
    assert soup(refused).find(id="login-error").text == LOGIN_FAILED_MESSAGE
    assert _audit(staff_app, "staff.login_failed")[-1].details["reason"] == "locked"
    api = client.post("/api/v1/staff/login", json={"email": "ops@example.com", "password": PASSWORD})
    assert api.status_code == 401

    with staff_app.app_context():  # the lock runs out
        db.session.get(StaffMember, staff.id).locked_until = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert login(client, "ops@example.com", kind="staff").status_code == 303
    assert _staff(staff_app, staff.id).failed_logins == 0


def test_login_is_rate_limited_per_ip(make_app):
    app = make_app(STAFF_LOGIN_RATE_LIMIT="3 per minute")
    client = app.test_client()
    statuses = [login(client, "x@example.com", "whatever-password", kind="staff").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    api = client.post("/api/v1/staff/login", json={"email": "x@example.com", "password": "whatever-password"})
    assert api.status_code == 429  # one budget for page and API


def test_logout_is_a_post_and_ends_the_session(staff_app):
    staff = make_staff(staff_app)
    client = staff_app.test_client()
    login(client, staff)
    assert client.get("/staff/logout").status_code == 405
    response = client.post("/staff/logout", data={"csrf_token": csrf_token(client, "/staff/")})
    assert response.status_code == 303 and response.headers["Location"] == "/staff/login"
    assert client.get("/staff/").status_code == 302
    assert len(_audit(staff_app, "staff.logout")) == 1


def test_deactivated_staff_lose_their_page_session(staff_app):
    staff = make_staff(staff_app)
    client = staff_app.test_client()
    login(client, staff, password_step=False)
    assert client.get("/staff/").status_code == 200
    with staff_app.app_context():
        db.session.get(StaffMember, staff.id).is_active = False
        db.session.commit()
    assert client.get("/staff/").status_code == 302


# --- two-factor -----------------------------------------------------------------------------

def test_totp_enrolment_then_two_step_login(staff_app):
    staff = make_staff(staff_app, "ops@example.com")
    client = staff_app.test_client()
    login(client, "ops@example.com", kind="staff")
    token = csrf_token(client, "/staff/account/two-factor")
    assert client.post("/staff/account/two-factor/start", data={"csrf_token": token}).status_code == 303
    page = soup(client.get("/staff/account/two-factor"))
    assert page.find("svg") is not None, "the QR code is inline SVG"
    secret = page.find(id="totp-secret").text
    assert _staff(staff_app, staff.id).totp_enabled is False

    wrong = client.post("/staff/account/two-factor/confirm", data={"csrf_token": token, "code": "123456"})
    assert wrong.status_code == 422
    right = client.post("/staff/account/two-factor/confirm",
                        data={"csrf_token": token, "code": totp.current_code(secret)})
    assert right.status_code == 303
    assert _staff(staff_app, staff.id).totp_enabled is True
    assert len(_audit(staff_app, "staff.totp_enabled")) == 1

    client.post("/staff/logout", data={"csrf_token": token})
    step_one = login(client, "ops@example.com", next_url="/staff/audit", kind="staff")
    assert step_one.headers["Location"] == "/staff/login/code"
    assert client.get("/staff/").status_code == 302, "not logged in before the code"
    code_token = csrf_token(client, "/staff/login/code")
    bad = client.post("/staff/login/code", data={"csrf_token": code_token, "code": "000000"})
    assert soup(bad).find(id="login-error").text == LOGIN_FAILED_MESSAGE
    with staff_app.app_context():  # the enrolment code's step is spent; use the next step's code
        import time
        code = totp.current_code(secret, time.time() + 30)
    good = client.post("/staff/login/code", data={"csrf_token": code_token, "code": code})
    assert good.status_code == 303 and good.headers["Location"] == "/staff/audit"
    assert client.get("/staff/").status_code == 200
    assert _audit(staff_app, "staff.login")[-1].details["second_factor"] is True


def test_code_step_without_a_password_step_starts_over(client):
    response = client.get("/staff/login/code")
    assert response.status_code == 303 and response.headers["Location"] == "/staff/login"


def test_a_code_is_accepted_once(app_ctx):
    staff = create_staff("ops@example.com", "Ops", PASSWORD)
    staff.totp_secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    code = totp.current_code(staff.totp_secret)
    assert totp.consume_code(staff, code) is True
    assert totp.consume_code(staff, code) is False
    assert totp.consume_code(staff, "12345") is False


def test_disable_totp_needs_a_code(staff_app):
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    staff = make_staff(staff_app, totp_secret=secret, totp_enabled=True)
    client = staff_app.test_client()
    login(client, staff, password_step=False)
    token = csrf_token(client, "/staff/account/two-factor")
    assert client.post("/staff/account/two-factor/disable", data={"csrf_token": token, "code": "1"}).status_code == 422
    ok = client.post("/staff/account/two-factor/disable",
                     data={"csrf_token": token, "code": totp.current_code(secret)})
    assert ok.status_code == 303 and _staff(staff_app, staff.id).totp_enabled is False


# --- admin management -----------------------------------------------------------------------

def test_admin_creates_and_edits_staff_through_pages(staff_app):
    admin = make_staff(staff_app, "boss@example.com", role="admin")
    client = staff_app.test_client()
    login(client, admin, password_step=False)
    token = csrf_token(client, "/staff/members/new")
    created = client.post("/staff/members/new", data={"csrf_token": token, "email": "new@example.com",
                                                      "name": "New Person", "role": "staff", "password": PASSWORD})
    assert created.status_code == 303
    with staff_app.app_context():
        member = db.session.scalar(select(StaffMember).where(StaffMember.email == "new@example.com"))
        member_id = member.id
    duplicate = client.post("/staff/members/new", data={"csrf_token": token, "email": "NEW@example.com",
                                                        "name": "Again", "role": "staff", "password": PASSWORD})
    assert duplicate.status_code == 409 and "already exists" in duplicate.get_data(as_text=True)
    listing = soup(client.get("/staff/members"))
    assert listing.find("tr", attrs={"data-staff-id": str(member_id)}) is not None

    promoted = client.post(f"/staff/members/{member_id}",
                           data={"csrf_token": token, "name": "New Person", "role": "admin", "is_active": "y"})
    assert promoted.status_code == 303 and _staff(staff_app, member_id).role == "admin"
    [change] = _audit(staff_app, "staff.update")
    assert change.actor_label == "boss@example.com" and change.details["change"] == "role staff → admin"

    self_off = client.post(f"/staff/members/{admin.id}", data={"csrf_token": token, "name": admin.name,
                                                               "role": "admin"})
    assert self_off.status_code == 409 and _staff(staff_app, admin.id).is_active


def test_deactivating_or_resetting_ends_sessions_and_tokens(staff_app):
    admin = make_staff(staff_app, role="admin")
    member = make_staff(staff_app)
    member_client = staff_app.test_client()
    login(member_client, member, password_step=False)
    headers = bearer(staff_app, member)
    admin_client = staff_app.test_client()
    login(admin_client, admin, password_step=False)
    token = csrf_token(admin_client, "/staff/")

    short = admin_client.post(f"/staff/members/{member.id}/password", data={"csrf_token": token, "password": "x"})
    assert short.status_code == 422
    reset = admin_client.post(f"/staff/members/{member.id}/password",
                              data={"csrf_token": token, "password": NEW_PASSWORD})
    assert reset.status_code == 303
    assert member_client.get("/staff/").status_code == 302, "old session ended by the reset"
    assert member_client.get("/api/v1/staff/me", headers=headers).status_code == 401
    assert len(_audit(staff_app, "staff.password_reset")) == 1

    fresh = staff_app.test_client()
    assert login(fresh, member, NEW_PASSWORD).status_code == 303
    new_headers = bearer(staff_app, member)
    admin_client.post(f"/staff/members/{member.id}", data={"csrf_token": token, "name": member.name, "role": "staff"})
    assert _staff(staff_app, member.id).is_active is False
    assert fresh.get("/staff/").status_code == 302
    assert fresh.get("/api/v1/staff/me", headers=new_headers).status_code == 401


def test_admin_unlocks_and_resets_two_factor(staff_app):
    admin = make_staff(staff_app, role="admin")
    member = make_staff(staff_app, locked_until=utcnow() + timedelta(minutes=10), totp_enabled=True,
                        totp_secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    client = staff_app.test_client()
    login(client, admin, password_step=False)
    token = csrf_token(client, f"/staff/members/{member.id}")
    assert client.post(f"/staff/members/{member.id}/unlock", data={"csrf_token": token}).status_code == 303
    assert client.post(f"/staff/members/{member.id}/two-factor/reset", data={"csrf_token": token}).status_code == 303
    after = _staff(staff_app, member.id)
    assert after.locked_until is None and not after.totp_enabled and after.totp_secret is None
    assert [len(_audit(staff_app, a)) for a in ("staff.unlock", "staff.totp_reset")] == [1, 1]


def test_staff_api_for_admins(staff_app):
    admin = make_staff(staff_app, role="admin")
    client = staff_app.test_client()
    headers = bearer(staff_app, admin)
    created = client.post("/api/v1/staff/members", headers=headers,
                          json={"email": "api@example.com", "name": "Api", "password": PASSWORD})
    assert created.status_code == 201
    member_id = created.get_json()["staff"]["id"]
    assert created.headers["Location"].endswith(f"/api/v1/staff/members/{member_id}")
    invalid = client.post("/api/v1/staff/members", headers=headers, json={"email": "x", "name": "X", "password": "y"})
    assert invalid.status_code == 422
    assert {d["field"] for d in invalid.get_json()["error"]["details"]} == {"email", "password"}
    patched = client.patch(f"/api/v1/staff/members/{member_id}", headers=headers, json={"role": "admin"})
    assert patched.status_code == 200 and patched.get_json()["changes"] == ["role staff → admin"]
    assert client.patch(f"/api/v1/staff/members/{member_id}", headers=headers,
                        json={"password_hash": "x"}).status_code == 422
    assert client.post(f"/api/v1/staff/members/{member_id}/password", headers=headers,
                       json={"password": NEW_PASSWORD}).status_code == 200
    assert client.get("/api/v1/staff/members/999999", headers=headers).status_code == 404
    listing = client.get("/api/v1/staff/members", headers=headers).get_json()["staff"]
    assert {s["email"] for s in listing} == {admin.email, "api@example.com"}


# --- dashboard and navigation ---------------------------------------------------------------

def test_dashboard_cards_and_nav(staff_app, monkeypatch):
    def broken():
        raise RuntimeError("this domain is not ready")

    monkeypatch.setitem(shell._CARDS, "test.broken", (1, broken))
    monkeypatch.setitem(shell._CARDS, "test.orders",
                        (2, lambda: shell.DashboardCard(label="Orders awaiting action", value=4, tone="warn")))
    staff = make_staff(staff_app)
    admin = make_staff(staff_app, role="admin")
    client = staff_app.test_client()
    login(client, staff, password_step=False)
    page = soup(client.get("/staff/"))
    cards = {li["data-card"]: li for li in page.select("li.dashboard-card")}
    assert "4" in cards["test.orders"].text and "unavailable" in cards["test.broken"].text
    assert "staff.active" in cards and "audit.last_24h" in cards
    nav = [a.text for a in page.select("nav.staff-nav a")]
    assert nav[0] == "Dashboard" and "Audit log" in nav and "Staff" not in nav
    assert page.find("form", attrs={"action": "/staff/logout"}) is not None

    login(client, admin, password_step=False)
    assert "Staff" in [a.text for a in soup(client.get("/staff/")).select("nav.staff-nav a")]
    api = client.get("/api/v1/staff/dashboard", headers=bearer(staff_app, admin)).get_json()
    assert {"key": "test.orders", "label": "Orders awaiting action", "value": 4, "detail": "", "tone": "warn",
            "available": True} in api["cards"]


# --- CLI ------------------------------------------------------------------------------------

def test_cli_create_list_set_password_unlock(app, runner):
    result = runner.invoke(args=["staff", "create", "--email", "Cli@Example.com", "--name", "Cli Person",
                                 "--role", "admin", "--password", PASSWORD])
    assert result.exit_code == 0, result.output
    assert "created admin" in result.output
    prompted = runner.invoke(args=["staff", "create", "--email", "p@example.com", "--name", "P"],
                             input=f"{PASSWORD}\n{PASSWORD}\n")
    assert prompted.exit_code == 0, prompted.output
    duplicate = runner.invoke(args=["staff", "create", "--email", "cli@example.com", "--name", "X",
                                    "--password", PASSWORD])
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output
    weak = runner.invoke(args=["staff", "create", "--email", "w@example.com", "--name", "W", "--password", "x"])
    assert weak.exit_code == 1 and "password" in weak.output

    listing = runner.invoke(args=["staff", "list"])
    assert "cli@example.com" in listing.output and "p@example.com" in listing.output
    assert runner.invoke(args=["staff", "set-password", "cli@example.com", "--password", NEW_PASSWORD]).exit_code == 0
    assert runner.invoke(args=["staff", "unlock", "cli@example.com"]).exit_code == 0
    assert runner.invoke(args=["staff", "unlock", "ghost@example.com"]).exit_code == 1
    with app.app_context():
        actors = {e.actor_label for e in db.session.scalars(select(AuditEntry))}
    assert actors == {"cli"}
