"""Many shops on one deployment: resolution (domain, subdomain, path, Referer), isolation by
construction on SQLite and PostgreSQL (every model, every route, tokens, cookies, webhooks, raw
SQL), fail-closed data access, jobs and caches per shop, and `flask shops`."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import ProgrammingError

from storefront.accounts.models import Customer
from storefront.ecs.signature import sign
from storefront.extensions import db
from storefront.shopapi import tokens
from storefront.shops import registry
from storefront.shops.context import NoShopContext, current_shop_code, use_shop
from storefront.shops.databases import role_for
from storefront.shops.services import add_domain, create_shop, list_shops, set_status
from storefront.tasks.queue import enqueue
from tests.support.accounts import PASSWORD
from tests.support.pages import csrf_token
from tests.support.shops import NOTIFY, marker, seed

SEEDED = {"customers", "staff_members", "carts", "wishlist_entries", "orders", "event_inquiries", "item_details",
          "genres", "formats", "sync_runs", "webhook_events", "audit_entries", "content_pages", "items",
          "item_variations", "stock_levels", "api_tokens"}


def table_counts(app: Flask, code: str) -> dict[str, int]:
    """Rows per table as the shop sees them, read with raw SQL (no ORM filter could be missed)."""
    with app.app_context(), use_shop(code):
        names = [t.name for t in db.metadata.sorted_tables]
        return {name: int(db.session.execute(text(f'SELECT COUNT(*) FROM "{name}"')).scalar() or 0)
                for name in names}


# --- zero configuration ---------------------------------------------------------------------------

def test_a_fresh_install_is_one_shop_with_no_registry(app, client):
    assert client.get("/").status_code == 200
    assert client.get("/vendors/default/").status_code == 200
    assert client.get("/vendors/elsewhere/").status_code == 404
    assert registry.platform_engine(app) is None  # nothing was created for it
    with app.app_context():
        assert current_shop_code() == "default" and app.extensions.get("shops_fail_closed") is False


# --- isolation by construction ----------------------------------------------------------------------

def test_every_table_of_one_shop_is_invisible_to_the_other(two_shops):
    app = two_shops
    seed(app, "north")
    north, south, default = (table_counts(app, code) for code in ("north", "south", "default"))
    assert {name for name, n in north.items() if n} >= SEEDED
    assert {name: n for name, n in south.items() if n} == {}  # every model, by raw SQL
    assert {name: n for name, n in default.items() if n} == {}
    with app.app_context(), use_shop("south"):
        assert db.session.scalar(select(func.count()).select_from(Customer)) == 0  # and by the ORM
        assert db.session.get(Customer, 1) is None
    with app.app_context(), use_shop("north"):
        assert db.session.scalar(select(Customer.email)) == "buyer@north.example"


def test_data_access_without_a_shop_context_fails_closed(two_shops):
    app = two_shops
    seed(app, "north")
    with app.app_context():
        with pytest.raises(NoShopContext):
            db.session.execute(select(Customer)).all()
        db.session.rollback()
        if db.engine.dialect.name == "postgresql":  # even a raw connection names no shop's tables
            with db.engine.connect() as conn, pytest.raises(Exception, match="customers"):
                conn.execute(text("SELECT email FROM customers")).all()


@pytest.mark.postgres
def test_raw_sql_in_one_shops_context_reads_only_its_own_schema(two_shops):
    app = two_shops
    if "postgresql" not in app.config["SQLALCHEMY_DATABASE_URI"]:
        pytest.skip("PostgreSQL schemas: set DATABASE_URL to a PostgreSQL database")
    seed(app, "north")
    seed(app, "south")
    with app.app_context(), use_shop("south"):
        with db.engine.connect() as conn:
            assert conn.execute(text("SHOW search_path")).scalar().strip('"') == "shop_south"
            assert conn.execute(text("SELECT email FROM customers")).scalars().all() == ["buyer@south.example"]
        raw = db.session.connection().exec_driver_sql("SELECT string_agg(name, ',') FROM customers").scalar()
        assert marker("north") not in raw
        # Even SQL naming the other shop's schema outright: the connection acts as south's own role.
        assert db.session.connection().exec_driver_sql("SELECT current_user").scalar().endswith("_shop_south")
        for statement in ("SELECT email FROM shop_north.customers", "DELETE FROM shop_north.orders",
                          "COPY shop_north.customers TO STDOUT"):
            with pytest.raises(ProgrammingError, match="permission denied"):
                db.session.connection().exec_driver_sql(statement).all()
            db.session.rollback()
    with app.app_context(), use_shop("north"):
        assert db.session.scalar(text("SELECT count(*) FROM customers")) == 1  # north's rows untouched


@pytest.mark.postgres
def test_a_shop_made_before_shop_roles_runs_on_its_path_and_gets_its_role_at_the_next_migrate(two_shops, make_app):
    app = two_shops
    if "postgresql" not in app.config["SQLALCHEMY_DATABASE_URI"]:
        pytest.skip("PostgreSQL roles: set DATABASE_URL to a PostgreSQL database")
    seed(app, "north")
    with app.app_context(), use_shop("default"):
        role = role_for(str(db.engine.url.database), "north")
        with db.engine.begin() as conn:  # as an older release left it: everything owned by the login, no role
            for statement in ("REASSIGN OWNED BY {} TO CURRENT_USER", "DROP OWNED BY {}", "DROP ROLE {}"):
                conn.exec_driver_sql(statement.format(f'"{role}"'))
        db.engine.dispose()
    later = make_app(SHOP_REGISTRY_TTL_SECONDS=0, CATALOG_REVISION_TTL_SECONDS=0)  # a process started since
    page = later.test_client().get("/vendors/north/catalog")
    assert page.status_code == 200 and marker("north") in page.get_data(as_text=True)

    result = later.test_cli_runner().invoke(args=["shops", "migrate", "--shop", "north"])
    assert result.exit_code == 0, result.output
    with later.app_context(), use_shop("north"):
        assert db.session.scalar(text("SELECT current_user")) == role
        owners = db.session.scalars(text("SELECT DISTINCT tableowner FROM pg_tables "
                                         "WHERE schemaname = 'shop_north'")).all()
        assert owners == [role]
        assert db.session.scalar(text("SELECT count(*) FROM customers")) == 1
        with pytest.raises(ProgrammingError, match="permission denied"):
            db.session.execute(text("SELECT * FROM shop_south.customers"))
        db.session.rollback()
    assert marker("north") in later.test_client().get("/vendors/north/catalog").get_data(as_text=True)


def route_values(north: dict) -> dict[str, object]:
    return {"item_id": north["item_id"], "customer_id": north["customer_id"], "staff_id": north["staff_id"],
            "order_id": 1, "id": 1, "number": north["order"], "tracking_id": north["tracking"],
            "slug": north["slug"], "token": north["token"], "session_id": "north-cart-session-0123456789",
            "product_id": north["item_id"], "code": "north"}


def test_no_route_of_one_shop_shows_the_others_data(two_shops):
    """Every GET route of the app, its parameters filled with north's ids, slugs and tokens, asked of
    south with north's session cookies and bearer token: south answers with none of north's data."""
    app = two_shops
    north = seed(app, "north")
    with app.app_context(), use_shop("north"):
        jwt_token = tokens.mint(north["customer_id"]).token
    values = route_values(north)
    checked = 0
    for path, email in (("/vendors/north/account/login", north["email"]),
                        ("/vendors/north/staff/login", north["staff_email"])):
        browser = app.test_client()
        token = csrf_token(browser, path)
        assert browser.post(path, data={"csrf_token": token, "email": email, "password": PASSWORD}).status_code == 303
        north_cookie = browser.get_cookie("session_north")
        browser.set_cookie("session_south", north_cookie.value)  # the same cookie, renamed for south
        checked += _scan_routes(app, browser, values, (north["token"], jwt_token))
    assert checked > 300


def _scan_routes(app: Flask, browser, values: dict, bearer_tokens: tuple[str, ...]) -> int:
    checked = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.rule.startswith("/_"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: str(values.get(m.group(1), "1")), rule.rule)
        for token in bearer_tokens:
            response = browser.get(f"/vendors/south{path}", headers={"Authorization": f"Bearer {token}"})
            body = response.get_data(as_text=True)
            assert response.status_code < 500, (rule.rule, response.status_code)
            assert marker("north") not in body and "north.example" not in body, rule.rule
            checked += 1
    assert browser.get("/vendors/south/account").status_code in (302, 303)  # not logged in at south
    assert browser.get("/vendors/south/staff/").status_code in (302, 303)
    return checked


def test_tokens_cookies_referer_and_host_cannot_cross_shops(two_shops):
    app = two_shops
    north = seed(app, "north")
    seed(app, "south")
    client = app.test_client()
    login = client.post("/vendors/north/api/v1/shop/auth/login",
                        json={"email_or_username": north["email"], "password": PASSWORD})
    assert login.status_code == 200
    jwt_token = login.get_json()["access_token"]
    bearer = {"Authorization": f"Bearer {jwt_token}"}
    assert client.get("/vendors/north/api/v1/shop/auth/me", headers=bearer).status_code == 200
    assert client.get("/vendors/south/api/v1/shop/auth/me", headers=bearer).status_code == 401
    # the Shop API at the root, told by a forged Referer it is south: still south's rules
    forged = client.get("/api/v1/shop/auth/me", headers={**bearer, "Referer": "http://localhost/vendors/south/"})
    assert forged.status_code == 401
    unknown = client.get("/api/v1/shop/products", headers={"Referer": "http://localhost/vendors/nowhere/"})
    assert unknown.status_code == 404 and unknown.get_json()["error_code"] == "SHOP_NOT_FOUND"
    south_products = client.get("/api/v1/shop/products", headers={"Referer": "http://localhost/vendors/south/x"})
    assert [p["name"] for p in south_products.get_json()["products"]] == [f"{marker('south')} Record"]
    # /api/v1 customer tokens are rows of one shop's database: meaningless at another
    assert client.get("/vendors/south/api/v1/customer/me",
                      headers={"Authorization": f"Bearer {north['token']}"}).status_code == 401
    # a custom domain wins over a path naming another shop
    with app.app_context():
        add_domain("north", "records-north.example")
    on_domain = client.get("/", headers={"Host": "records-north.example"})
    assert marker("north") in on_domain.get_data(as_text=True)
    assert client.get("/vendors/south/", headers={"Host": "records-north.example"}).status_code == 404


def test_subdomains_and_disabled_shops(two_shops):
    app = two_shops
    app.config["PLATFORM_DOMAIN"] = "shops.example"
    seed(app, "south")
    client = app.test_client()
    page = client.get("/", headers={"Host": "south.shops.example"})
    assert page.status_code == 200 and marker("south") in page.get_data(as_text=True)
    assert client.get("/", headers={"Host": "nowhere.shops.example"}).status_code == 404
    with app.app_context():
        set_status("south", "disabled")
    assert client.get("/", headers={"Host": "south.shops.example"}).status_code == 404
    assert client.get("/vendors/south/").status_code == 404
    assert client.get("/vendors/south/api/v1/shop/products").get_json()["error_code"] == "SHOP_NOT_FOUND"
    assert client.get("/vendors/north/").status_code == 200


def test_a_webhook_signed_with_one_shops_key_is_refused_at_the_others_url(two_shops):
    app = two_shops
    client = app.test_client()
    body = json.dumps({"merchant_id": "M1", "type": "invoice.created", "event_id": "evt-cross-1",
                       "created_at": "2026-12-04T10:00:00Z",
                       "data": {"type": "invoice", "id": "x", "object": {}}}).encode()
    north_signed = sign("north-webhook-key", NOTIFY.format(code="south"), body)
    refused = client.post("/webhooks/square/south", data=body, content_type="application/json",
                          headers={"x-square-hmacsha256-signature": north_signed})
    assert refused.status_code in (401, 403)
    own = sign("north-webhook-key", NOTIFY.format(code="north"), body)
    accepted = client.post("/webhooks/square/north", data=body, content_type="application/json",
                           headers={"x-square-hmacsha256-signature": own})
    assert accepted.status_code == 200, accepted.get_data(as_text=True)
    assert table_counts(app, "north")["webhook_events"] == 1
    assert table_counts(app, "south")["webhook_events"] == 0
    assert client.post("/webhooks/square/nowhere", data=body).status_code == 404


def test_each_shop_has_its_own_settings_navigation_and_catalog_cache(two_shops):
    app = two_shops
    seed(app, "north")
    seed(app, "south")
    client = app.test_client()
    north = client.get("/vendors/north/").get_data(as_text=True)
    south = client.get("/vendors/south/").get_data(as_text=True)
    assert "North Records" in north and "South Records" in south
    assert f"{marker('north')} About" in north and f"{marker('north')} About" not in south
    assert "/vendors/north/theme.css" in north
    assert client.get("/vendors/north/theme.css?v=1").get_data(as_text=True).strip() == ":root { --accent: #1d6fa5; }"
    catalog_south = client.get("/vendors/south/catalog").get_data(as_text=True)
    assert marker("south") in catalog_south and marker("north") not in catalog_south


def job_records_its_shop(path: str) -> None:
    from pathlib import Path

    Path(path).write_text(current_shop_code())


def test_jobs_run_in_the_shop_that_enqueued_them(two_shops, tmp_path):
    from jobs.runtime import job

    app = two_shops
    recorder = job(job_records_its_shop)
    with app.app_context(), use_shop("south"):
        enqueue(recorder, str(tmp_path / "shop.txt"))
    assert (tmp_path / "shop.txt").read_text() == "south"
    with app.app_context(), use_shop("default"):  # the default shop is named too: fail-closed needs it
        enqueue(recorder, str(tmp_path / "default.txt"))
    assert (tmp_path / "default.txt").read_text() == "default"


def test_shops_cli_creates_lists_and_migrates_every_shop_reporting_a_failure(two_shops):
    app = two_shops
    runner = app.test_cli_runner()
    with app.app_context(), use_shop("default"):  # the test database was built by create_all
        runner.invoke(args=["db", "stamp", "head"])
    created = runner.invoke(args=["shops", "create", "broken", "--name", "Broken Shop"])
    assert created.exit_code == 0, created.output
    with app.app_context(), use_shop("broken"):
        db.session.execute(text("UPDATE alembic_version SET version_num = 'nonexistent0'"))
        db.session.commit()
    result = runner.invoke(args=["shops", "migrate"])
    assert result.exit_code == 1
    assert "3 of 4 shops at the latest revision" in result.output
    assert "FAILED broken" in result.output
    listed = runner.invoke(args=["shops", "list"]).output
    assert "LAST MIGRATION FAILED" in listed and "north" in listed and "south" in listed
    with app.app_context(), use_shop("south"):
        assert inspect(db.session.connection()).has_table("content_pages")
    bad = runner.invoke(args=["shops", "create", "Bad Code!", "--name", "x"])
    assert bad.exit_code != 0 and "lower-case" in bad.output
    assert runner.invoke(args=["shops", "create", "north", "--name", "Again"]).exit_code != 0


def test_migrate_upgrades_fifty_shops_with_progress_and_resumes_after_a_failure(two_shops):
    """`flask shops migrate` takes 50 shops (made without their schema) to the latest revision one
    by one with a progress bar; a shop that fails is reported and the rest still migrate; a rerun
    after the fix does only what is left."""
    app = two_shops
    with app.app_context():
        for n in range(49):
            create_shop(f"shop-{n:02d}", f"Shop {n}", migrate=False)
        set_status("shop-07", "disabled")  # disabled shops are not migrated unless named
    runner = app.test_cli_runner()
    with app.app_context(), use_shop("shop-13"):  # one shop's schema names a revision nobody knows
        engine = db.engine
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(text('CREATE SCHEMA IF NOT EXISTS "shop_shop_13"'))
        db.session.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        db.session.execute(text("INSERT INTO alembic_version VALUES ('nonexistent0')"))
        db.session.commit()
    codes = [f"shop-{n:02d}" for n in range(49) if n != 7] + ["north", "south"]
    result = runner.invoke(args=["shops", "migrate", *sum((["--shop", c] for c in codes), [])])
    assert result.exit_code == 1
    assert "migrating shops" in result.output and "49 of 50 shops at the latest revision" in result.output
    assert "FAILED shop-13" in result.output
    with app.app_context():
        heads = {s.code: s.schema_revision for s in list_shops()}
        failed = {s.code: s.migrate_error for s in list_shops() if s.migrate_error}
    assert set(failed) == {"shop-13"}
    assert len({heads[c] for c in codes if c != "shop-13"}) == 1 and heads["shop-00"]
    with app.app_context(), use_shop("shop-42"):
        assert db.session.execute(text("SELECT COUNT(*) FROM customers")).scalar() == 0
    # fix the broken shop and run again: only it had anything left to do
    with app.app_context(), use_shop("shop-13"):
        db.session.execute(text("DROP TABLE alembic_version"))
        db.session.commit()
    again = runner.invoke(args=["shops", "migrate", "--shop", "shop-13", "--shop", "shop-00"])
    assert again.exit_code == 0 and "2 of 2 shops" in again.output
