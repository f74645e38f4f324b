"""Catalog use cases: the filtered, faceted, paginated listing and the catalog revision.

Listings are computed with a few SQL statements (ids of the page, total, one GROUP BY per facet)
and the expensive part (ids, total, facets) is kept in a small per-process cache keyed by
``SyncState.catalog_revision``: anything that changes the catalog bumps the revision, so every
process sees a change on its next request. The page's rows are always read fresh.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Select, case, distinct, func, select, update

from storefront.catalog.forms import CatalogQuery
from storefront.catalog.models import Genre, Item, ItemDetail, ItemGenre
from storefront.catalog.search import TextMatch, text_match
from storefront.extensions import db
from storefront.sync.models import SyncState

LOW_STOCK = 3
# Price facet buckets in minor units: [low, high) — high None means "and up".
PRICE_BUCKETS: tuple[tuple[int, int | None], ...] = (
    (0, 1000), (1000, 2000), (2000, 3000), (3000, 5000), (5000, None))


# --- the revision -----------------------------------------------------------------------------
def catalog_revision() -> int:
    """The catalog's change counter (0 before the first sync)."""
    return int(db.session.scalar(select(SyncState.catalog_revision).where(SyncState.id == 1)) or 0)


def bump_catalog_revision() -> None:
    """Mark the catalog changed (stock, prices, enrichment …) so cached listings and ETags renew. No commit."""
    if db.session.scalar(select(SyncState.id).where(SyncState.id == 1)) is None:
        db.session.add(SyncState(id=1, catalog_revision=1))
        db.session.flush()
        return
    db.session.execute(update(SyncState).where(SyncState.id == 1)
                       .values(catalog_revision=SyncState.catalog_revision + 1))


# --- what listings return ---------------------------------------------------------------------
def stock_state(stock: int) -> str:
    """"in_stock", "low_stock" (≤ LOW_STOCK left) or "sold_out"."""
    if stock <= 0:
        return "sold_out"
    return "low_stock" if stock <= LOW_STOCK else "in_stock"


@dataclass(frozen=True, slots=True)
class CatalogCard:
    """One item as a listing shows it (plain values, no ORM object)."""

    id: int
    name: str
    artist: str
    title: str
    format: str
    year: int | None
    kind: str
    price_amount: int | None
    currency: str
    stock: int
    first_seen_at: datetime | None
    image_url: str | None
    staff_pick: bool
    genres: tuple[tuple[str, str], ...]  # (slug, name)

    @property
    def in_stock(self) -> bool:
        return self.stock > 0

    @property
    def stock_state(self) -> str:
        return stock_state(self.stock)

    @property
    def display_title(self) -> str:
        return self.title or self.name


@dataclass(frozen=True, slots=True)
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool


@dataclass(frozen=True, slots=True)
class PriceBucket:
    min_price: int
    max_price: int | None  # inclusive, minor units; None: no upper bound
    count: int
    selected: bool


@dataclass(frozen=True, slots=True)
class Facets:
    """Counts over the whole filtered result set, each facet with the *other* filters applied."""

    genres: tuple[FacetValue, ...]
    formats: tuple[FacetValue, ...]
    in_stock: int
    prices: tuple[PriceBucket, ...]


@dataclass(frozen=True, slots=True)
class CatalogResult:
    query: CatalogQuery
    cards: list[CatalogCard]
    total: int
    facets: Facets
    revision: int


@dataclass(frozen=True, slots=True)
class _Snapshot:
    ids: tuple[int, ...]
    total: int
    facets: Facets


