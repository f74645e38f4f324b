"""Helpers for tests that need customers: accounts, page logins, bearer tokens, the emails sent.

Other domains' tests can use them too::

    customer = make_customer(app, "jo@example.com")      # confirmed; password PASSWORD
    login_customer(client, "jo@example.com")             # the real page login (session rotation, hooks)
    headers = customer_bearer(client, "jo@example.com")  # {"Authorization": "Bearer sfc_..."}
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from conftest import csrf_token
from storefront.accounts.models import Customer
from storefront.core.passwords import hash_password
from storefront.db.timestamps import utcnow
from storefront.extensions import db
from storefront.notifications.models import OutboundEmail

PASSWORD = "vinyl crackle at midnight"
_URL = re.compile(r"https?://\S+")


@lru_cache(maxsize=1)
def password_hash() -> str:
    """One argon2 hash of PASSWORD for the whole run (hashing is deliberately slow)."""
    return hash_password(PASSWORD)


def make_customer(app: Flask, email: str | None = None, *, name: str | None = None, confirmed: bool = True,
                  **fields: Any) -> Customer:
    """Insert a customer whose password is PASSWORD; returned detached with attributes loaded."""
    with app.app_context():
        count = db.session.query(Customer).count()
        customer = Customer(email=(email or f"shopper{count + 1}@example.com").lower(),
                            name=name or f"Shopper {count + 1}", password_hash=password_hash(),
                            email_confirmed_at=utcnow() if confirmed else None, **fields)
        db.session.add(customer)
        db.session.commit()
        db.session.refresh(customer)
        db.session.expunge(customer)
        return customer


def login_customer(client: FlaskClient, email: str, password: str = PASSWORD, *,
                   next_url: str | None = None) -> Any:
    """POST the login page form like a browser (CSRF token from the page)."""
    data = {"csrf_token": csrf_token(client, "/account/login"), "email": email, "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/account/login", data=data)


def customer_bearer(client: FlaskClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    response = client.post("/api/v1/customer/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}


def sent_emails(app: Flask, kind: str | None = None) -> list[OutboundEmail]:
    """The stored emails (oldest first), optionally of one kind, detached."""
    with app.app_context():
        query = select(OutboundEmail).order_by(OutboundEmail.id)
        if kind:
            query = query.where(OutboundEmail.kind == kind)
        rows = list(db.session.scalars(query))
        for row in rows:
            db.session.expunge(row)
        return rows


def link_path(email: OutboundEmail, index: int = 0) -> str:
    """The path of the ``index``-th link in an email body (so the test client can open it)."""
    links = _URL.findall(email.body)
    assert len(links) > index, email.body
    parts = urlsplit(links[index])
    return parts.path + (f"?{parts.query}" if parts.query else "")


def customer_count(app: Flask) -> int:
    with app.app_context():
        return db.session.query(Customer).count()
