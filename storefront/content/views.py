"""Shopper pages: a published content page at ``/pages/<slug>``, and the header/footer navigation
every page template gets (``content_nav``)."""

from __future__ import annotations

import hashlib
import logging

from flask import Blueprint, Flask, abort, render_template
from markupsafe import Markup
from sqlalchemy.exc import SQLAlchemyError

from storefront.content.services import NavEntry, navigation, published_page
from storefront.core.errors import NotFound

bp = Blueprint("content", __name__)
log = logging.getLogger(__name__)


@bp.get("/pages/<slug>")
def page(slug: str) -> str:
    try:
        found = published_page(slug)
    except NotFound:
        abort(404)
    # body_html was sanitised (nh3 allowlist) when the page was saved.
    return render_template("content/page.html", page=found, body=Markup(found.body_html))  # noqa: S704


def _nav() -> tuple[NavEntry, ...]:
    try:
        return navigation()
    except SQLAlchemyError:  # an error page while the database is away still renders
        log.warning("content navigation unavailable", exc_info=True)
        return ()


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def content_navigation() -> dict[str, object]:
        entries = _nav()
        # A string, so the shared-page caches (keyed on the header's values) renew when it changes.
        stamp = hashlib.blake2b(repr(entries).encode(), digest_size=8).hexdigest() if entries else ""
        return {"content_nav": entries, "content_nav_stamp": stamp}
