"""Customers and staff for tests: make them, log them in, give them bearer tokens.

    customer = make_customer(app, "jo@example.com")       # confirmed; password PASSWORD
    staff = make_staff(app, role="admin")
    login(client, customer)                                # the real login form, like a browser
    login(client, "ops@example.com", "wrong", kind="staff")  # an email: say which login form
    install_test_login(app)                                # before the app's first request, then
    login(client, staff, password_step=False)              # a session at once, no form, no password
    headers = bearer(app, staff)                           # {"Authorization": "Bearer sfs_..."}
    headers = customer_bearer(client, "jo@example.com")    # logs in through /api/v1/customer/login
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal
from urllib.parse import urlencode

from flask import Flask
from flask.testing import FlaskClient
from flask_login import login_user

from storefront.accounts.models import Customer
from storefront.apitokens.services import issue_token
from storefront.core.passwords import hash_password
from storefront.db.timestamps import utcnow
from storefront.extensions import db
from storefront.staff.auth import begin_staff_session
from storefront.staff.models import StaffMember
from tests.support.pages import csrf_token

PASSWORD = "correct horse battery staple"  # every customer and staff member made here has it
TEST_LOGIN_PATH = "/_test/login"
LOGIN_PAGES = {"customer": "/account/login", "staff": "/staff/login"}
Kind = Literal["customer", "staff"]


@lru_cache(maxsize=1)
def password_hash() -> str:
    """One argon2 hash of PASSWORD for the whole run (hashing is deliberately slow)."""
    return hash_password(PASSWORD)


def _insert(app: Flask, row: Any) -> Any:
    with app.app_context():
        db.session.add(row)
        db.session.commit()
        db.session.refresh(row)
        db.session.expunge(row)
        return row


def make_customer(app: Flask, email: str | None = None, *, name: str | None = None, confirmed: bool = True,
                  **fields: Any) -> Customer:
    """Insert a customer whose password is PASSWORD; returned detached with attributes loaded."""
    with app.app_context():
        count = db.session.query(Customer).count()
    return _insert(app, Customer(email=(email or f"shopper{count + 1}@example.com").lower(),
                                 name=name or f"Shopper {count + 1}", password_hash=password_hash(),
                                 email_confirmed_at=utcnow() if confirmed else None, **fields))


def make_staff(app: Flask, email: str | None = None, *, role: str = "staff", name: str | None = None,
               **fields: Any) -> StaffMember:
    """Insert a staff member whose password is PASSWORD; returned detached with attributes loaded."""
    with app.app_context():
        count = db.session.query(StaffMember).count()
    return _insert(app, StaffMember(email=(email or f"{role}{count + 1}@example.com").lower(),
                                    name=name or f"{role.title()} {count + 1}", role=role,
                                    password_hash=password_hash(), **fields))


def customer_count(app: Flask) -> int:
    with app.app_context():
        return db.session.query(Customer).count()


def _kind_of(who: Customer | StaffMember | str, kind: Kind | None) -> Kind:
    if isinstance(who, StaffMember):
        return "staff"
    if isinstance(who, Customer):
        return "customer"
    if kind is None:
        raise TypeError("login(client, email, ...) needs kind='customer' or kind='staff'")
    return kind


def login(client: FlaskClient, who: Customer | StaffMember | str, password: str = PASSWORD, *,
          kind: Kind | None = None, next_url: str | None = None, password_step: bool = True) -> Any:
    """Log ``who`` in on ``client``: a Customer, a StaffMember, or an email address with ``kind``.

    By default this posts the real login form (``/account/login`` or ``/staff/login``) with ``password``
    and the page's CSRF token, like a browser, and returns the response (303 when it worked) for the
    test to check. ``password_step=False`` gives a logged-in session at once through the test-only
    ``/_test/login`` route (``install_test_login(app)`` first): for tests about what a logged-in
    customer or staff member may do rather than about logging in.
    """
    kind = _kind_of(who, kind)
    if not password_step:
        assert not isinstance(who, str), "password_step=False needs a Customer or StaffMember"
        response = client.get(f"{TEST_LOGIN_PATH}/{kind}/{who.id}")
        assert response.status_code == 200, "no test login route: call install_test_login(app) first"
        return response
    email = who if isinstance(who, str) else who.email
    page = LOGIN_PAGES[kind]
    query = f"?{urlencode({'next': next_url})}" if next_url is not None else ""
    data = {"csrf_token": csrf_token(client, page + query), "email": email, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post(page, data=data)


def install_test_login(app: Flask) -> None:
    """Add the test-only ``/_test/login/<kind>/<id>`` route ``login(..., password_step=False)`` uses.

    Call it before the app handles its first request (Flask refuses new routes after that).
    """

    def session_for(kind: str, ident: int) -> str:
        if kind == "staff":
            begin_staff_session(db.session.get(StaffMember, ident))
        else:
            customer = db.session.get(Customer, ident)
            assert customer is not None and login_user(customer), "the customer could not be logged in"
        return "ok"

    app.add_url_rule(f"{TEST_LOGIN_PATH}/<kind>/<int:ident>", "test_login", session_for)


def bearer(app: Flask, staff: StaffMember | None = None, *, kind: str = "staff", subject_id: int | None = None,
           ttl: int = 3600) -> dict[str, str]:
    """Authorization header with a fresh token for ``staff`` (or any kind/subject)."""
    with app.app_context():
        issued = issue_token(kind, subject_id if subject_id is not None else staff.id, ttl)  # type: ignore[union-attr]
    return {"Authorization": f"Bearer {issued.token}"}


def customer_bearer(client: FlaskClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    """Authorization header from logging in through ``/api/v1/customer/login``."""
    response = client.post("/api/v1/customer/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}
