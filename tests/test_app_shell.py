"""The page shell: layout, navigation, error pages, security headers, vendored htmx."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.pages import soup

ROOT = Path(__file__).resolve().parent.parent


def test_home_page_has_layout_nav_and_footer(client):
    response = client.get("/")
    assert response.status_code == 200
    page = soup(response)
    assert page.find("header", class_="site-header").find("a", class_="brand").text.strip()
    nav = page.find("nav", attrs={"aria-label": "Main"})
    assert nav is not None and nav.get("hx-boost") == "true"
    assert page.find("footer", class_="site-footer") is not None
    assert page.find("main", id="main") is not None


def test_htmx_is_vendored_and_sends_csrf_header(client):
    page = soup(client.get("/"))
    scripts = [s["src"] for s in page.find_all("script")]
    htmx_src = next(src for src in scripts if "htmx-2." in src)
    assert not htmx_src.startswith("http"), "htmx must be served from static/, not a CDN"
    asset = client.get(htmx_src)
    assert asset.status_code == 200 and b'version:"2.' in asset.data
    asset.close()
    body = page.find("body")
    assert '"X-CSRFToken"' in body["hx-headers"]
    config = page.find("meta", attrs={"name": "htmx-config"})["content"]
    assert '"allowEval": false' in config  # CSP has no unsafe-eval, so htmx must not need it


def test_html_404_uses_the_shop_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    page = soup(response)
    assert page.find("h1").text == "We can't find that page"
    assert page.find("header", class_="site-header") is not None


def test_html_500_page_hides_the_error(app, client):
    def explode():
        raise RuntimeError("secret internals")

    app.add_url_rule("/boom", "boom", explode)
    response = client.get("/boom")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "secret internals" not in text
    assert soup(response).find("h1").text == "Something went wrong"
    assert response.headers["X-Request-ID"] in text


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    script_src = next(p for p in csp.split(";") if p.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP
    https = client.get("/", base_url="https://shop.example")
    assert https.headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_inline_scripts_in_templates():
    for template in (ROOT / "templates").rglob("*.html"):
        for script in soup_file(template).find_all("script"):
            assert script.get("src"), f"inline <script> in {template} breaks the CSP"


def soup_file(path: Path):
    from bs4 import BeautifulSoup

    return BeautifulSoup(path.read_text(), "html.parser")


def test_session_cookie_flags(make_app):
    app = make_app()
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_the_session_serializer_is_built_once_per_key_and_keeps_key_rotation(make_app):
    from itsdangerous import BadSignature

    app = make_app(SECRET_KEY="first-key-for-this-test")
    interface = app.session_interface
    first = interface.get_signing_serializer(app)
    assert interface.get_signing_serializer(app) is first
    cookie = first.dumps({"cart": 3})
    app.config["SECRET_KEY"] = "second-key-for-this-test"  # rotated, the old key kept as a fallback
    app.config["SECRET_KEY_FALLBACKS"] = ["first-key-for-this-test"]
    rotated = interface.get_signing_serializer(app)
    assert rotated is not first and rotated.loads(cookie) == {"cart": 3}
    app.config["SECRET_KEY_FALLBACKS"] = []
    with pytest.raises(BadSignature):
        interface.get_signing_serializer(app).loads(cookie)


def test_ensure_sync_answers_flask_s_answer_once_per_function(app):
    def view():
        return "ok"

    assert app.ensure_sync(view) is view
    assert app.ensure_sync(view) is app.ensure_sync(view)
    assert view in app._sync_functions


def test_the_payment_redirect_is_allowed_where_the_ecs_lives_now(app):
    """`flask demo --port N` moves the sandbox after the app exists; the CSP's form-action follows it."""
    app.config["ECS_BASE_URL"] = "http://127.0.0.1:5701"
    policy = app.test_client().get("/").headers["Content-Security-Policy"]
    form_action = next(p for p in policy.split("; ") if p.startswith("form-action"))
    assert "http://127.0.0.1:5701" in form_action and "https://square.link" in form_action
