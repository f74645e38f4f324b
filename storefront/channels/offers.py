"""What should be on a channel: one :class:`Offer` per physical copy in stock at the shop's location.

A variation with three copies in stock is three offers (``<variation ecs id>#1`` … ``#3``), because
Discogs (the channel that matters most to a record shop) has no quantity: each copy is its own
listing. The ECS stays the source of truth — the counts here are the ECS's, as last synced.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from typing import Any

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from storefront.catalog.links import product_slug
from storefront.catalog.media import covers
from storefront.catalog.models import Item, ItemVariation, StockLevel
from storefront.channels import mappings
from storefront.channels.adapters import Offer
from storefront.core.money import exponent
from storefront.ecs.provider import shop_location_id
from storefront.extensions import db

MAX_COPIES_PER_VARIATION = 50  # a variation with more copies than this is new stock, offered 50 at a time
CATALOG_PREFIX = "/catalog"  # the catalog blueprint's url_prefix


def offer_key(variation_ecs_id: str, unit: int) -> str:
    return f"{variation_ecs_id}#{unit}"


def variation_of(key: str) -> str:
    """The variation's ECS id in an offer key."""
    return key.rsplit("#", 1)[0]


def fingerprint(offer: Offer) -> str:
    """A hash of everything an adapter sends: equal fingerprints need no update."""
    data = asdict(offer)
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _stock(variation_ids: list[int]) -> dict[int, int]:
    if not variation_ids:
        return {}
    stmt = (select(StockLevel.variation_id, func.sum(StockLevel.quantity))
            .where(StockLevel.variation_id.in_(variation_ids), StockLevel.location_id == shop_location_id())
            .group_by(StockLevel.variation_id))
    return {vid: int(qty or 0) for vid, qty in db.session.execute(stmt).all()}


def _image_url(item: Item, base: str) -> str:
    detail = item.detail
    found = covers(item.ecs_images, detail.images if detail else None, width=600,
                   photos=detail.photos if detail else None)
    if not found:
        return ""
    src = found[0].src
    return src if src.startswith("https://") else base + src


def product_path(item: Item) -> str:
    """The record's page on the shop (``catalog.product``'s rule, built without a request)."""
    slug = product_slug(item.artist, item.title or item.name)
    return f"{CATALOG_PREFIX}/{item.id}" + (f"/{slug}" if slug else "")


def _values(item: Item, variation: ItemVariation) -> dict[str, Any]:
    detail = item.detail
    return {"artist": item.artist, "title": item.title or item.name, "format": item.format,
            "year": item.year or (detail.year if detail else None),
            "label": item.label or (detail.label if detail else ""),
            "catalog_number": item.catalog_number or (detail.catalog_number if detail else ""),
            "media_grade": variation.media_grade or item.media_grade,
            "sleeve_grade": variation.sleeve_grade or item.sleeve_grade,
            "condition": variation.condition or ("used" if variation.media_grade or item.media_grade else "new")}


def _comments(item: Item, variation: ItemVariation, source: str) -> str:
    if source == "staff_pick":
        return (item.detail.staff_pick if item.detail else "")[:1000]
    if source == "copy":
        name = (variation.name or "").strip()
        return "" if name.lower() in ("", "regular", item.name.lower()) else name[:1000]
    return ""


def offers_for_item(item: Item, variation: ItemVariation, copies: int, mapping: dict[str, Any],
                    base: str) -> list[Offer]:
    """The offers of one variation's ``copies`` copies."""
    values = _values(item, variation)
    detail = item.detail
    price = mappings.price_for(int(variation.price_amount or item.price_amount or 0), mapping,
                               exponent=exponent(variation.currency))
    common: dict[str, Any] = {
        "item_id": item.id, "variation_id": variation.id, "title": mappings.title_for(values, mapping),
        "artist": item.artist, "release_title": values["title"], "description": item.description or "",
        "price_amount": price, "currency": variation.currency, "media_grade": values["media_grade"],
        "sleeve_grade": values["sleeve_grade"], "condition": values["condition"],
        "comments": _comments(item, variation, mapping.get("comments", "copy")),
        "discogs_release_id": detail.discogs_release_id if detail else None, "barcode": item.barcode,
        "label": values["label"], "catalog_number": values["catalog_number"], "format": item.format,
        "year": values["year"], "genres": tuple(sorted(g.name for g in item.genres)),
        "image_url": _image_url(item, base), "link": base + product_path(item),
        "locale": mappings.channel_locale(mapping),
        "extra": {"allow_offers": bool(mapping.get("allow_offers"))},
    }
    return [Offer(key=offer_key(variation.ecs_id, unit), **common)
            for unit in range(1, min(copies, MAX_COPIES_PER_VARIATION) + 1)]


def current_offers(mapping: dict[str, Any], *, variation_ids: Iterable[int] | None = None) -> Iterator[Offer]:
    """Every offer the shop makes now (or those of some variations), in a stable order."""
    base = str(current_app.config["PUBLIC_BASE_URL"]).rstrip("/")
    stmt = (select(ItemVariation).join(Item)
            .where(ItemVariation.is_deleted.is_(False), Item.is_deleted.is_(False), Item.kind == "record",
                   ItemVariation.sold_out.is_(False), ItemVariation.price_amount.is_not(None))
            .options(selectinload(ItemVariation.item).selectinload(Item.detail),
                     selectinload(ItemVariation.item).selectinload(Item.genres))
            .order_by(ItemVariation.id))
    if variation_ids is not None:
        stmt = stmt.where(ItemVariation.id.in_(list(variation_ids)))
    variations = db.session.scalars(stmt).all()
    stock = _stock([v.id for v in variations])
    for variation in variations:
        copies = stock.get(variation.id, 0) if variation.track_inventory else 1
        if copies > 0:
            yield from offers_for_item(variation.item, variation, copies, mapping, base)
