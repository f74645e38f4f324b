"""A content page: its source as staff wrote it, and the sanitised HTML shoppers are shown."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storefront.db.timestamps import UTCDateTime, utcnow
from storefront.extensions import db

BODY_FORMATS: dict[str, str] = {"markdown": "Markdown", "html": "HTML"}


class ContentPage(db.Model):
    """``body`` is the source (Markdown or HTML); ``body_html`` is rendered from it and sanitised
    when the page is saved, so a page view never runs the sanitiser."""

    __tablename__ = "content_pages"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text, default="")
    body_format: Mapped[str] = mapped_column(String(16), default="markdown")
    body_html: Mapped[str] = mapped_column(Text, default="")
    meta_description: Mapped[str] = mapped_column(String(300), default="")
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    show_in_header: Mapped[bool] = mapped_column(Boolean, default=False)
    show_in_footer: Mapped[bool] = mapped_column(Boolean, default=False)
    display_order: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_content_pages_published_order", "published", "display_order"),)
