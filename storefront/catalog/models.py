"""Catalog models: ECS mirror rows (``Item``, ``ItemVariation``, ``StockLevel``), lookups
(``Genre``, ``Format``) and staff enrichment (``ItemDetail``) in its own table so a sync never
overwrites staff work."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, String, Text, UniqueConstraint, false, true
from sqlalchemy import text as sa_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storefront.db.timestamps import UTCDateTime, utcnow
from storefront.extensions import db


class Genre(db.Model):
    """A genre: from an ECS category (``ecs_category_id``) or added by staff."""

    __tablename__ = "genres"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    ecs_category_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    ecs_version: Mapped[int | None] = mapped_column(BigInteger)
    is_deleted: Mapped[bool] = mapped_column(default=False)


class Format(db.Model):
    """A physical format lookup (LP, 2xLP, 7", CD, Cassette …) staff can manage."""

    __tablename__ = "formats"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)


class ItemGenre(db.Model):
    """Item ↔ genre, tagged by where it came from so sync and staff never undo each other."""

    __tablename__ = "item_genres"

    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), primary_key=True)
    genre_id: Mapped[int] = mapped_column(ForeignKey("genres.id", ondelete="CASCADE"), primary_key=True)
    source: Mapped[str] = mapped_column(String(8), primary_key=True)  # "ecs" | "staff"

    __table_args__ = (Index("ix_item_genres_genre_id", "genre_id"),)


class Item(db.Model):
    """An ECS item (``ECS_Item``): what the shop sells, as the ECS last told us."""

    __tablename__ = "items"

    id: Mapped[int] = mapped_column(primary_key=True)
    ecs_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    artist: Mapped[str] = mapped_column(String(255), default="")
    title: Mapped[str] = mapped_column(String(255), default="")
    label: Mapped[str] = mapped_column(String(255), default="")
    catalog_number: Mapped[str] = mapped_column(String(64), default="")
    format: Mapped[str] = mapped_column(String(40), default="")
    year: Mapped[int | None]
    barcode: Mapped[str] = mapped_column(String(32), server_default="")
    media_grade: Mapped[str] = mapped_column(String(16), server_default="")
    sleeve_grade: Mapped[str] = mapped_column(String(16), server_default="")
    kind: Mapped[str] = mapped_column(String(16), default="record")  # record | event
    price_amount: Mapped[int | None] = mapped_column(BigInteger)  # lowest variation price
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    stock: Mapped[int] = mapped_column(default=0)  # sum over variations at the shop's location
    is_deleted: Mapped[bool] = mapped_column(default=False)
    ecs_version: Mapped[int] = mapped_column(BigInteger, default=0)
    ecs_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A record's release date (field mapping): until then it sells as a pre-order and ships on it.
    release_date: Mapped[date | None] = mapped_column(Date)
    # A dated event's start (UTC), from the field mapping; None for records and events to book.
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # When the stock last came back from zero (the home page's "back in stock"); None: never.
    restocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # The ECS's images in its order: [{"id", "url", "variation_id"?}] (served resized by /media/ecs/…).
    ecs_images: Mapped[list[dict[str, Any]]] = mapped_column(JSON, server_default=sa_text("'[]'"))
    # Denormalised text the full-text index covers (ECS fields + enrichment); kept by services.
    search_text: Mapped[str] = mapped_column(Text, default="")
    # The ITEM as the ECS sent it (compact JSON): a changed field mapping re-maps from this.
    ecs_object: Mapped[str] = mapped_column(Text, server_default="", deferred=True)

    variations: Mapped[list[ItemVariation]] = relationship(
        back_populates="item", order_by="ItemVariation.ordinal", cascade="all, delete-orphan")
    detail: Mapped[ItemDetail | None] = relationship(back_populates="item", uselist=False)
    genres: Mapped[list[Genre]] = relationship(secondary="item_genres", viewonly=True,
                                               order_by="Genre.name")

    __table_args__ = (
        Index("ix_items_listing", "is_deleted", "kind", "first_seen_at"),
        Index("ix_items_price", "price_amount"),
        Index("ix_items_artist", "artist"),
    )

    @property
    def in_stock(self) -> bool:
        return self.stock > 0


class ItemVariation(db.Model):
    """An ECS item variation: the sellable unit with a price and stock (one per format)."""

    __tablename__ = "item_variations"

    id: Mapped[int] = mapped_column(primary_key=True)
    ecs_id: Mapped[str] = mapped_column(String(64), unique=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255), default="")
    sku: Mapped[str] = mapped_column(String(64), default="")
    ordinal: Mapped[int] = mapped_column(default=0)
    price_amount: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    is_deleted: Mapped[bool] = mapped_column(default=False)
    ecs_version: Mapped[int] = mapped_column(BigInteger, default=0)
    # False when the ECS does not count its stock: always available, never held at checkout.
    track_inventory: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Marked sold out at the shop's location in the ECS (by hand, or by Square when a tracked count
    # reached zero): not sold whatever the count says.
    sold_out: Mapped[bool] = mapped_column(default=False, server_default=false())
    # As one copy (the field mapping reads them from the variation): "new", "used" or "" (not said),
    # and a used copy's grades on the Goldmine scale.
    condition: Mapped[str] = mapped_column(String(8), server_default="")
    media_grade: Mapped[str] = mapped_column(String(16), server_default="")
    sleeve_grade: Mapped[str] = mapped_column(String(16), server_default="")

    item: Mapped[Item] = relationship(back_populates="variations")
    stock_levels: Mapped[list[StockLevel]] = relationship(back_populates="variation",
                                                          cascade="all, delete-orphan")


class StockLevel(db.Model):
    """IN_STOCK count of a variation at an ECS location, with the ECS's ``calculated_at``."""

    __tablename__ = "stock_levels"

    id: Mapped[int] = mapped_column(primary_key=True)
    variation_id: Mapped[int] = mapped_column(ForeignKey("item_variations.id", ondelete="CASCADE"))
    location_id: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(default=0)
    calculated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    variation: Mapped[ItemVariation] = relationship(back_populates="stock_levels")

    __table_args__ = (UniqueConstraint("variation_id", "location_id"),)


class ItemDetail(db.Model):
    """Staff enrichment of an item (``Item_Detail``), never touched by a sync."""

    __tablename__ = "item_details"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), unique=True)
    discogs_release_id: Mapped[int | None]
    artists: Mapped[list[str]] = mapped_column(JSON, default=list)
    label: Mapped[str] = mapped_column(String(255), default="")
    catalog_number: Mapped[str] = mapped_column(String(64), default="")
    year: Mapped[int | None]
    styles: Mapped[list[str]] = mapped_column(JSON, default=list)
    format_details: Mapped[str] = mapped_column(String(255), default="")
    tracklist: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    notes: Mapped[str] = mapped_column(Text, default="")
    images: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # Staff photos in order, as the pages show them (kept by storefront.photos from item_photos):
    # [{"key", "variation_id" (the ECS's), "caption", "ecs_image_id"}].
    photos: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list, server_default=sa_text("'[]'"))
    featured: Mapped[bool] = mapped_column(default=False)
    staff_pick: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(255), default="")

    item: Mapped[Item] = relationship(back_populates="detail")


# The full-text index over ``items.search_text`` is built with the table (FTS5 / GIN, per dialect).
from storefront.catalog.search import attach_search_index  # noqa: E402

attach_search_index(Item.__table__)  # type: ignore[arg-type]
