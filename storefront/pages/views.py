"""The home page: a shop window of new arrivals, used copies, staff picks, records back in stock,
events and genres, cached like the catalog pages (its blocks rendered once per catalog revision,
the page shared by anonymous visitors with each one's own CSRF token)."""

from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, current_app, render_template
from markupsafe import Markup
from werkzeug.wrappers import Response

from storefront.catalog import pagecache
from storefront.catalog.home import home_sections

bp = Blueprint("pages", __name__)


def _blocks() -> Markup:
    # Autoescaped template output of cards (no visitor state, no forms): safe to share as it is.
    return Markup(render_template("pages/_home_blocks.html", sections=home_sections()).strip())  # noqa: S704


@bp.get("/")
def home() -> Response:
    def prepare(revision: int) -> pagecache.Render:
        blocks = pagecache.fragments(("home", date.today()), revision, _blocks)
        return lambda token: render_template("pages/home.html", blocks=blocks, csrf_token=token)

    return pagecache.cached_page("home", (date.today(),), prepare, shared_with="anonymous")


@bp.get("/theme.css")
def theme_css() -> Response:
    """The shop's own accent colour (a many-shop deployment's shops each have theirs); the CSP allows
    no inline styles, so it is a stylesheet of its own, cached by its ``v`` (the colour)."""
    accent = str(current_app.config.get("SHOP_ACCENT_COLOUR") or "")
    body = f":root {{ --accent: {accent}; }}\n" if re.fullmatch(r"#[0-9a-fA-F]{6}", accent) else ""
    response = Response(body, mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response
