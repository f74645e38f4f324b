"""Catalog use cases: the filtered, faceted, paginated listing.

Listings are computed with a few SQL statements (ids of the page, total, one GROUP BY per facet)
and the expensive part (ids, total, facets) is kept in a small per-process cache keyed by the
catalog revision (:mod:`storefront.catalog.revision`): anything that changes the catalog bumps it,
so every process sees a change on its next request. The page's rows are always read fresh.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from flask import current_app
from sqlalchemy import select

from storefront.catalog import revision as catalog_revision
from storefront.catalog.listing_index import Listing, catalog_index
from storefront.catalog.media import Cover, covers
from storefront.catalog.models import Genre, Item, ItemDetail, ItemGenre, ItemVariation
from storefront.catalog.query import CatalogQuery
from storefront.extensions import db
from storefront.shops.context import shop_extensions

LOW_STOCK = 3
CARD_WIDTH = 320  # a card's cover: its src (the srcset offers every allowed width)
# Price facet buckets in minor units: [low, high) — high None means "and up".
PRICE_BUCKETS: tuple[tuple[int, int | None], ...] = (
    (0, 1000), (1000, 2000), (2000, 3000), (3000, 5000), (5000, None))


# --- what listings return ---------------------------------------------------------------------
def stock_state(stock: int) -> str:
    """"in_stock", "low_stock" (≤ LOW_STOCK left) or "sold_out"."""
    if stock <= 0:
        return "sold_out"
    return "low_stock" if stock <= LOW_STOCK else "in_stock"


@dataclass(frozen=True, slots=True)
class CardVariation:
    """A live variation as a card names it: its format (the variation's name) and its own price."""

    id: int
    name: str
    price_amount: int | None
    currency: str


class VariationPrices:
    """An item's prices as a page shows them: one price, or "from" the lowest when its variations
    (formats) differ in price. Used by listing cards and product pages alike."""

    __slots__ = ()
    variations: Any

    def base_price(self) -> int | None:
        """The item's own price, shown when no variation has one."""
        raise NotImplementedError

    @property
    def prices(self) -> tuple[int, ...]:
        """The distinct prices of the variations, lowest first."""
        return tuple(sorted({v.price_amount for v in self.variations if v.price_amount is not None}))

    @property
    def price_varies(self) -> bool:
        """True when the variations differ in price: the page then shows "from" the lowest one."""
        return len(self.prices) > 1

    @property
    def display_price(self) -> int | None:
        """The price shown: the only price, or the lowest of several ("from")."""
        prices = self.prices
        return prices[0] if prices else self.base_price()


@dataclass(frozen=True, slots=True)
class CatalogCard(VariationPrices):
    """One item as a listing shows it (plain values, no ORM object).

    ``price_amount`` is the item's lowest variation price (what sorting and the price filter use);
    a card shows it next to a format only when that is the format's own price: with variations at
    different prices it reads "from" that price next to every format (``formats``/``price_varies``).
    """

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
    variations: tuple[CardVariation, ...] = ()  # live ones, in the ECS order
    cover: Cover | None = None  # the ECS's first image (resized by the shop), else the enrichment's
    starts_at: datetime | None = None  # a dated event's start
    release_date: date | None = None  # a record not out yet sells as a pre-order

    @property
    def preorder(self) -> bool:
        return self.release_date is not None and self.release_date > date.today()

    @property
    def in_stock(self) -> bool:
        return self.stock > 0

    @property
    def formats(self) -> tuple[str, ...]:
        """What the card names: every variation's format when there are several, else the item's format."""
        if len(self.variations) > 1:  # a name made from options ("LP, Used") names its format once
            return tuple(dict.fromkeys(v.name.split(",")[0].strip() for v in self.variations if v.name))
        return (self.format,) if self.format else ()

    def base_price(self) -> int | None:
        return self.price_amount

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
    conditions: dict[str, int] = field(default_factory=dict)  # "new"/"used" -> records with such a copy


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


def process_cache(name: str) -> ListingCache:
    """One of this process's LRU caches (``CATALOG_CACHE_SIZE`` entries), kept on the app by name."""
    caches = shop_extensions(current_app)
    cache = caches.get(name)
    if cache is None:
        cache = caches[name] = ListingCache(int(current_app.config.get("CATALOG_CACHE_SIZE", 256)))
    return cache  # type: ignore[no-any-return]


def _cache() -> ListingCache:
    return process_cache("catalog_listing_cache")


# --- listing ----------------------------------------------------------------------------------
def _dialect() -> str:
    return db.session.get_bind().dialect.name


def _facets(query: CatalogQuery, listing: Listing) -> Facets:
    """Facet values from the listing's counts; a selected value with no results still shows (0)."""
    wanted = set(listing.genre_counts) | set(query.genres)
    names = dict(db.session.execute(select(Genre.slug, Genre.name).where(Genre.slug.in_(wanted))).all()) \
        if wanted else {}
    genres = [FacetValue(slug, names.get(slug, slug), count, slug in query.genres)
              for slug, count in listing.genre_counts.items()]
    genres += [FacetValue(slug, names.get(slug, slug), 0, True) for slug in query.genres
               if slug not in listing.genre_counts]
    genres.sort(key=lambda f: (-f.count, f.label.lower()))

    formats = [FacetValue(name, name, count, name in query.formats) for name, count in listing.format_counts.items()]
    formats += [FacetValue(name, name, 0, True) for name in query.formats if name not in listing.format_counts]
    formats.sort(key=lambda f: (-f.count, f.label.lower()))

    prices = tuple(
        PriceBucket(low, None if high is None else high - 1, listing.price_counts[index],
                    query.min_price == (low or None) and query.max_price == (None if high is None else high - 1))
        for index, (low, high) in enumerate(PRICE_BUCKETS) if listing.price_counts.get(index))
    return Facets(tuple(genres), tuple(formats), listing.in_stock, prices, dict(listing.condition_counts or {}))


def _snapshot(query: CatalogQuery, revision: int) -> _Snapshot:
    listing = catalog_index(revision, PRICE_BUCKETS).listing(query, _dialect())
    return _Snapshot(listing.ids, listing.total, _facets(query, listing))


def load_cards(ids: Sequence[int]) -> list[CatalogCard]:
    """Listing rows for ``ids`` in that order (deleted items left out), with image and genres."""
    if not ids:
        return []
    # Deleted rows are dropped here rather than in SQL: with only ``id IN (…)`` in the WHERE clause
    # SQLite looks the rows up by primary key instead of walking ix_items_listing (is_deleted, …).
    rows = [row for row in db.session.execute(
        select(Item.id, Item.name, Item.artist, Item.title, Item.format, Item.year, Item.kind, Item.price_amount,
               Item.currency, Item.stock, Item.first_seen_at, Item.is_deleted, Item.ecs_images, ItemDetail.images,
               ItemDetail.staff_pick, Item.starts_at, Item.release_date, ItemDetail.photos)
        .outerjoin(ItemDetail, ItemDetail.item_id == Item.id)
        .where(Item.id.in_(list(ids)))) if not row.is_deleted]
    genres: dict[int, list[tuple[str, str]]] = {}
    for item_id, slug, name in db.session.execute(
            select(ItemGenre.item_id, Genre.slug, Genre.name).join(Genre, Genre.id == ItemGenre.genre_id)
            .where(ItemGenre.item_id.in_(list(ids)), Genre.is_deleted.is_(False)).order_by(Genre.name)):
        genres.setdefault(item_id, []).append((slug, name))
    variations = card_variations(ids)
    by_id = {}
    for row in rows:
        found = covers(row.ecs_images, row.images, width=CARD_WIDTH, thumbnail=True, photos=row.photos)
        cover = found[0] if found else None
        by_id[row.id] = CatalogCard(
            row.id, row.name, row.artist, row.title, row.format, row.year, row.kind, row.price_amount, row.currency,
            row.stock, row.first_seen_at, cover.src if cover else None, bool(row.staff_pick),
            tuple(dict.fromkeys(genres.get(row.id, ()))), tuple(variations.get(row.id, ())), cover, row.starts_at,
            row.release_date)
    return [by_id[i] for i in ids if i in by_id]


def card_variations(ids: Sequence[int]) -> dict[int, list[CardVariation]]:
    """item id → its live variations (format and price), in the ECS order."""
    found: dict[int, list[CardVariation]] = {}
    for row in db.session.execute(
            select(ItemVariation.id, ItemVariation.item_id, ItemVariation.name, ItemVariation.price_amount,
                   ItemVariation.currency, ItemVariation.is_deleted)
            .where(ItemVariation.item_id.in_(list(ids)))
            .order_by(ItemVariation.item_id, ItemVariation.ordinal, ItemVariation.id)):
        if not row.is_deleted:
            found.setdefault(row.item_id, []).append(CardVariation(row.id, row.name, row.price_amount, row.currency))
    return found


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
    revision = catalog_revision.current() if revision is None else revision
    key = (revision, query.cache_key())
    cache = _cache()
    snapshot = cache.get(key)
    if snapshot is None:
        snapshot = _snapshot(query, revision)
        cache.put(key, snapshot)
    return CatalogResult(query, load_cards(snapshot.ids), snapshot.total, snapshot.facets, revision)



def item_ids_matching(query: CatalogQuery, candidates: Iterable[int]) -> set[int]:
    """Which of ``candidates`` the catalog search ``query`` finds (every page; order and page ignored)."""
    wanted = set(candidates)
    if not wanted:
        return set()
    everything = replace(query, page=1, limit=10**9, sort="newest")
    listing = catalog_index(catalog_revision.current(), PRICE_BUCKETS).listing(everything, _dialect())
    return wanted.intersection(listing.ids)
