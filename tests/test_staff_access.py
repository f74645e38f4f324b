"""Every staff page and every /api/v1/staff route refuses anonymous visitors and customers.

Routes are discovered from the app's URL map, so pages and endpoints other domains add under
/staff or /api/v1/staff are covered automatically. Sample values for URL converters live in
SAMPLE_VALUES (by argument name) and by converter type below.
"""

from __future__ import annotations

import re
import tempfile
import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from flask import Blueprint

from storefront import create_app
from storefront.api.auth import sign_staff_request
from storefront.staff.auth import required_role_for
from tests.support.accounts import bearer, install_test_login, login, make_customer, make_staff
from tests.support.app import base_config
from tests.support.pages import csrf_token, soup

HMAC_KEY = "access-test-hmac-key"
SAMPLE_VALUES: dict[str, str] = {}  # argument name -> value, when a converter's default sample won't do
SAMPLE_BY_CONVERTER = {"int": "1", "uuid": str(uuid.UUID(int=1)), "path": "sample/path", "float": "1.0"}
_ARG = re.compile(r"<(?:(\w+)(?:\([^>]*\))?:)?(\w+)>")
PUBLIC_LOGIN_ENDPOINTS = {"staff.login", "staff.login_code", "api.staff_api_login"}
ENDS_THE_SESSION = {"staff.logout"}  # allowed, and answers with a redirect to the login page


def _sample_url(rule: str) -> str:
    def value(match: re.Match[str]) -> str:
        converter, name = match.group(1) or "default", match.group(2)
        return SAMPLE_VALUES.get(name, SAMPLE_BY_CONVERTER.get(converter, "sample"))

    return _ARG.sub(value, rule)


def _discover() -> list[Any]:
    app = create_app(base_config("sqlite://", INSTANCE_PATH=tempfile.mkdtemp(prefix="staff-access-")))
    cases = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not (rule.rule.startswith("/staff") or rule.rule.startswith("/api/v1/staff")):
            continue
        view = app.view_functions[rule.endpoint]
        if getattr(view, "staff_public", False):
            continue
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            cases.append(pytest.param(rule.rule, rule.endpoint, method, id=f"{method} {rule.rule}"))
    return cases


ROUTES = _discover()


@pytest.fixture
def access_app(make_app):
    # Fail fast on anything that would reach the (absent) ECS while a staff route runs for real.
    app = make_app(STAFF_API_HMAC_KEY=HMAC_KEY, ECS_MAX_RETRIES=0, ECS_TIMEOUT_SECONDS=0.5,
                   SYNC_RESUME_ATTEMPTS=0, SYNC_RESUME_BACKOFF_SECONDS=0.0)
    install_test_login(app)
    return app


def _is_api(rule: str) -> bool:
    return rule.startswith("/api/")


def _send(client, method: str, url: str, *, api: bool, csrf: str | None = None,
          headers: dict[str, str] | None = None, signed: bool = False) -> Any:
    headers = dict(headers or {})
    if api:
        body = b"{}" if method in {"POST", "PUT", "PATCH"} else b""
        if signed:
            headers["X-Signature"] = sign_staff_request(HMAC_KEY, method, urlsplit(url).path, body)
        if body:
            headers["Content-Type"] = "application/json"
        return client.open(url, method=method, data=body, headers=headers)
    data = {"csrf_token": csrf} if method != "GET" and csrf else None
    return client.open(url, method=method, data=data, headers=headers)


def _assert_allowed(response, label: str, endpoint: str) -> None:
    location = response.headers.get("Location", "")
    assert response.status_code not in (401, 403), f"{label}: refused with {response.status_code}"
    if endpoint not in ENDS_THE_SESSION:
        assert not urlsplit(location).path.startswith("/staff/login"), f"{label}: sent to the login page"
    assert response.status_code < 500, f"{label}: server error {response.status_code}"


def test_routes_were_discovered():
    endpoints = {p.values[1] for p in ROUTES}
    assert {"staff.dashboard", "audit.index", "staff_members.index", "api.staff_audit_log",
            "api.staff_api_me"} <= endpoints
    assert not endpoints & PUBLIC_LOGIN_ENDPOINTS


