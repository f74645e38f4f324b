"""StaffMember: back-office accounts, separate from customers."""

from __future__ import annotations

import hashlib
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db.timestamps import UTCDateTime, utcnow
from storefront.extensions import db
from storefront.web.identity import register_user_kind

ROLES = ("staff", "admin")


class StaffMember(UserMixin, db.Model):
    """A person who works in the back office; ``role`` is staff or admin (admins manage staff)."""

    __tablename__ = "staff_members"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-cased
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))  # argon2id
    role: Mapped[str] = mapped_column(String(16), default="staff")
    is_active: Mapped[bool] = mapped_column(default=True)  # type: ignore[assignment]
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled: Mapped[bool] = mapped_column(default=False)
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)  # a code is accepted once
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def get_id(self) -> str:
        return f"staff:{self.id}"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def session_stamp(self) -> str:
        """Changes when the password changes, so a reset ends every other page session."""
        return hashlib.sha256(f"{self.id}:{self.password_hash}".encode()).hexdigest()[:24]

    def is_locked(self, now: datetime | None = None) -> bool:
        return self.locked_until is not None and self.locked_until > (now or utcnow())

    def __repr__(self) -> str:
        return f"<StaffMember {self.id} {self.email} {self.role}>"


def load_staff(ident: str) -> StaffMember | None:
    """Flask-Login loader for ``staff:<id>`` sessions; deactivated staff are logged out."""
    if not ident.isdigit():
        return None
    staff = db.session.get(StaffMember, int(ident))
    return staff if staff is not None and staff.is_active else None


register_user_kind("staff", load_staff)
