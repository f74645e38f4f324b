"""Helpers for tests that need staff members, staff sessions, bearer tokens or a customer session.

Other domains' staff tests can use them too::

    staff = make_staff(app, role="admin")
    login_as(client, staff)                  # a staff page session, without the password step
    headers = bearer(app, staff)             # {"Authorization": "Bearer sfs_..."}
"""

from __future__ import annotations

import contextlib
from functools import lru_cache
from typing import Any

from flask import Flask, session
from flask.testing import FlaskClient
from flask_login import UserMixin, login_user
from sqlalchemy import inspect, select

from conftest import csrf_token
from storefront.apitokens.services import issue_token
from storefront.core.passwords import hash_password
from storefront.db.timestamps import utcnow
from storefront.extensions import db
from storefront.staff.auth import begin_staff_session
from storefront.staff.models import StaffMember
from storefront.web import identity

PASSWORD = "correct horse battery staple"
TEST_LOGIN_PATH = "/_test/login"


@lru_cache(maxsize=1)
def password_hash() -> str:
    """One argon2 hash of PASSWORD for the whole run (hashing is deliberately slow)."""
    return hash_password(PASSWORD)


def make_staff(app: Flask, email: str | None = None, *, role: str = "staff", name: str | None = None,
               **fields: Any) -> StaffMember:
    """Insert a staff member whose password is PASSWORD; returns it detached-safe (attributes loaded)."""
    with app.app_context():
        count = db.session.query(StaffMember).count()
        staff = StaffMember(email=(email or f"{role}{count + 1}@example.com").lower(),
                            name=name or f"{role.title()} {count + 1}", role=role,
                            password_hash=password_hash(), **fields)
        db.session.add(staff)
        db.session.commit()
        db.session.refresh(staff)
        db.session.expunge(staff)
        return staff


class FakeCustomer(UserMixin):
    """A stand-in customer session (kind "customer") while the customer accounts domain is elsewhere."""

    def __init__(self, ident: str) -> None:
        self.ident = ident
        self.email = f"{ident}@customers.example"

    def get_id(self) -> str:
        return f"customer:{self.ident}"


def _real_customer(ident: str) -> Any | None:
    """A confirmed customer of the real accounts domain, when it is installed in this database."""
    try:
        from storefront.accounts.models import Customer
    except ImportError:
        return None
    if not inspect(db.engine).has_table(Customer.__tablename__):
        return None
    email = f"customer-{ident}@customers.example"
    customer = db.session.scalar(select(Customer).where(Customer.email == email))
    if customer is None:
        customer = Customer(email=email, name=f"Customer {ident}", password_hash=password_hash(),
                            email_confirmed_at=utcnow())
        db.session.add(customer)
        db.session.commit()
    return customer


def install_test_login(app: Flask, monkeypatch: Any) -> None:
    """Add ``/_test/login/<kind>/<ident>`` to ``app``.

    A customer session uses the real Customer model when the accounts domain is installed,
    otherwise a stand-in of kind "customer" (ids "test-…", loader installed for this test only).
    """
    with contextlib.suppress(ImportError):
        import storefront.accounts.models  # noqa: F401  (registers the real customer loader first)
    previous = identity._LOADERS.get("customer")

    def load_customer(ident: str) -> Any:
        if ident.startswith("test-"):
            return FakeCustomer(ident)
        return previous(ident) if previous else None

    monkeypatch.setitem(identity._LOADERS, "customer", load_customer)

    def test_login(kind: str, ident: str) -> str:
        if kind == "staff":
            begin_staff_session(db.session.get(StaffMember, int(ident)))
        else:
            customer = _real_customer(ident) or FakeCustomer(f"test-{ident}")
            assert login_user(customer), "the customer could not be logged in"
            session["test_customer_kind"] = type(customer).__name__
        return "ok"

    app.add_url_rule(f"{TEST_LOGIN_PATH}/<kind>/<ident>", "test_login", test_login)


def login_as(client: FlaskClient, staff: StaffMember) -> None:
    """A staff page session for ``staff`` (needs install_test_login)."""
    assert client.get(f"{TEST_LOGIN_PATH}/staff/{staff.id}").status_code == 200


def login_as_customer(client: FlaskClient, ident: str = "1") -> None:
    assert client.get(f"{TEST_LOGIN_PATH}/customer/{ident}").status_code == 200


def login_with_password(client: FlaskClient, email: str, password: str = PASSWORD,
                        next_url: str | None = None) -> Any:
    """Post the real staff login form."""
    query = f"?next={next_url}" if next_url else ""
    token = csrf_token(client, f"/staff/login{query}")
    data = {"csrf_token": token, "email": email, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/staff/login", data=data)


def bearer(app: Flask, staff: StaffMember | None = None, *, kind: str = "staff", subject_id: int | None = None,
           ttl: int = 3600) -> dict[str, str]:
    """Authorization header with a fresh token for ``staff`` (or any kind/subject)."""
    with app.app_context():
        issued = issue_token(kind, subject_id if subject_id is not None else staff.id, ttl)  # type: ignore[union-attr]
    return {"Authorization": f"Bearer {issued.token}"}
