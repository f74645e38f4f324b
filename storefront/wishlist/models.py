"""Wishlist rows: one per (customer, item), and each customer's share-link nonce."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.catalog.models import Item
from storefront.db.timestamps import UTCDateTime, utcnow
from storefront.extensions import db


class WishlistEntry(db.Model):
    """An item a customer saved for later."""

    __tablename__ = "wishlist_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    item: Mapped[Item] = relationship(lazy="joined")

    # The unique pair also serves lookups by customer (its leading column).
    __table_args__ = (UniqueConstraint("customer_id", "item_id"),)


class WishlistShare(db.Model):
    """A customer's share-link state: the nonce signed into the link; None = not shared.

    Revoking clears the nonce, and sharing again draws a new one, so old links never work again.
    """

    __tablename__ = "wishlist_shares"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    nonce: Mapped[str | None] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
