"""Shop API content pages: the navigation (header and footer links) and one published page."""

from __future__ import annotations

from flask import Response, jsonify

from storefront.content.services import navigation, published_page
from storefront.shopapi.blueprint import bp


@bp.get("/content-pages/navigation")
def shop_navigation() -> Response:
    entries = navigation()
    link = [{"slug": e.slug, "title": e.title} for e in entries]
    return jsonify({"header": [x for x, e in zip(link, entries, strict=True) if e.header],
                    "footer": [x for x, e in zip(link, entries, strict=True) if e.footer]})


@bp.get("/content-pages/<slug>")
def shop_content_page(slug: str) -> Response:
    """A published page: its sanitised HTML (``content``) and meta description; unpublished → 404."""
    page = published_page(slug)
    return jsonify({"slug": page.slug, "title": page.title, "content": page.body_html,
                    "meta_description": page.meta_description, "show_in_header": page.show_in_header,
                    "show_in_footer": page.show_in_footer, "display_order": page.display_order,
                    "updated_at": page.updated_at.isoformat()})
