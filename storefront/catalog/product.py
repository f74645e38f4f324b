"""The product page use case: an item's ECS data merged with staff enrichment, plus related items."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import distinct, exists, func, select
from sqlalchemy.orm import selectinload

from storefront.catalog.media import Cover, covers
from storefront.catalog.models import Genre, Item, ItemDetail, ItemGenre, ItemVariation, StockLevel
from storefront.catalog.services import CatalogCard, VariationPrices, load_cards, stock_state
from storefront.core.errors import NotFound
from storefront.extensions import db

PRODUCT_WIDTH = 640  # the product page's main cover


@dataclass(frozen=True, slots=True)
class VariationView:
    id: int
    name: str
    sku: str
    price_amount: int | None
    currency: str
    stock: int | None  # None: no count for it at the shop location yet
    # "in_stock" / "low_stock" / "sold_out" from its own count; without one, the item's (never "low")
    stock_state: str = "in_stock"
    condition: str = ""  # "new", "used" or "" (not said)
    media_grade: str = ""
    sleeve_grade: str = ""

    @property
    def grading(self) -> str:
        """"Media VG+ · Sleeve VG" for a graded copy; empty otherwise."""
        parts = [f"Media {self.media_grade}" if self.media_grade else "",
                 f"Sleeve {self.sleeve_grade}" if self.sleeve_grade else ""]
        return " · ".join(p for p in parts if p)

    @property
    def in_stock(self) -> bool:
        return bool(self.stock and self.stock > 0)

    @property
    def available(self) -> bool:
        """Whether it can be added to a cart: its own count, else the item's."""
        return self.stock_state != "sold_out"


@dataclass(frozen=True, slots=True)
class ProductView(VariationPrices):
    """An item's ECS data (price, stock, variations) merged with staff enrichment."""

    item: Item
    detail: ItemDetail | None
    artists: tuple[str, ...]
    label: str
    catalog_number: str
    year: int | None
    format: str
    genres: tuple[tuple[str, str], ...]
    styles: tuple[str, ...]
    tracklist: tuple[dict[str, Any], ...]
    images: tuple[dict[str, Any], ...]
    variations: tuple[VariationView, ...]
    related: list[CatalogCard]
    covers: tuple[Cover, ...] = ()  # what the page shows: the ECS's images, else the enrichment's

    def copy_covers(self, variation_id: int) -> list[Cover]:
        """The pictures of one copy (a variation's own sleeve or staff photos), shown beside it."""
        ecs_id = next((v.ecs_id for v in self.item.variations if v.id == variation_id), None)
        return [c for c in self.covers[1:] if ecs_id and c.variation_id == ecs_id]

    def cover_label(self, cover: Cover) -> str:
        """How an image past the first is described: the format its variation sells, else a number."""
        names = {v.ecs_id: v.name for v in self.item.variations}
        name = names.get(cover.variation_id) if cover.variation_id else None
        return f"{name} sleeve" if name else f"image {self.covers.index(cover) + 1}"

    @property
    def stock_state(self) -> str:
        return stock_state(self.item.stock)

    @property
    def format_line(self) -> str:
        """The "Format" fact: the enrichment's details, else every variation's format, else the item's."""
        if self.item.kind == "record" and len(self.variations) > 1 and not (self.detail and self.detail.format_details):
            # A variation named from its options ("LP, Used") lists its format once ("LP").
            return ", ".join(dict.fromkeys(v.name.split(",")[0].strip() for v in self.variations if v.name)) \
                or self.format
        return self.format

    def base_price(self) -> int | None:
        return self.item.price_amount

    @property
    def display_title(self) -> str:
        return self.item.title or self.item.name

    @property
    def artist_line(self) -> str:
        return ", ".join(self.artists)


def _shop_location() -> str | None:
    """The shop's ECS location when already known (config or looked up earlier); never calls the ECS."""
    return current_app.config.get("ECS_LOCATION_ID") or current_app.extensions.get("ecs_location_id")


def _variation_stock(variation_ids: list[int]) -> dict[int, int]:
    if not variation_ids:
        return {}
    stmt = (select(StockLevel.variation_id, func.sum(StockLevel.quantity))
            .where(StockLevel.variation_id.in_(variation_ids)).group_by(StockLevel.variation_id))
    location = _shop_location()
    if location:
        stmt = stmt.where(StockLevel.location_id == location)
    return {vid: int(qty or 0) for vid, qty in db.session.execute(stmt).all()}


RELATED_POOL = 60  # newest items sharing a genre that are ranked for "related"


