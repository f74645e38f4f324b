"""The development outbox: recent emails with their bodies, so a demo user can click their links."""

from __future__ import annotations

import re

from flask import Blueprint, Response, abort, render_template
from markupsafe import Markup, escape

from storefront.notifications.services import outbox_enabled, recent_emails

bp = Blueprint("notifications", __name__, url_prefix="/dev")

_URL = re.compile(r"https?://[^\s<>\"']+")


def linkify(text: str) -> Markup:
    """Escape ``text`` and turn its http(s) URLs into links."""
    parts: list[str] = []
    last = 0
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(".,;:)")
        parts.append(str(escape(text[last:match.start()])))
        parts.append(f'<a href="{escape(url)}" rel="noreferrer">{escape(url)}</a>')
        last = match.start() + len(url)
    parts.append(str(escape(text[last:])))
    return Markup("".join(parts))  # noqa: S704  (every piece above is escaped)


@bp.get("/outbox")
def outbox() -> str:
    """The last 50 emails; 404 unless ENV_NAME is development or DEV_OUTBOX_ENABLED is on."""
    if not outbox_enabled():
        abort(404)
    return render_template("notifications/outbox.html", emails=recent_emails(50), linkify=linkify)


@bp.after_request
def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
