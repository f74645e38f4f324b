"""Catalog rows for tests: items, genres, staff enrichment; and the catalog revision.

They keep ``Item.search_text`` as the sync does and bump the catalog revision, like any real
catalog change. Two ways to call them::

    with app.app_context():                       # in the current app context and session:
        jazz = make_genre("Jazz")                 # flushed, the caller commits (or passes commit=True)
        item = make_item(artist="Miles Davis", title="Kind of Blue", genres=[jazz])
        make_detail(item, styles=["Modal"])
        db.session.commit()

    house = make_genre("House", app=app, ecs=True)          # app=: in its own app context, committed,
    item_id = make_item(app=app, title="Stockholm", genres=[house]).id   # returned detached (ids loaded)
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from storefront.catalog import revision as catalog_revision
from storefront.catalog.indexing import compose_search_text
from storefront.catalog.models import Genre, Item, ItemDetail, ItemGenre, ItemVariation
from storefront.db.timestamps import utcnow
from storefront.extensions import db
from storefront.sync.models import SyncState

_ids = itertools.count(1)


def _committed_in(app: Flask, make: Any, **kwargs: Any) -> Any:
    """Run ``make(**kwargs)`` in an app context of its own, commit, and hand the row back detached."""
    with app.app_context():
        row = make(**kwargs)
        db.session.commit()
        db.session.refresh(row)
        db.session.expunge(row)
        return row


def make_genre(name: str, *, app: Flask | None = None, slug: str | None = None, ecs: bool = False,
               commit: bool = False) -> Genre:
    """A genre (mirrored from an ECS category when ``ecs``, else a shop-made one)."""
    if app is not None:
        return _committed_in(app, make_genre, name=name, slug=slug, ecs=ecs)
    genre = Genre(name=name, slug=slug or name.lower().replace(" ", "-"),
                  ecs_category_id=f"CAT-{name}" if ecs else None)
    db.session.add(genre)
    db.session.flush()
    if commit:
        db.session.commit()
    return genre


def make_item(*, app: Flask | None = None, artist: str = "Test Artist", title: str = "Test Title",
              name: str | None = None, price: int | None = 2000, stock: int = 5, format: str = "LP",
              genres: Iterable[Genre | int] = (), kind: str = "record", label: str = "", catalog_number: str = "",
              year: int | None = None, deleted: bool = False, currency: str = "USD", age_days: float = 0,
              variations: int = 1, commit: bool = False, **fields: Any) -> Item:
    """An ECS item with ``variations`` priced variations and ECS-sourced ``genres`` (rows or ids).

    ``name`` defaults to "artist – title" (just the title without an artist).
    """
    if app is not None:
        return _committed_in(app, make_item, artist=artist, title=title, name=name, price=price, stock=stock,
                             format=format, genres=list(genres), kind=kind, label=label,
                             catalog_number=catalog_number, year=year, deleted=deleted, currency=currency,
                             age_days=age_days, variations=variations, **fields)
    n = next(_ids)
    genre_rows = [g if isinstance(g, Genre) else db.session.get(Genre, g) for g in genres]
    item = Item(ecs_id=f"TEST-ITEM-{n}", name=name or (f"{artist} – {title}" if artist else title), artist=artist,
                title=title, label=label, catalog_number=catalog_number, format=format, year=year, kind=kind,
                price_amount=price, currency=currency, stock=stock, is_deleted=deleted,
                first_seen_at=utcnow() - timedelta(days=age_days), **fields)
    db.session.add(item)
    db.session.flush()
    for ordinal in range(variations):
        db.session.add(ItemVariation(ecs_id=f"TEST-VAR-{n}-{ordinal}", item_id=item.id, ordinal=ordinal,
                                     name=format if variations == 1 else f"{format} #{ordinal + 1}",
                                     price_amount=price, currency=currency))
    for genre in genre_rows:
        db.session.add(ItemGenre(item_id=item.id, genre_id=genre.id, source="ecs"))
    refresh_search_text(item, [g.name for g in genre_rows])
    catalog_revision.bump()
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
    catalog_revision.bump()
    if commit:
        db.session.commit()
    return detail


def refresh_search_text(item: Item, genre_names: list[str], detail: ItemDetail | None = None) -> None:
    item.search_text = compose_search_text(
        artist=item.artist, title=item.title, name=item.name, label=item.label,
        catalog_number=item.catalog_number, format=item.format, barcode=item.barcode or "", genre_names=genre_names,
        detail=detail)
    db.session.flush()


def revision(app: Flask) -> int:
    """The catalog revision (bumped by every catalog change)."""
    with app.app_context():
        return int(db.session.scalar(select(SyncState.catalog_revision).where(SyncState.id == 1)) or 0)
