"""The emails the app stored (its outbox), and the links in them."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import select

from storefront.extensions import db
from storefront.notifications.models import OutboundEmail

_URL = re.compile(r"https?://\S+")


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
