"""GET /api/v1/shop/products and /products/{product_id}: the catalog as the Shop API shapes it.

A product is a catalog item; its variations are the copies/formats a cart line names. Inventory is
what the shop counts at its location (``total_inventory``) and what is left once unpaid checkouts'
holds are taken off (``available_inventory``, what a cart can still take).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import Response, current_app, jsonify, request
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from storefront.cart.services import available_units
from storefront.catalog.models import Item, ItemDetail, ItemVariation
from storefront.catalog.search import matching_ids
from storefront.catalog.services import load_cards
from storefront.catalog.stock import UNTRACKED_STOCK
from storefront.core.errors import FieldError, NotFound, ValidationError
from storefront.core.money import exponent
from storefront.ecs.provider import shop_location_id
from storefront.extensions import db
from storefront.shopapi.blueprint import bp, search_limit

MAX_LIMIT = 1000
MAX_SKIP = 1_000_000
MAX_SEARCH = 200


def decimal_amount(amount: int | None, currency: str) -> str | None:
    """Minor units → the decimal string the Shop API uses for money ("24.99")."""
    if amount is None:
        return None
    return str(Decimal(amount).scaleb(-exponent(currency)))


def whole_arg(name: str, default: int, low: int, high: int, errors: list[FieldError]) -> int:
    raw = request.args.get(name)
    if raw in (None, ""):
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9 or not low <= int(raw) <= high:
        errors.append(FieldError(name, f"{name} must be a whole number from {low} to {high}"))
        return default
    return int(raw)


def _flag(name: str, errors: list[FieldError]) -> bool | None:
    raw = (request.args.get(name) or "").strip().lower()
    if raw == "":
        return None
    if raw not in ("true", "false", "1", "0"):
        errors.append(FieldError(name, f"{name} must be true or false"))
        return None
    return raw in ("true", "1")


def _listed() -> Any:
    """Items a shopper can buy here: not deleted, priced, and not the event space itself (booked by inquiry)."""
    return select(Item.id).where(Item.is_deleted.is_(False), Item.price_amount.is_not(None),
                                 or_(Item.kind != "event", Item.starts_at.is_not(None)))


def _product_ids(search: str, featured: bool | None, skip: int, limit: int) -> tuple[list[int], int]:
    query = _listed()
    if featured is not None:
        picked = select(ItemDetail.item_id).where(ItemDetail.staff_pick != "")
        query = query.where(Item.id.in_(picked) if featured else Item.id.not_in(picked))
    if search:
        found, _scores = matching_ids(search, db.session.get_bind().dialect.name)
        if not len(found):
            return [], 0
        query = query.where(Item.id.in_([int(i) for i in found]))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    ids = db.session.scalars(query.order_by(Item.first_seen_at.desc(), Item.id.desc()).offset(skip).limit(limit))
    return list(ids), int(total)


def _inventory(variations: list[ItemVariation]) -> dict[int, int]:
    return available_units([v.id for v in variations], shop_location_id())


def _availability(item: Item, available: int) -> str:
    if item.release_date is not None and item.release_date > date.today():
        return "preorder"
    if available <= 0:
        return "out_of_stock"
    return "low_stock" if available <= 2 else "in_stock"


def product_json(item: Item, units: dict[int, int], image_url: str | None, featured: bool) -> dict[str, Any]:
    """The Shop API's product: prices as decimal strings, inventory and the quantity a cart may take."""
    live = [v for v in item.variations if not v.is_deleted]
    available = sum(min(units.get(v.id, 0), UNTRACKED_STOCK) for v in live)
    cap = int(current_app.config["CART_MAX_PER_ITEM"])
    return {
        "id": item.id, "name": item.name, "artist": item.artist, "title": item.title or item.name,
        "format": item.format, "year": item.year, "kind": item.kind, "description": item.description,
        "image_url": image_url, "is_featured": featured,
        "price": decimal_amount(item.price_amount, item.currency), "sale_price": None, "currency": item.currency,
        "availability": _availability(item, available), "is_available": available > 0,
        "min_quantity": 1, "max_quantity": max(0, min(cap, available)),
        "total_inventory": max(0, int(item.stock)), "available_inventory": available,
        "variants": [{"id": v.id, "name": v.name, "sku": v.sku, "price": decimal_amount(v.price_amount, v.currency),
                      "condition": v.condition or None, "media_grade": v.media_grade or None,
                      "sleeve_grade": v.sleeve_grade or None, "available_inventory": units.get(v.id, 0)}
                     for v in live],
    }


def products_json(ids: list[int]) -> list[dict[str, Any]]:
    """Products for ``ids`` in that order (one query for items, one for stock, one for covers)."""
    if not ids:
        return []
    items = {i.id: i for i in db.session.scalars(
        select(Item).options(selectinload(Item.variations), selectinload(Item.detail)).where(Item.id.in_(ids)))}
    units = _inventory([v for item in items.values() for v in item.variations if not v.is_deleted])
    covers = {card.id: (card.cover.src if card.cover else card.image_url) for card in load_cards(ids)}
    return [product_json(items[i], units, covers.get(i), bool(items[i].detail and items[i].detail.staff_pick))
            for i in ids if i in items]


@bp.get("/products")
@search_limit
def shop_products() -> Response:
    """Products, newest first: ``skip``, ``limit`` (≤ 1000), ``search`` (full text), ``is_featured``."""
    errors: list[FieldError] = []
    skip = whole_arg("skip", 0, 0, MAX_SKIP, errors)
    limit = whole_arg("limit", 100, 1, MAX_LIMIT, errors)
    featured = _flag("is_featured", errors)
    search = (request.args.get("search") or "").strip()
    if len(search) > MAX_SEARCH:
        errors.append(FieldError("search", f"search can be up to {MAX_SEARCH} characters"))
    if errors:
        raise ValidationError("Check the query parameters.", details=errors)
    ids, total = _product_ids(search, featured, skip, limit)
    return jsonify({"products": products_json(ids), "total": total, "skip": skip, "limit": limit})


def find_product(product_id: int) -> None:
    """NotFound unless ``product_id`` is a product a shopper can buy here."""
    if db.session.scalar(_listed().where(Item.id == product_id)) is None:
        raise NotFound("No product with that id.", code="product_not_found")


@bp.get("/products/<int:product_id>")
def shop_product(product_id: int) -> Response:
    find_product(product_id)
    return jsonify(products_json([product_id])[0])
