"""Customer accounts on the pages: register, confirm, log in/out, session rotation, limits, reset, profile."""

from __future__ import annotations

import time

import pytest
from flask import url_for
from itsdangerous import TimestampSigner

from storefront.accounts.models import Customer
from storefront.accounts.services import (
    LOGIN_FAILED_MESSAGE,
    REGISTER_PENDING_MESSAGE,
    ensure_customer,
    login_hooks,
)
from storefront.core.passwords import common_passwords, password_problems
from storefront.extensions import db
from tests.support.accounts import PASSWORD, customer_count, login, make_customer
from tests.support.emails import link_path, sent_emails
from tests.support.pages import csrf_token, soup

STRONG = "turntable dust jacket 1972"


def register(client, email: str, name: str = "Jo Vinyl", password: str = STRONG, **extra):
    data = {"csrf_token": csrf_token(client, "/account/register"), "email": email, "name": name,
            "password": password, **extra}
    return client.post("/account/register", data=data)


def _customer(app, email: str) -> Customer | None:
    with app.app_context():
        customer = db.session.query(Customer).filter_by(email=email).one_or_none()
        if customer is not None:
            db.session.expunge(customer)
        return customer


def _session(client) -> dict:
    with client.session_transaction() as sess:
        return dict(sess)


@pytest.fixture
def hook_calls():
    """A login hook that carries "guest_marker" across the session rotation and records its calls."""
    calls: list[tuple[int, dict]] = []

    def hook(customer_id, carried):
        calls.append((customer_id, dict(carried)))
        return {"merged_marker": carried.get("guest_marker"), "guest_marker": None}

    login_hooks.register("test.marker", hook, carry=["guest_marker"])
    yield calls
    login_hooks.unregister("test.marker")


# --- registration ---------------------------------------------------------------------------

def test_register_new_and_existing_email_look_identical(app):
    client = app.test_client()
    first = register(client, "Jo@Example.com")
    assert first.status_code == 303 and first.headers["Location"] == "/account/check-email?sent=register"
    page = client.get(first.headers["Location"])
    assert soup(page).find(id="check-email-message").text == REGISTER_PENDING_MESSAGE

    [confirm_mail] = sent_emails(app)
    assert (confirm_mail.kind, confirm_mail.to, confirm_mail.status) == ("accounts.confirm_email", "jo@example.com",
                                                                         "logged")
    assert link_path(confirm_mail).startswith("/account/confirm/")
    created = _customer(app, "jo@example.com")
    assert created.email_confirmed_at is None and created.password_hash.startswith("$argon2id$")
    assert STRONG not in created.password_hash

    client.post(link_path(confirm_mail), data={"csrf_token": csrf_token(client, link_path(confirm_mail))})
    again = register(app.test_client(), "JO@example.com", name="Someone Else", password="another long passphrase")
    assert (again.status_code, again.headers["Location"]) == (first.status_code, first.headers["Location"])
    assert again.get_data() == first.get_data()
    assert customer_count(app) == 1
    assert _customer(app, "jo@example.com").name == "Jo Vinyl", "an existing account is never changed"
    [warning] = sent_emails(app, "accounts.already_registered")
    assert warning.to == "jo@example.com" and "/account/password/forgot" in warning.body
    assert "/account/confirm/" not in warning.body


def test_registering_an_unconfirmed_email_again_replaces_the_pending_password(app):
    client = app.test_client()
    register(client, "jo@example.com", password="attacker knows this one")
    register(client, "jo@example.com", password=STRONG)
    first, second = sent_emails(app, "accounts.confirm_email")
    assert client.get(link_path(first)).status_code == 400, "older links stop working"
    assert client.get(link_path(second)).status_code == 200
    client.post(link_path(second), data={"csrf_token": csrf_token(client, link_path(second))})
    fresh = app.test_client()
    assert login(fresh, "jo@example.com", "attacker knows this one", kind="customer").status_code == 200
    assert login(fresh, "jo@example.com", STRONG, kind="customer").status_code == 303


