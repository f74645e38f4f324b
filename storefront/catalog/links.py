"""Addresses of catalog pages: a product's canonical URL, and listing URLs with some filters changed."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from flask import request, url_for

from storefront.catalog.query import DEFAULT_LIMIT, CatalogQuery, major_units
from storefront.catalog.services import CatalogResult
from storefront.core.money import format_money

_SLUG_JUNK = re.compile(r"[^a-z0-9]+")


def product_slug(artist: str, title: str) -> str:
    """The readable part of a product URL ("miles-davis-kind-of-blue")."""
    return _SLUG_JUNK.sub("-", f"{artist} {title}".lower()).strip("-")[:80]


def product_url(item: Any) -> str:
    """Canonical URL of a product page for a card or an item."""
    title = getattr(item, "display_title", None) or item.title or item.name
    slug = product_slug(item.artist, title)
    if slug:
        return url_for("catalog.product", item_id=item.id, slug=slug)
    return url_for("catalog.product", item_id=item.id)


def listing_url(query: CatalogQuery, **changes: Any) -> str:
    """The page URL of ``query`` with some args changed (None drops one); major-unit prices."""
    args: dict[str, Any] = {"q": query.q or None, "genre": list(query.genres) or None,
                            "format": list(query.formats) or None,
                            "min_price": major_units(query.min_price) or None,
                            "max_price": major_units(query.max_price) or None,
                            "in_stock": "1" if query.in_stock else None,
                            "kind": query.kind if query.kind != "record" else None,
                            "condition": query.condition or None, "min_grade": query.min_grade or None,
                            "sort": query.sort if query.sort != ("relevance" if query.q else "newest") else None,
                            "limit": query.limit if query.limit != DEFAULT_LIMIT else None}
    args.update(changes)
    return url_for("catalog.index", **{k: v for k, v in args.items() if v is not None})


def price_links(result: CatalogResult) -> list[dict[str, Any]]:
    """Links setting the price range to each facet bucket."""
    currency = result.cards[0].currency if result.cards else "USD"
    links = []
    for bucket in result.facets.prices:
        low, high = bucket.min_price, bucket.max_price
        if not low:
            label = f"Under {format_money((high or 0) + 1, currency)}"
        elif high is None:
            label = f"{format_money(low, currency)} and up"
        else:
            label = f"{format_money(low, currency)} – {format_money(high + 1, currency)}"
        href = listing_url(result.query, page=None, min_price=major_units(low) if low else None,
                           max_price=major_units(high) if high is not None else None)
        links.append({"label": label, "href": href, "count": bucket.count, "selected": bucket.selected})
    return links


def without_empty_args() -> str | None:
    """This listing's address without the empty fields a submitted filter form sends
    (``?q=&min_price=``), or None when there are none."""
    pairs = list(request.args.items(multi=True))
    kept = [(k, v) for k, v in pairs if v.strip()]
    if len(kept) == len(pairs):
        return None
    return request.path + (f"?{urlencode(kept)}" if kept else "")
