"""Plain functions that create catalog rows for tests (call them inside an app context).

They keep ``Item.search_text`` as the sync does and bump the catalog revision, like any real
catalog change. Each returns the created row; the caller commits (or uses ``commit=True``).
"""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from storefront.catalog.indexing import compose_search_text
from storefront.catalog.models import Genre, Item, ItemDetail, ItemGenre, ItemVariation
from storefront.catalog.services import bump_catalog_revision
from storefront.db.timestamps import utcnow
from storefront.extensions import db

_ids = itertools.count(1)


def make_genre(name: str, *, slug: str | None = None) -> Genre:
    genre = Genre(name=name, slug=slug or name.lower().replace(" ", "-"))
    db.session.add(genre)
    db.session.flush()
    return genre


def make_item(*, artist: str = "Test Artist", title: str = "Test Title", price: int | None = 2000,
              stock: int = 5, format: str = "LP", genres: list[Genre] | None = None, kind: str = "record",
              label: str = "", catalog_number: str = "", year: int | None = None, deleted: bool = False,
              currency: str = "USD", age_days: float = 0, variations: int = 1, commit: bool = False,
              **fields: Any) -> Item:
    """An ECS item with ``variations`` priced variations and ECS-sourced ``genres``."""
    n = next(_ids)
    name = fields.pop("name", f"{artist} – {title}" if artist else title)
    item = Item(ecs_id=f"TEST-ITEM-{n}", name=name, artist=artist, title=title, label=label,
                catalog_number=catalog_number, format=format, year=year, kind=kind, price_amount=price,
                currency=currency, stock=stock, is_deleted=deleted,
                first_seen_at=utcnow() - timedelta(days=age_days), **fields)
    db.session.add(item)
    db.session.flush()
    for ordinal in range(variations):
        db.session.add(ItemVariation(ecs_id=f"TEST-VAR-{n}-{ordinal}", item_id=item.id, ordinal=ordinal,
                                     name=format if variations == 1 else f"{format} #{ordinal + 1}",
                                     price_amount=price, currency=currency))
    for genre in genres or []:
        db.session.add(ItemGenre(item_id=item.id, genre_id=genre.id, source="ecs"))
    refresh_search_text(item, [g.name for g in genres or []])
    bump_catalog_revision()
    if commit:
        db.session.commit()
    return item


def make_detail(item: Item, *, commit: bool = False, **fields: Any) -> ItemDetail:
    """Staff enrichment for ``item`` (artists, label, styles, tracklist, images …)."""
    detail = ItemDetail(item_id=item.id, **fields)
    db.session.add(detail)
    db.session.flush()
    genre_names = [g.name for g in db.session.get(Item, item.id).genres]  # type: ignore[union-attr]
    refresh_search_text(item, genre_names, detail)
    bump_catalog_revision()
    if commit:
        db.session.commit()
    return detail


def refresh_search_text(item: Item, genre_names: list[str], detail: ItemDetail | None = None) -> None:
    item.search_text = compose_search_text(
        artist=item.artist, title=item.title, name=item.name, label=item.label,
        catalog_number=item.catalog_number, format=item.format, genre_names=genre_names, detail=detail)
    db.session.flush()