@pytest.mark.parametrize(("password", "message"), [
    ("short1!", "at least 10"),
    ("password123", "too common"),
    ("qwertyuiop", "too common"),
    ("zzzzzzzzzzzz", "too common"),
    ("jo.smith@example.com", "email"),
])
def test_password_rules_give_field_errors_and_create_nothing(app, password, message):
    client = app.test_client()
    response = register(client, "jo.smith@example.com", password=password)
    assert response.status_code == 422
    error = soup(response).find(id="password-error")
    assert error is not None and message in error.text
    assert soup(response).find(id="password")["aria-invalid"] == "true"
    assert soup(response).find(id="email")["value"] == "jo.smith@example.com"
    assert customer_count(app) == 0 and sent_emails(app) == []


def test_invalid_email_and_missing_name_are_field_errors(app):
    response = register(app.test_client(), "not-an-email", name="  ")
    assert response.status_code == 422
    page = soup(response)
    assert page.find(id="email-error") is not None and page.find(id="name-error") is not None
    assert customer_count(app) == 0


def test_common_password_list_is_a_few_thousand_entries():
    common = common_passwords()
    assert 3000 <= len(common) <= 20000
    assert {"password123", "iloveyou123", "1234567890", "qwertyuiop"} <= common
    assert password_problems("PassWord123") and not password_problems(STRONG)


def test_register_without_csrf_token_is_refused_and_changes_nothing(app):
    client = app.test_client()
    response = client.post("/account/register", data={"email": "jo@example.com", "name": "Jo", "password": STRONG})
    assert response.status_code == 400
    assert customer_count(app) == 0 and sent_emails(app) == []


# --- confirmation ---------------------------------------------------------------------------

def test_confirm_link_shows_a_button_then_the_post_confirms_and_logs_in(app, hook_calls):
    client = app.test_client()
    register(client, "jo@example.com")
    path = link_path(sent_emails(app)[0])
    page = client.get(path)
    assert page.status_code == 200 and soup(page).find(id="confirm-button") is not None
    assert _customer(app, "jo@example.com").email_confirmed_at is None, "GET changes nothing"
    assert "_user_id" not in _session(client)
    assert page.headers["Cache-Control"] == "no-store" and page.headers["Referrer-Policy"] == "no-referrer"

    response = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    customer = _customer(app, "jo@example.com")
    assert customer.email_confirmed_at is not None
    assert _session(client)["_user_id"] == f"customer:{customer.id}"
    assert [c[0] for c in hook_calls] == [customer.id], "confirming is a login: hooks run"
    assert soup(client.get("/account")).find(id="account-email").text == "jo@example.com"

    reused = client.post(path, data={"csrf_token": csrf_token(client, "/account")})
    assert reused.status_code == 400 and soup(reused).find(id="confirm-error") is not None


def test_confirm_post_without_csrf_changes_nothing(app):
    client = app.test_client()
    register(client, "jo@example.com")
    path = link_path(sent_emails(app)[0])
    assert client.post(path).status_code == 400
    assert _customer(app, "jo@example.com").email_confirmed_at is None


def test_expired_or_forged_confirmation_links_are_refused(app, monkeypatch):
    real = TimestampSigner.get_timestamp
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: int(time.time()) - 4 * 24 * 3600)
    client = app.test_client()
    register(client, "jo@example.com")
    monkeypatch.setattr(TimestampSigner, "get_timestamp", real)
    path = link_path(sent_emails(app)[0])
    assert client.get(path).status_code == 400
    assert client.post(path, data={"csrf_token": csrf_token(client, "/account/login")}).status_code == 400
    assert client.get(path[:-3] + "abc").status_code == 400
    assert _customer(app, "jo@example.com").email_confirmed_at is None


def test_resend_confirmation_is_generic(app):
    make_customer(app, "done@example.com")
    make_customer(app, "pending@example.com", confirmed=False)
    client = app.test_client()
    locations = []
    for email in ("pending@example.com", "done@example.com", "nobody@example.com"):
        response = client.post("/account/confirm/resend",
                               data={"csrf_token": csrf_token(client, "/account/confirm/resend"), "email": email})
        locations.append((response.status_code, response.headers["Location"]))
    assert len(set(locations)) == 1
    assert [m.to for m in sent_emails(app)] == ["pending@example.com"]


