"""Cart rows. The browser session or an API client holds only the random token."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db.timestamps import UTCDateTime, utcnow
from storefront.extensions import db


class Cart(db.Model):
    """A cart: ``lines`` maps a variation id (as text) to ``{"quantity", "price"}`` — the price
    seen when it was added, so a later change can be flagged."""

    __tablename__ = "carts"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"), index=True)
    lines: Mapped[dict[str, dict[str, int]]] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
