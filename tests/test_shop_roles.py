"""Shop roles as a real deployment gets them: the login is no superuser, only the owner of its
database with CREATEROLE. Each shop's role owns its tables, and SQL naming another shop's schema
outright is refused by PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ProgrammingError

from storefront import create_app
from storefront.accounts.models import Customer
from storefront.extensions import db
from storefront.shops.context import use_shop
from storefront.shops.databases import role_for
from storefront.shops.services import create_shop
from tests.support.app import base_config


@pytest.fixture
def login_url(scratch_postgres: str) -> Iterator[str]:
    """The scratch database, handed to a new login that may create roles but is no superuser."""
    url = make_url(scratch_postgres)
    login = f"sf_test_login_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE ROLE "{login}" LOGIN CREATEROLE')
        conn.exec_driver_sql(f'ALTER DATABASE "{url.database}" OWNER TO "{login}"')
    yield url.set(username=login).render_as_string(hide_password=False)
    with admin.connect() as conn:  # the database goes with the fixture it came from; its login goes here
        conn.exec_driver_sql(f'REASSIGN OWNED BY "{login}" TO CURRENT_USER')
        conn.exec_driver_sql(f'DROP OWNED BY "{login}"')
        conn.exec_driver_sql(f'DROP ROLE "{login}"')
    admin.dispose()


@pytest.mark.postgres
def test_with_a_createrole_login_each_shop_gets_a_role_that_sees_only_its_own_schema(login_url, tmp_path):
    app = create_app(base_config(login_url, INSTANCE_PATH=str(tmp_path), SHOP_REGISTRY_TTL_SECONDS=0))
    try:
        with app.app_context():
            for code in ("north", "south"):
                create_shop(code, f"{code.title()} Records")
                with use_shop(code):
                    db.session.add(Customer(email=f"buyer@{code}.example", name=f"{code} buyer", password_hash="-"))
                    db.session.commit()
            database = str(db.engine.url.database)
            with use_shop("north"):
                assert db.session.scalar(text("SELECT current_user")) == role_for(database, "north")
                assert db.session.scalars(text("SELECT email FROM customers")).all() == ["buyer@north.example"]
                owners = db.session.scalars(text("SELECT DISTINCT tableowner FROM pg_tables "
                                                 "WHERE schemaname = 'shop_north'")).all()
                assert owners == [role_for(database, "north")]
                for statement in ("SELECT email FROM shop_south.customers", "UPDATE shop_south.customers SET name = ''",
                                  "CREATE TABLE shop_south.planted (id int)"):
                    with pytest.raises(ProgrammingError, match="permission denied"):
                        db.session.execute(text(statement))
                    db.session.rollback()
            with use_shop("south"):
                assert db.session.scalars(text("SELECT name FROM customers")).all() == ["south buyer"]
            db.session.remove()
    finally:
        with app.app_context():
            db.engine.dispose()