# --- logging in -----------------------------------------------------------------------------

def test_login_failures_look_the_same_whatever_the_cause(app):
    make_customer(app, "jo@example.com")
    make_customer(app, "pending@example.com", confirmed=False)
    client = app.test_client()
    outcomes = []
    for email, password in [("jo@example.com", "wrong password here"), ("nobody@example.com", PASSWORD),
                            ("pending@example.com", PASSWORD)]:
        response = login(client, email, password, kind="customer")
        page = soup(response)
        outcomes.append((response.status_code, page.find(id="login-error").text))
        assert not page.find(id="password").get("value"), "the password is never echoed back"
        assert "_user_id" not in _session(client)
    assert outcomes == [(200, LOGIN_FAILED_MESSAGE)] * 3
    assert "Send it again" in soup(login(client, "x@example.com", "y" * 12, kind="customer")).text


def test_login_rotates_the_session(app, hook_calls):
    customer = make_customer(app, "jo@example.com")
    client = app.test_client()
    client.get("/account/login")
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
        sess["guest_marker"] = "guest wishlist"
    before = client.get_cookie("session").value
    response = login(client, "JO@example.com ", kind="customer")
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    assert client.get_cookie("session").value != before
    after = _session(client)
    assert "planted" not in after, "the old session's contents are gone"
    assert "guest_marker" not in after and after["merged_marker"] == "guest wishlist", "hooks carry what they ask for"
    assert after["_user_id"] == f"customer:{customer.id}"
    assert after["_fresh"] is True and len(after["_id"]) > 20
    assert hook_calls == [(customer.id, {"guest_marker": "guest wishlist"})]
    assert _customer(app, "jo@example.com").last_login_at is not None


def test_a_failing_login_hook_does_not_stop_the_login(app):
    make_customer(app, "jo@example.com")

    def broken(customer_id, carried):
        raise RuntimeError("wishlist service exploded")

    login_hooks.register("test.broken", broken)
    try:
        assert login(app.test_client(), "jo@example.com", kind="customer").status_code == 303
    finally:
        login_hooks.unregister("test.broken")


@pytest.mark.parametrize(("next_url", "expected"), [
    ("/account/orders?page=2", "/account/orders?page=2"),
    ("https://evil.example/phish", "/account"),
    ("//evil.example", "/account"),
    ("/\\evil.example", "/account"),
    ("javascript:alert(1)", "/account"),
])
def test_next_only_redirects_to_local_paths(app, next_url, expected):
    make_customer(app, "jo@example.com")
    response = login(app.test_client(), "jo@example.com", next_url=next_url, kind="customer")
    assert response.status_code == 303 and response.headers["Location"] == expected


def test_login_page_keeps_a_safe_next_from_the_query_string(app):
    client = app.test_client()
    page = soup(client.get("/account/login?next=https://evil.example"))
    assert page.find("input", attrs={"name": "next"})["value"] == ""
    page = soup(client.get("/account/login?next=/wishlist"))
    assert page.find("input", attrs={"name": "next"})["value"] == "/wishlist"


def test_logout_is_a_post_with_csrf(app):
    make_customer(app, "jo@example.com")
    client = app.test_client()
    login(client, "jo@example.com", kind="customer")
    assert client.get("/account/logout").status_code == 405
    assert client.post("/account/logout").status_code == 400, "no CSRF token"
    assert client.get("/account").status_code == 200, "still logged in"
    token = soup(client.get("/account")).find("input", attrs={"name": "csrf_token"})["value"]
    response = client.post("/account/logout", data={"csrf_token": token})
    assert response.status_code == 303 and "_user_id" not in _session(client)
    assert client.get("/account").headers["Location"] == "/account/login?next=/account"


def test_profile_shows_the_account_and_links_that_exist(app):
    make_customer(app, "jo@example.com", name="Jo Vinyl")
    client = app.test_client()
    assert client.get("/account").status_code == 302
    login(client, "jo@example.com", kind="customer")
    page = soup(client.get("/account"))
    assert page.find(id="account-name").text == "Jo Vinyl"
    links = {a["href"] for a in page.select(".account-links a")}
    for endpoint in ("orders.history", "wishlist.index"):
        if endpoint in app.view_functions:
            with app.test_request_context():
                assert url_for(endpoint) in links
    nav = {a.text for a in page.select(".main-nav a")}
    assert "Account" in nav and "Log in" not in nav


