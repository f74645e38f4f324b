"""Customer: a shopper's account, separate from staff accounts."""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db.timestamps import UTCDateTime, utcnow
from storefront.extensions import db
from storefront.web.identity import register_user_kind


class Customer(UserMixin, db.Model):
    """A shopper who registered; they can log in once ``email_confirmed_at`` is set."""

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def get_id(self) -> str:
        return f"customer:{self.id}"

    @property
    def is_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    @property
    def session_stamp(self) -> str:
        """Changes with the password, so a reset ends the account's other page sessions."""
        return hashlib.sha256(f"session:{self.id}:{self.password_hash}".encode()).hexdigest()[:24]

    @property
    def account_stamp(self) -> str:
        """Changes when the password, email or confirmation changes: signed links carry it, so they
        stop working once used (or once the account moved on)."""
        confirmed = self.email_confirmed_at.isoformat() if self.email_confirmed_at else ""
        raw = f"{self.id}:{self.email}:{self.password_hash}:{confirmed}"
        return hashlib.sha256(raw.encode()).hexdigest()[:24]

    def __repr__(self) -> str:
        return f"<Customer {self.id} {self.email}>"


def load_customer(ident: str) -> Customer | None:
    """Flask-Login loader for ``customer:<id>`` sessions; only confirmed accounts are logged in."""
    if not ident.isdigit():
        return None
    customer = db.session.get(Customer, int(ident))
    return customer if customer is not None and customer.is_confirmed else None


register_user_kind("customer", load_customer)