# --- the cache --------------------------------------------------------------------------------
class ListingCache:
    """A small thread-safe LRU of listing snapshots; entries of an older revision are never read."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[Any, ...], _Snapshot] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> _Snapshot | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: tuple[Any, ...], value: _Snapshot) -> None:
        if self.size <= 0:
            return
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


def _cache() -> ListingCache:
    cache = current_app.extensions.get("catalog_listing_cache")
    if cache is None:
        cache = current_app.extensions["catalog_listing_cache"] = ListingCache(
            int(current_app.config.get("CATALOG_CACHE_SIZE", 256)))
    return cache  # type: ignore[no-any-return]


# --- listing ----------------------------------------------------------------------------------
def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _genre_filter(slugs: Iterable[str]) -> ColumnElement[bool]:
    chosen = (select(ItemGenre.item_id).join(Genre, Genre.id == ItemGenre.genre_id)
              .where(Genre.slug.in_(list(slugs)), Genre.is_deleted.is_(False)))
    return Item.id.in_(chosen)


def _conditions(query: CatalogQuery, match: TextMatch | None, *, skip: str = "") -> list[ColumnElement[bool]]:
    """WHERE clauses of ``query``; ``skip`` leaves one facet's own filter out (disjunctive facets)."""
    conditions: list[ColumnElement[bool]] = [Item.is_deleted.is_(False), Item.kind == query.kind]
    if match is not None:
        conditions.append(match.condition)
    if query.genres and skip != "genre":
        conditions.append(_genre_filter(query.genres))
    if query.formats and skip != "format":
        conditions.append(Item.format.in_(query.formats))
    if skip != "price":
        if query.min_price is not None:
            conditions.append(Item.price_amount >= query.min_price)
        if query.max_price is not None:
            conditions.append(Item.price_amount <= query.max_price)
    if query.in_stock and skip != "stock":
        conditions.append(Item.stock > 0)
    return conditions


def _ordered(stmt: Select[Any], query: CatalogQuery, match: TextMatch | None) -> Select[Any]:
    newest = (Item.first_seen_at.desc(), Item.id.desc())
    if query.sort == "relevance" and match is not None:
        return match.by_relevance(stmt, Item.id).order_by(*newest)
    if query.sort == "price_asc":
        return stmt.order_by(Item.price_amount.asc().nulls_last(), Item.id)
    if query.sort == "price_desc":
        return stmt.order_by(Item.price_amount.desc().nulls_last(), Item.id.desc())
    if query.sort == "title":
        title = func.lower(func.coalesce(func.nullif(Item.title, ""), Item.name))
        return stmt.order_by(title, Item.id)
    return stmt.order_by(*newest)


def _bucket_index(price: int, buckets: Sequence[tuple[int, int | None]]) -> int:
    for index, (_low, high) in enumerate(buckets):
        if high is None or price < high:
            return index
    return len(buckets) - 1


def _facets(query: CatalogQuery, match: TextMatch | None) -> Facets:
    session = db.session
    genre_rows = session.execute(
        select(Genre.slug, Genre.name, func.count(distinct(ItemGenre.item_id)))
        .select_from(ItemGenre).join(Item, Item.id == ItemGenre.item_id).join(Genre, Genre.id == ItemGenre.genre_id)
        .where(Genre.is_deleted.is_(False), *_conditions(query, match, skip="genre"))
        .group_by(Genre.id, Genre.slug, Genre.name)).all()
    counted = {slug for slug, _name, _count in genre_rows}
    missing = [slug for slug in query.genres if slug not in counted]
    names = dict(session.execute(select(Genre.slug, Genre.name).where(Genre.slug.in_(missing))).all()) if missing \
        else {}
    genres = [FacetValue(slug, name, count, slug in query.genres) for slug, name, count in genre_rows]
    genres += [FacetValue(slug, names.get(slug, slug), 0, True) for slug in missing]
    genres.sort(key=lambda f: (-f.count, f.label.lower()))

    format_rows = session.execute(
        select(Item.format, func.count()).where(Item.format != "", *_conditions(query, match, skip="format"))
        .group_by(Item.format)).all()
    formats = [FacetValue(name, name, count, name in query.formats) for name, count in format_rows]
    formats += [FacetValue(name, name, 0, True) for name in query.formats if name not in {r[0] for r in format_rows}]
    formats.sort(key=lambda f: (-f.count, f.label.lower()))

    in_stock = int(session.scalar(select(func.count()).select_from(Item)
                                  .where(Item.stock > 0, *_conditions(query, match, skip="stock"))) or 0)

    bucket = case(*[(Item.price_amount < high, index) for index, (_low, high) in enumerate(PRICE_BUCKETS) if high],
                  else_=len(PRICE_BUCKETS) - 1)
    price_rows = dict(session.execute(
        select(bucket, func.count()).where(Item.price_amount.is_not(None), *_conditions(query, match, skip="price"))
        .group_by(bucket)).all())
    prices = tuple(
        PriceBucket(low, None if high is None else high - 1, int(price_rows[index]),
                    query.min_price == (low or None) and query.max_price == (None if high is None else high - 1))
        for index, (low, high) in enumerate(PRICE_BUCKETS) if price_rows.get(index))
    return Facets(tuple(genres), tuple(formats), in_stock, prices)


