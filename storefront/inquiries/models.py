"""Event-space inquiries (``Event_Inquiry``) and their status history."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.db.timestamps import UTCDateTime, utcnow
from storefront.extensions import db

STATUSES = ("new", "contacted", "booked", "declined")
EVENT_TYPES: dict[str, str] = {
    "listening_session": "Listening session",
    "album_launch": "Album launch",
    "private_party": "Private party",
    "workshop": "Workshop",
    "other": "Other",
}


class EventInquiry(db.Model):
    """Someone asking to book the event space; ``tracking_id`` (EV-XXXX-XXXX) is what they are told."""

    __tablename__ = "event_inquiries"

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_id: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(40), default="")
    event_type: Mapped[str] = mapped_column(String(32))
    preferred_date: Mapped[date]
    attendee_count: Mapped[int | None]
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="new")
    # Keyed hash of the sender's IP: lets staff spot floods without keeping addresses.
    ip_hash: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    history: Mapped[list[InquiryStatusChange]] = relationship(
        back_populates="inquiry", order_by="InquiryStatusChange.at", cascade="all, delete-orphan")

    __table_args__ = (Index("ix_event_inquiries_status_created", "status", "created_at"),)

    @property
    def event_type_label(self) -> str:
        return EVENT_TYPES.get(self.event_type, self.event_type)


class InquiryStatusChange(db.Model):
    """One staff status change (or note) on an inquiry: who, when, from → to, why."""

    __tablename__ = "event_inquiry_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    inquiry_id: Mapped[int] = mapped_column(ForeignKey("event_inquiries.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_label: Mapped[str] = mapped_column(String(255))
    from_status: Mapped[str] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")

    inquiry: Mapped[EventInquiry] = relationship(back_populates="history")
