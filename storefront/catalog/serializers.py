"""The catalog's JSON shapes, written out field by field (money as {"amount","currency","formatted"})."""

from __future__ import annotations

from typing import Any

from flask import url_for

from storefront.catalog.links import product_url
from storefront.catalog.product import ProductView
from storefront.catalog.query import CatalogQuery
from storefront.catalog.services import CatalogCard, CatalogResult, Facets
from storefront.core.money import money_json


def product_summary_json(card: CatalogCard) -> dict[str, Any]:
    """A product in a list: what a card shows."""
    return {
        "id": card.id,
        "name": card.name,
        "artist": card.artist,
        "title": card.title,
        "format": card.format,
        "year": card.year,
        "kind": card.kind,
        "price": money_json(card.price_amount, card.currency),
        "in_stock": card.in_stock,
        "stock_state": card.stock_state,
        "staff_pick": card.staff_pick,
        "image_url": card.image_url,
        "genres": [{"slug": slug, "name": name} for slug, name in card.genres],
        "url": product_url(card),
        "api_url": url_for("api.catalog_product", item_id=card.id),
        # What the card names: each format with its own price; "price" is the lowest ("from" when they differ)
        "formats": list(card.formats),
        "price_varies": card.price_varies,
        "variations": [{"id": v.id, "name": v.name, "price": money_json(v.price_amount, v.currency)}
                       for v in card.variations],
    }


def facets_json(facets: Facets, currency: str = "USD") -> dict[str, Any]:
    return {
        "genre": [{"value": f.value, "label": f.label, "count": f.count, "selected": f.selected}
                  for f in facets.genres],
        "format": [{"value": f.value, "label": f.label, "count": f.count, "selected": f.selected}
                   for f in facets.formats],
        "in_stock": {"count": facets.in_stock},
        "condition": {"new": facets.conditions.get("new", 0), "used": facets.conditions.get("used", 0)},
        "price": [{"min_price": b.min_price, "max_price": b.max_price, "count": b.count, "selected": b.selected,
                   "currency": currency} for b in facets.prices],
    }


def query_json(query: CatalogQuery) -> dict[str, Any]:
    """The query as the server understood it (prices in minor units)."""
    return {"q": query.q, "genre": list(query.genres), "format": list(query.formats),
            "min_price": query.min_price, "max_price": query.max_price, "in_stock": query.in_stock,
            "kind": query.kind, "condition": query.condition or None, "min_grade": query.min_grade or None,
            "sort": query.sort}


def catalog_json(result: CatalogResult) -> dict[str, Any]:
    currency = result.cards[0].currency if result.cards else "USD"
    return {"products": [product_summary_json(card) for card in result.cards],
            "facets": facets_json(result.facets, currency), "query": query_json(result.query)}


def product_json(view: ProductView) -> dict[str, Any]:
    """A product page's data: ECS price/stock/variations merged with enrichment, plus related items."""
    item, detail = view.item, view.detail
    return {
        "id": item.id,
        "name": item.name,
        "kind": item.kind,
        "title": view.display_title,
        "artist": item.artist,
        "artists": list(view.artists),
        "label": view.label,
        "catalog_number": view.catalog_number,
        "year": view.year,
        "format": view.format,
        "description": item.description,
        "price": money_json(item.price_amount, item.currency),
        "in_stock": item.stock > 0,
        "stock_state": view.stock_state,
        "price_varies": view.price_varies,
        "variations": [{"id": v.id, "name": v.name, "sku": v.sku, "price": money_json(v.price_amount, v.currency),
                        "in_stock": v.in_stock if v.stock is not None else item.stock > 0,
                        "stock_state": v.stock_state, "condition": v.condition or None,
                        "media_grade": v.media_grade or None, "sleeve_grade": v.sleeve_grade or None}
                       for v in view.variations],
        "genres": [{"slug": slug, "name": name} for slug, name in view.genres],
        "styles": list(view.styles),
        "tracklist": [{"position": str(t.get("position") or ""), "title": str(t.get("title") or ""),
                       "duration": t.get("duration") or None, "kind": str(t.get("kind") or "track")}
                      for t in view.tracklist],
        "images": [{"url": i["uri"], "thumbnail_url": i.get("uri150"), "type": i.get("type"),
                    "width": i.get("width"), "height": i.get("height")} for i in view.images],
        "notes": detail.notes if detail else "",
        "staff_pick": (detail.staff_pick or None) if detail else None,
        "featured": bool(detail and detail.featured),
        "discogs_release_id": detail.discogs_release_id if detail else None,
        "url": product_url(item),
        "related": [product_summary_json(card) for card in view.related],
    }