def _snapshot(query: CatalogQuery) -> _Snapshot:
    match = text_match(Item, query.q, _dialect()) if query.q else None
    conditions = _conditions(query, match)
    total = int(db.session.scalar(select(func.count()).select_from(Item).where(*conditions)) or 0)
    ids: tuple[int, ...] = ()
    if total and query.offset < total:
        page = _ordered(select(Item.id).where(*conditions), query, match).limit(query.limit).offset(query.offset)
        ids = tuple(db.session.scalars(page))
    return _Snapshot(ids, total, _facets(query, match))


def load_cards(ids: Sequence[int]) -> list[CatalogCard]:
    """Listing rows for ``ids`` in that order (deleted items left out), with image and genres."""
    if not ids:
        return []
    # Deleted rows are dropped here rather than in SQL: with only ``id IN (…)`` in the WHERE clause
    # SQLite looks the rows up by primary key instead of walking ix_items_listing (is_deleted, …).
    rows = [row for row in db.session.execute(
        select(Item.id, Item.name, Item.artist, Item.title, Item.format, Item.year, Item.kind, Item.price_amount,
               Item.currency, Item.stock, Item.first_seen_at, Item.is_deleted, ItemDetail.images,
               ItemDetail.staff_pick)
        .outerjoin(ItemDetail, ItemDetail.item_id == Item.id)
        .where(Item.id.in_(list(ids)))) if not row.is_deleted]
    genres: dict[int, list[tuple[str, str]]] = {}
    for item_id, slug, name in db.session.execute(
            select(ItemGenre.item_id, Genre.slug, Genre.name).join(Genre, Genre.id == ItemGenre.genre_id)
            .where(ItemGenre.item_id.in_(list(ids)), Genre.is_deleted.is_(False)).order_by(Genre.name)):
        genres.setdefault(item_id, []).append((slug, name))
    by_id = {
        row.id: CatalogCard(row.id, row.name, row.artist, row.title, row.format, row.year, row.kind,
                            row.price_amount, row.currency, row.stock, row.first_seen_at,
                            primary_image_url(row.images, thumbnail=True), bool(row.staff_pick),
                            tuple(dict.fromkeys(genres.get(row.id, ()))))
        for row in rows
    }
    return [by_id[i] for i in ids if i in by_id]


def primary_image_url(images: Any, *, thumbnail: bool = False) -> str | None:
    """The https URL of the primary (else first) enrichment image, or None."""
    usable = [i for i in images or [] if isinstance(i, dict) and str(i.get("uri") or "").startswith("https://")]
    if not usable:
        return None
    image = next((i for i in usable if i.get("type") == "primary"), usable[0])
    small = str(image.get("uri150") or "")
    return small if thumbnail and small.startswith("https://") else str(image["uri"])


def search_catalog(query: CatalogQuery, *, revision: int | None = None) -> CatalogResult:
    """The catalog page for ``query``: its cards, the total and the facets of the whole result set."""
    revision = catalog_revision() if revision is None else revision
    key = (revision, query.cache_key())
    cache = _cache()
    snapshot = cache.get(key)
    if snapshot is None:
        snapshot = _snapshot(query)
        cache.put(key, snapshot)
    return CatalogResult(query, load_cards(snapshot.ids), snapshot.total, snapshot.facets, revision)

