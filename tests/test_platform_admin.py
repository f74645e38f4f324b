"""/platform: platform administrators (no shop's staff) list, create, disable and give domains to
shops — only on the deployment's own address, only signed in, only with CSRF."""

from __future__ import annotations

from sqlalchemy import func, select, text

from storefront.extensions import db
from storefront.shops import registry
from storefront.shops.context import use_shop
from storefront.shops.models import Shop
from storefront.shops.services import ensure_admin
from tests.support.accounts import PASSWORD, make_staff
from tests.support.pages import csrf_token, soup


def signed_in(app):
    with app.app_context():
        password = ensure_admin("Root@Platform.example")
    client = app.test_client()
    token = csrf_token(client, "/platform/login")
    response = client.post("/platform/login", data={"csrf_token": token, "email": "root@platform.example",
                                                    "password": password})
    assert response.status_code == 303
    return client


def test_the_page_needs_a_platform_admin_and_lives_only_at_the_platform_address(two_shops):
    app = two_shops
    client = app.test_client()
    assert client.get("/platform/").status_code == 303  # to the sign-in page
    assert client.get("/vendors/north/platform/").status_code == 404
    assert client.get("/platform/login", headers={"Host": "north.shops.example"}).status_code == 200
    app.config["PLATFORM_DOMAIN"] = "shops.example"
    assert client.get("/platform/login", headers={"Host": "north.shops.example"}).status_code == 404
    # a default-shop staff session grants nothing here
    with use_shop("default"):
        staff = make_staff(app, "boss@default.example", role="admin")
    staff_client = app.test_client()
    token = csrf_token(staff_client, "/staff/login")
    signed = staff_client.post("/staff/login", data={"csrf_token": token, "email": staff.email, "password": PASSWORD})
    assert signed.status_code == 303 and staff_client.get("/staff/").status_code == 200
    assert staff_client.get("/platform/").status_code == 303


def test_wrong_passwords_and_unknown_addresses_read_the_same(two_shops):
    app = two_shops
    with app.app_context():
        ensure_admin("root@platform.example")
    client = app.test_client()
    token = csrf_token(client, "/platform/login")
    answers = [client.post("/platform/login", data={"csrf_token": token, "email": email, "password": "nope"})
               for email in ("root@platform.example", "nobody@platform.example")]
    assert [a.status_code for a in answers] == [401, 401]
    assert soup(answers[0]).find(id="login-error").get_text() == soup(answers[1]).find(id="login-error").get_text()
    assert client.post("/platform/login", data={"email": "root@platform.example", "password": "x"}).status_code == 400


def test_create_attach_a_domain_and_disable_a_shop(two_shops):
    app = two_shops
    client = signed_in(app)
    page = soup(client.get("/platform/"))
    assert {row["data-shop"] for row in page.select("tr[data-shop]")} == {"default", "north", "south"}
    token = csrf_token(client, "/platform/")
    created = client.post("/platform/shops", data={"csrf_token": token, "code": "east", "name": "East End Vinyl",
                                                   "accent": "#aa3366", "domain": "east-vinyl.example"})
    assert created.status_code == 303
    home = client.get("/", headers={"Host": "east-vinyl.example"})
    assert home.status_code == 200 and "East End Vinyl" in home.get_data(as_text=True)
    with app.app_context(), use_shop("east"):
        assert db.session.execute(text("SELECT COUNT(*) FROM items")).scalar() == 0  # its own, migrated schema
    attached = client.post("/platform/shops/north/domains",
                           data={"csrf_token": token, "host": "North-Records.example"})
    assert attached.status_code == 303
    assert "North Records" in client.get("/", headers={"Host": "north-records.example"}).get_data(as_text=True)
    disabled = client.post("/platform/shops/south/status", data={"csrf_token": token, "status": "disabled"})
    assert disabled.status_code == 303 and client.get("/vendors/south/").status_code == 404
    assert "disabled" in soup(client.get("/platform/")).find("tr", attrs={"data-shop": "south"}).get_text()


def test_bad_input_is_refused_with_a_message_and_changes_nothing(two_shops):
    app = two_shops
    client = signed_in(app)
    token = csrf_token(client, "/platform/")
    for form in ({"code": "Bad Code", "name": "x"}, {"code": "ok", "name": ""}, {"code": "north", "name": "Again"},
                 {"code": "west", "name": "West", "accent": "red"}, {"code": "default", "name": "Mine"}):
        response = client.post("/platform/shops", data={"csrf_token": token, **form})
        assert response.status_code in (400, 409), form
        assert soup(response).select(".flash-error"), form
    bad_host = client.post("/platform/shops/north/domains", data={"csrf_token": token, "host": "not a host"})
    assert bad_host.status_code == 400
    unknown = client.post("/platform/shops/nowhere/status", data={"csrf_token": token, "status": "disabled"})
    assert unknown.status_code == 404
    assert client.post("/platform/shops", data={"code": "csrf", "name": "No token"}).status_code == 400
    with app.app_context(), registry.platform_session() as session:
        assert session.scalar(select(func.count()).select_from(Shop)) == 2