@pytest.mark.parametrize(("rule", "endpoint", "method"), ROUTES)
def test_staff_route_access(access_app, rule, endpoint, method):
    app = access_app
    api = _is_api(rule)
    url = _sample_url(rule)
    view = app.view_functions[endpoint]
    role = required_role_for(app, endpoint)
    assert role in ("staff", "admin"), f"{endpoint} has no staff guard"
    signed = bool(getattr(view, "requires_signature", False))
    # Two-factor on: the DLQ's routes also ask for it (tests/test_webhook_dlq.py checks the refusal).
    staff = make_staff(app, role="staff", totp_enabled=True, totp_secret=pyotp.random_base32())
    admin = make_staff(app, role="admin", totp_enabled=True, totp_secret=pyotp.random_base32())

    # Anonymous
    anon = app.test_client()
    if api:
        response = _send(anon, method, url, api=True)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        assert response.get_json()["error"]["code"] == "unauthorized"
    else:
        response = _send(anon, method, url, api=False, csrf=csrf_token(anon, "/staff/login"))
        assert response.status_code in (302, 303)
        target = urlsplit(response.headers["Location"])
        assert target.path == "/staff/login"
        if method == "GET":
            assert parse_qs(target.query)["next"] == [url]

    # A customer
    customer = app.test_client()
    if api:
        response = _send(customer, method, url, api=True, headers=bearer(app, kind="customer", subject_id=7),
                         signed=signed)
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "forbidden"
    else:
        login(customer, make_customer(app), password_step=False)
        response = _send(customer, method, url, api=False, csrf=csrf_token(customer, "/"))
        assert response.status_code == 403
        assert "staff" in soup(response).get_text().lower()

    # Plain staff: allowed unless the route is admin-only
    plain = app.test_client()
    if api:
        response = _send(plain, method, url, api=True, headers=bearer(app, staff), signed=signed)
    else:
        login(plain, staff, password_step=False)
        response = _send(plain, method, url, api=False, csrf=csrf_token(plain, "/"))
    if role == "admin":
        assert response.status_code == 403, f"{method} {url} let plain staff in"
    else:
        _assert_allowed(response, f"staff {method} {url}", endpoint)

    # Admin: always allowed
    boss = app.test_client()
    if api:
        response = _send(boss, method, url, api=True, headers=bearer(app, admin), signed=signed)
    else:
        login(boss, admin, password_step=False)
        response = _send(boss, method, url, api=False, csrf=csrf_token(boss, "/"))
    _assert_allowed(response, f"admin {method} {url}", endpoint)


def test_an_unguarded_page_under_staff_is_still_protected(make_app):
    """A blueprint another domain forgets to protect is covered by the /staff default guard."""
    app = make_app()
    install_test_login(app)
    forgotten = Blueprint("forgotten_probe", __name__, url_prefix="/staff/probe")
    forgotten.add_url_rule("", "index", lambda: "secret numbers")
    app.register_blueprint(forgotten)
    client = app.test_client()
    response = client.get("/staff/probe")
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/staff/login"
    login(client, make_customer(app), password_step=False)
    assert client.get("/staff/probe").status_code == 403
    staff_client = app.test_client()
    login(staff_client, make_staff(app), password_step=False)
    assert staff_client.get("/staff/probe").get_data(as_text=True) == "secret numbers"


def test_unknown_paths_under_staff_do_not_reveal_anything_to_anonymous(client):
    response = client.get("/staff/no-such-page")
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/staff/login"


def test_staff_pages_are_not_cached(access_app):
    client = access_app.test_client()
    login(client, make_staff(access_app), password_step=False)
    response = client.get("/staff/")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example",
                                    "javascript:alert(1)"])
def test_login_next_must_be_local(access_app, target):
    staff = make_staff(access_app)
    response = login(access_app.test_client(), staff, next_url=target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/"


def test_login_returns_to_the_requested_staff_page(access_app):
    staff = make_staff(access_app)
    client = access_app.test_client()
    first = client.get("/staff/audit?action=staff")
    next_url = parse_qs(urlsplit(first.headers["Location"]).query)["next"][0]
    assert next_url == "/staff/audit?action=staff"
    response = login(client, staff, next_url=next_url)
    assert response.headers["Location"] == "/staff/audit?action=staff"


def test_htmx_requests_get_a_client_side_redirect_to_login(client):
    response = client.get("/staff/audit", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/staff/login")
