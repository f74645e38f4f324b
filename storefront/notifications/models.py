"""OutboundEmail: every email the shop sends, written before the send job runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db.timestamps import UTCDateTime, utcnow
from storefront.extensions import db

EMAIL_STATUSES = ("queued", "sent", "failed", "logged")


class OutboundEmail(db.Model):
    """One email: ``queued`` → ``sent`` (SMTP) or ``logged`` (no SMTP configured); ``failed``
    after an attempt that raised (a retry may still send it)."""

    __tablename__ = "outbound_emails"
    __table_args__ = (Index("ix_outbound_emails_created", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))  # the template name, e.g. "accounts/confirm_email"
    to: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    # The HTML alternative (templates/emails/<name>.html), when the email has one.
    html_body: Mapped[str | None] = mapped_column(Text)
    # The List-Unsubscribe header's URL (newsletter-like emails: wantlist digests); None = no header.
    list_unsubscribe: Mapped[str | None] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<OutboundEmail {self.id} {self.kind} {self.status}>"
