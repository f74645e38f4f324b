"""The platform's own tables — shops and their domains — kept apart from every shop's data.

They live in the platform store (``instance/platform.db`` on SQLite, the ``platform`` schema on
PostgreSQL, or ``STOREFRONT_PLATFORM_DATABASE_URL``), on their own metadata so a shop's
migrations never see them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storefront.db.naming import NAMING_CONVENTION
from storefront.db.timestamps import UTCDateTime, utcnow

STATUSES = ("active", "disabled")


class PlatformBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Shop(PlatformBase):
    """A shop on this deployment. ``settings`` are its own values of the per-shop settings (name,
    accent colour, ECS and Discogs credentials …); ``secrets`` is Fernet ciphertext of the secret ones."""

    __tablename__ = "shops"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(16), default="active")
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    secrets: Mapped[str] = mapped_column(Text, default="")
    schema_revision: Mapped[str] = mapped_column(String(64), default="")
    migrate_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ShopDomain(PlatformBase):
    """A host name (a custom domain) that serves one shop."""

    __tablename__ = "shop_domains"

    host: Mapped[str] = mapped_column(String(253), primary_key=True)
    shop_code: Mapped[str] = mapped_column(ForeignKey("shops.code", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PlatformAdmin(PlatformBase):
    """Someone who runs the deployment: creates shops, attaches domains. Belongs to no shop (and is
    no shop's staff); signs in at /platform on the deployment's own address."""

    __tablename__ = "platform_admins"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