# --- brute force ----------------------------------------------------------------------------

def test_failed_logins_are_limited_per_account(make_app):
    app = make_app(CUSTOMER_LOGIN_RATE_LIMIT_PER_ACCOUNT="3 per 15 minutes")
    make_customer(app, "jo@example.com")
    client = app.test_client()
    statuses = [login(client, "jo@example.com", "wrong password here", kind="customer").status_code for _ in range(3)]
    blocked = login(client, "JO@example.com", PASSWORD, kind="customer")
    assert statuses == [200, 200, 200]
    assert blocked.status_code == 429, "even the right password waits once the budget is spent"
    assert soup(blocked).find("h1").text == "Too many requests"
    assert login(client, "other@example.com", "whatever password", kind="customer").status_code == 200, "per account"
    api = client.post("/api/v1/customer/login", json={"email": "jo@example.com", "password": PASSWORD})
    assert api.status_code == 429, "page and API share the budget"


def test_failed_logins_are_limited_per_ip(make_app):
    app = make_app(CUSTOMER_LOGIN_RATE_LIMIT_PER_IP="3 per minute")
    client = app.test_client()
    statuses = [login(client, f"guess{i}@example.com", "whatever password", kind="customer").status_code
                for i in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_successful_logins_do_not_use_the_failure_budget(make_app):
    app = make_app(CUSTOMER_LOGIN_RATE_LIMIT_PER_ACCOUNT="2 per 15 minutes")
    make_customer(app, "jo@example.com")
    assert [login(app.test_client(), "jo@example.com", kind="customer").status_code for _ in range(4)] == [303] * 4


def test_registration_is_limited_per_address(make_app):
    app = make_app(CUSTOMER_EMAIL_RATE_LIMIT_PER_ADDRESS="2 per hour")
    client = app.test_client()
    assert [register(client, "jo@example.com").status_code for _ in range(3)] == [303, 303, 429]
    assert len(sent_emails(app)) == 2


# --- password reset -------------------------------------------------------------------------

def test_password_reset_flow(app):
    customer = make_customer(app, "jo@example.com")
    other_browser = app.test_client()
    login(other_browser, "jo@example.com", kind="customer")
    client = app.test_client()
    answers = set()
    for email in ("jo@example.com", "nobody@example.com"):
        response = client.post("/account/password/forgot",
                               data={"csrf_token": csrf_token(client, "/account/password/forgot"), "email": email})
        answers.add((response.status_code, response.headers["Location"]))
    assert answers == {(303, "/account/check-email?sent=reset")}
    [mail] = sent_emails(app, "accounts.password_reset")
    path = link_path(mail)
    assert client.get(path).status_code == 200

    weak = client.post(path, data={"csrf_token": csrf_token(client, path), "password": "password123"})
    assert weak.status_code == 422 and soup(weak).find(id="password-error") is not None
    done = client.post(path, data={"csrf_token": csrf_token(client, path), "password": STRONG})
    assert done.status_code == 303 and done.headers["Location"] == "/account/login"
    assert client.get(path).status_code == 400, "the link works once"
    assert login(app.test_client(), "jo@example.com", PASSWORD, kind="customer").status_code == 200
    assert login(app.test_client(), "jo@example.com", STRONG, kind="customer").status_code == 303
    assert other_browser.get("/account").status_code == 302, "other sessions end with the old password"
    assert customer.id


# --- the demo -------------------------------------------------------------------------------

def test_ensure_customer_creates_a_confirmed_account_once(app_ctx):
    first, created = ensure_customer("Shopper@Demo.test", name="Demo", password="demo-password-xyz")
    again, created_again = ensure_customer("shopper@demo.test", name="Demo", password="demo-password-xyz")
    assert created and not created_again and first.id == again.id
    assert first.email == "shopper@demo.test" and first.is_confirmed
    assert first.get_id() == f"customer:{first.id}"