def related_cards(item: Item, artists: Iterable[str], genre_ids: Iterable[int], limit: int = 6) -> list[CatalogCard]:
    """Same artist first, then most genres in common (in stock, newest first); never itself or deleted.

    The genre part ranks a pool of the newest items sharing any genre rather than grouping every
    item of those genres: the pool is read along the listing index and stops early, so a product
    page costs the same on a catalog of 1,000 or 100,000 records.
    """
    live = (Item.is_deleted.is_(False), Item.id != item.id, Item.kind == item.kind)
    names = {a.strip() for a in artists if a and a.strip()}
    ids: list[int] = []
    if names:
        # Only the artist condition goes to the database, so it is answered from ix_items_artist
        # (an artist has a handful of records); the rest is filtered and ordered here.
        rows = db.session.execute(
            select(Item.id, Item.stock, Item.first_seen_at, Item.is_deleted, Item.kind)
            .where(Item.artist.in_(names))).all()
        same_artist = [r for r in rows if not r.is_deleted and r.kind == item.kind and r.id != item.id]
        same_artist.sort(key=lambda r: (r.stock > 0, r.first_seen_at, r.id), reverse=True)
        ids = [r.id for r in same_artist[:limit]]
    genre_ids = list(genre_ids)
    if len(ids) < limit and genre_ids:
        sharing = exists().where(ItemGenre.item_id == Item.id, ItemGenre.genre_id.in_(genre_ids))
        pool = db.session.execute(
            select(Item.id, Item.stock, Item.first_seen_at)
            .where(*live, sharing, Item.id.not_in(ids or [0]))
            .order_by(Item.first_seen_at.desc()).limit(RELATED_POOL)).all()  # index order: stops early
        shared: dict[int, int] = {}
        if pool:
            for item_id, count in db.session.execute(
                    select(ItemGenre.item_id, func.count(distinct(ItemGenre.genre_id)))
                    .where(ItemGenre.item_id.in_([row.id for row in pool]), ItemGenre.genre_id.in_(genre_ids))
                    .group_by(ItemGenre.item_id)):
                shared[item_id] = int(count)
        # pool is newest first; a stable sort keeps that order among equals
        ranked = sorted(pool, key=lambda row: (-shared.get(row.id, 0), row.stock <= 0))
        ids += [row.id for row in ranked[:limit - len(ids)]]
    return load_cards(ids)


def variation_views(live: list[ItemVariation], counts: dict[int, int], item_stock: int) -> tuple[VariationView, ...]:
    """Each variation with its own stock. A lone variation without a count of its own has the item's;
    one of several has no count then, and is available as long as the item is."""
    views = []
    for v in live:
        count = 0 if v.sold_out else counts.get(v.id, item_stock if len(live) == 1 else None)
        state = stock_state(count) if count is not None else ("in_stock" if item_stock > 0 else "sold_out")
        views.append(VariationView(v.id, v.name, v.sku, v.price_amount, v.currency, count, state,
                                   v.condition, v.media_grade, v.sleeve_grade))
    return tuple(views)


def get_product(item_id: int) -> ProductView:
    """The product page's data; a missing or deleted item is NotFound."""
    item = db.session.scalar(select(Item).options(selectinload(Item.variations), selectinload(Item.detail))
                             .where(Item.id == item_id))
    if item is None or item.is_deleted:
        raise NotFound("That item is not in the catalog.")
    detail = item.detail
    genre_rows = db.session.execute(
        select(Genre.id, Genre.slug, Genre.name).join(ItemGenre, ItemGenre.genre_id == Genre.id)
        .where(ItemGenre.item_id == item.id, Genre.is_deleted.is_(False)).distinct().order_by(Genre.name)).all()
    live = [v for v in item.variations if not v.is_deleted]
    stock = _variation_stock([v.id for v in live])
    variations = variation_views(live, stock, item.stock)
    artists = tuple(a for a in (detail.artists if detail and detail.artists else [item.artist]) if a)
    images = tuple(i for i in (detail.images if detail else None) or []
                   if isinstance(i, dict) and str(i.get("uri") or "").startswith("https://"))
    return ProductView(
        item=item, detail=detail, artists=artists,
        label=(detail.label if detail and detail.label else item.label),
        catalog_number=(detail.catalog_number if detail and detail.catalog_number else item.catalog_number),
        year=(detail.year if detail and detail.year else item.year),
        format=(detail.format_details if detail and detail.format_details else item.format),
        genres=tuple((slug, name) for _id, slug, name in genre_rows),
        styles=tuple(str(s) for s in (detail.styles if detail else None) or []),
        tracklist=tuple(t for t in (detail.tracklist if detail else None) or [] if isinstance(t, dict)),
        images=images, variations=variations,
        covers=tuple(covers(item.ecs_images, detail.images if detail else None, width=PRODUCT_WIDTH,
                            photos=detail.photos if detail else None)),
        related=related_cards(item, {item.artist, *artists}, [gid for gid, _s, _n in genre_rows]),
    )
