"""Wantlist rows: what a shopper follows, the matches waiting for their digest, and each shopper's
digest clock (the row a digest run claims with a conditional UPDATE)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.catalog.models import Item
from storefront.db.timestamps import UTCDateTime, utcnow
from storefront.extensions import db

KINDS = ("release", "artist", "search")


class WantlistEntry(db.Model):
    """One thing a shopper follows: a release (``item_id``), an artist (``artist``, lower-cased) or a
    saved catalog search (``search``, the canonical query string), with an optional minimum grade
    and maximum price (minor units).

    ``recipient`` is who the alerts go to: ``c:<customer id>`` or ``e:<email>`` for a guest, whose
    entry stays silent until ``confirmed_at`` is set by the signed link in the confirmation email.
    """

    __tablename__ = "wantlist_entries"
    __table_args__ = (Index("ix_wantlist_entries_recipient", "recipient"),
                      Index("ix_wantlist_entries_kind_item", "kind", "item_id"),
                      Index("ix_wantlist_entries_customer", "customer_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(260))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    email: Mapped[str | None] = mapped_column(String(254))  # guests only (lower-cased)
    kind: Mapped[str] = mapped_column(String(8))
    item_id: Mapped[int | None] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    artist: Mapped[str] = mapped_column(String(255), default="")
    search: Mapped[str] = mapped_column(String(1000), default="")
    min_grade: Mapped[str] = mapped_column(String(4), default="")
    max_price: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    confirmation_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    item: Mapped[Item | None] = relationship(lazy="joined")


class WantlistAlert(db.Model):
    """A copy that came in stock and matched an entry; waits for the shopper's next digest.

    ``digest_token`` is set when a digest run claims the alert (the email it went out in)."""

    __tablename__ = "wantlist_alerts"
    __table_args__ = (Index("ix_wantlist_alerts_recipient_digest", "recipient", "digest_token"),
                      Index("ix_wantlist_alerts_entry_variation", "entry_id", "variation_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("wantlist_entries.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(String(260))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    variation_id: Mapped[int] = mapped_column(ForeignKey("item_variations.id", ondelete="CASCADE"))
    grade: Mapped[str] = mapped_column(String(16), default="")
    price_amount: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    digest_token: Mapped[str | None] = mapped_column(String(32))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class WantlistRecipient(db.Model):
    """A shopper's digest clock: at most one digest per WANTLIST_DIGEST_MINUTES after ``last_digest_at``."""

    __tablename__ = "wantlist_recipients"

    recipient: Mapped[str] = mapped_column(String(260), primary_key=True)
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
