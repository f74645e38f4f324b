"""The listing index: filters, facet counts and sort orders of the catalog computed in memory.

A listing needs the total, one page of ids in order and four facets — each facet counted over
the result set with every filter *but its own*. In SQL that is six statements over the whole
result set, and on 100,000 records each of them walks tens of thousands of rows. Here the
catalog's filterable columns live in NumPy arrays (a few MB for 100,000 records), built once per
catalog revision and process; a listing is then a handful of vectorised mask and count
operations. Text search still runs in the database (FTS5 / the GIN index) and only hands back
the matching ids (and scores, when sorting by relevance).

The index is rebuilt lazily when the catalog revision changes (a sync, a stock change, an
enrichment or lookup edit), so it is never staler than the listing cache keyed the same way.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
from flask import current_app
from sqlalchemy import func, select

from storefront.catalog.models import Genre, Item, ItemGenre, ItemVariation
from storefront.catalog.query import GRADES, CatalogQuery
from storefront.catalog.search import matching_ids, search_terms
from storefront.extensions import db
from storefront.shops.context import shop_extensions

NO_PRICE = np.iinfo(np.int64).max  # sorts after every real price (NULLS LAST)
GRADE_RANK = {grade: len(GRADES) - rank for rank, grade in enumerate(GRADES)}  # M 8 … P 1


@dataclass(frozen=True)
class Listing:
    """One query's answer: the page of ids and the counts the facets need."""

    ids: tuple[int, ...]
    total: int
    genre_counts: dict[str, int]   # slug -> count (non-zero only)
    format_counts: dict[str, int]  # format -> count (non-zero only, "" left out)
    in_stock: int
    price_counts: dict[int, int]   # PRICE_BUCKETS index -> count (non-zero only)
    condition_counts: dict[str, int] = None  # type: ignore[assignment]  # "new"/"used" -> count


class KindIndex:
    """The records (or events) of one catalog revision, as columns.

    ``rows`` come in the "newest" order (first_seen_at desc, id desc); ``title_order`` lists the
    same ids in title order as the database sorts them, so both orders match the SQL ones.
    """

    def __init__(self, rows: list[Any], title_order: list[int], genre_pairs: np.ndarray,
                 genres: list[tuple[int, str]], buckets: tuple[tuple[int, int | None], ...],
                 copies: dict[int, tuple[bool, bool, int]] | None = None) -> None:
        n = len(rows)
        newest_ids = np.fromiter((r.id for r in rows), dtype=np.int64, count=n)
        order = np.argsort(newest_ids, kind="stable")  # positions are in id order
        self.ids = newest_ids[order]
        self.newest_rank = np.empty(n, dtype=np.int64)
        self.newest_rank[order] = np.arange(n, dtype=np.int64)
        self.title_rank = np.empty(n, dtype=np.int64)
        titled = np.asarray(title_order, dtype=np.int64)
        self.title_rank[np.searchsorted(self.ids, titled)] = np.arange(titled.size, dtype=np.int64)
        column = lambda values, dtype: np.fromiter(values, dtype=dtype, count=n)[order]  # noqa: E731
        self.stock = column((r.stock for r in rows), np.int64)
        self.price = column((NO_PRICE if r.price_amount is None else r.price_amount for r in rows), np.int64)
        self.has_price = self.price != NO_PRICE
        self.formats = sorted({r.format for r in rows})
        codes = {name: code for code, name in enumerate(self.formats)}
        self.format_code = column((codes[r.format] for r in rows), np.int32)
        highs = np.array([high for _low, high in buckets if high is not None], dtype=np.int64)
        self.price_bucket = np.searchsorted(highs, self.price, side="right")
        # lower-cased artist / title / name: an exact match ranks first when sorting by relevance
        self.exact_texts = [np.array([(getattr(r, f) or "").lower() for r in rows], dtype=object)[order]
                            for f in ("artist", "title", "name")]
        # Copies: has a new one, has a used one, and the best used copy's grade (GRADE_RANK, 0: none).
        copies = copies or {}
        self.has_new = np.array([copies.get(int(i), (False, False, 0))[0] for i in self.ids], dtype=bool)
        self.has_used = np.array([copies.get(int(i), (False, False, 0))[1] for i in self.ids], dtype=bool)
        self.best_grade = np.array([copies.get(int(i), (False, False, 0))[2] for i in self.ids], dtype=np.int8)
        self.genres = genres
        self.slug_row = {slug: g for g, (_gid, slug) in enumerate(genres)}
        self.genre_members = np.zeros((len(genres), n), dtype=bool)
        if genre_pairs.size and n:
            row_of = np.full(int(max(gid for gid, _s in genres) if genres else 0) + 1, -1, dtype=np.int64)
            for g, (gid, _slug) in enumerate(genres):
                row_of[gid] = g
            pairs = genre_pairs[genre_pairs[:, 1] < row_of.size]
            genre_rows = row_of[pairs[:, 1]]
            positions = np.searchsorted(self.ids, pairs[:, 0])
            found = (genre_rows >= 0) & (positions < n)
            found[found] = self.ids[positions[found]] == pairs[found, 0]
            self.genre_members[genre_rows[found], positions[found]] = True

    def listing(self, query: CatalogQuery, dialect: str) -> Listing:
        n = len(self.ids)
        base = np.ones(n, dtype=bool)
        scores: np.ndarray | None = None
        if query.q:
            found, found_scores = matching_ids(query.q, dialect, with_scores=query.sort == "relevance")
            base, scores = self._text_mask(found, found_scores)
        masks = self._filter_masks(query)

        def without(name: str) -> np.ndarray:
            mask = base.copy()
            for other, m in masks.items():
                if other != name:
                    mask &= m
            return mask

        everything = without("")
        skip_genre, skip_format, skip_stock, skip_price, skip_copies = (
            without(k) for k in ("genre", "format", "stock", "price", "copies"))
        genre_counts = self.genre_members[:, skip_genre].sum(axis=1) if len(self.genres) else np.zeros(0)
        format_counts = np.bincount(self.format_code[skip_format], minlength=len(self.formats))
        price_counts = np.bincount(self.price_bucket[skip_price & self.has_price])
        positions = np.flatnonzero(everything)
        page = self._page(positions, query, scores)
        return Listing(
            ids=tuple(int(i) for i in self.ids[page]),
            total=int(positions.size),
            genre_counts={slug: int(genre_counts[g]) for slug, g in self.slug_row.items() if genre_counts[g]},
            format_counts={name: int(c) for name, c in zip(self.formats, format_counts, strict=False) if c and name},
            in_stock=int((self.stock[skip_stock] > 0).sum()),
            price_counts={int(b): int(c) for b, c in enumerate(price_counts) if c},
            condition_counts={"new": int((self.has_new & skip_copies).sum()),
                              "used": int((self.has_used & skip_copies).sum())},
        )

    def _text_mask(self, found: np.ndarray, found_scores: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
        positions = np.searchsorted(self.ids, found)
        inside = positions < len(self.ids)
        inside[inside] = self.ids[positions[inside]] == found[inside]
        mask = np.zeros(len(self.ids), dtype=bool)
        mask[positions[inside]] = True
        if found_scores is None:
            return mask, None
        scores = np.zeros(len(self.ids), dtype=np.float64)
        scores[positions[inside]] = found_scores[inside]
        return mask, scores

    def _filter_masks(self, query: CatalogQuery) -> dict[str, np.ndarray]:
        masks: dict[str, np.ndarray] = {}
        if query.genres:
            rows = [self.slug_row[s] for s in query.genres if s in self.slug_row]
            masks["genre"] = (self.genre_members[rows].any(axis=0) if rows
                              else np.zeros(len(self.ids), dtype=bool))
        if query.formats:
            codes = [c for c, name in enumerate(self.formats) if name in query.formats]
            masks["format"] = np.isin(self.format_code, codes)
        if query.min_price is not None or query.max_price is not None:
            price = self.has_price.copy()
            if query.min_price is not None:
                price &= self.price >= query.min_price
            if query.max_price is not None:
                price &= self.price <= query.max_price
            masks["price"] = price
        if query.in_stock:
            masks["stock"] = self.stock > 0
        if query.condition or query.min_grade:
            copies = np.ones(len(self.ids), dtype=bool)
            if query.condition == "new":
                copies &= self.has_new
            elif query.condition == "used":
                copies &= self.has_used
            if query.min_grade:
                copies &= self.best_grade >= GRADE_RANK[query.min_grade]
            masks["copies"] = copies
        return masks

    def _page(self, positions: np.ndarray, query: CatalogQuery, scores: np.ndarray | None) -> np.ndarray:
        if query.offset >= positions.size:
            return positions[:0]
        newest = self.newest_rank[positions]
        if query.sort == "relevance" and scores is not None:
            key = query_key(query.q)
            not_exact = np.ones(positions.size, dtype=bool)  # exact artist/title/name matches first
            for texts in self.exact_texts:
                not_exact &= texts[positions] != key
            order = np.lexsort((newest, scores[positions], not_exact))
        elif query.sort == "price_asc":
            order = np.lexsort((self.ids[positions], self.price[positions]))
        elif query.sort == "price_desc":
            # price descending with missing prices last, then id descending
            price = self.price[positions]
            order = np.lexsort((-self.ids[positions], -price, price == NO_PRICE))
        elif query.sort == "title":
            order = np.argsort(self.title_rank[positions], kind="stable")
        else:
            order = np.argsort(newest, kind="stable")
        return positions[order[query.offset:query.offset + query.limit]]


def query_key(q: str) -> str:
    """The normalised search string an exact artist/title/name match is compared with."""
    return " ".join(q.split()).lower()


class CatalogIndex:
    """Every kind's :class:`KindIndex` for one catalog revision."""

    def __init__(self, revision: int, buckets: tuple[tuple[int, int | None], ...]) -> None:
        self.revision = revision
        live = Item.is_deleted.is_(False)
        conn = db.session.connection()  # Core rows: the ORM's per-row bookkeeping costs a second at 100k
        rows = conn.execute(
            select(Item.id, Item.kind, Item.artist, Item.title, Item.name, Item.format, Item.price_amount,
                   Item.stock).where(live).order_by(Item.first_seen_at.desc(), Item.id.desc())).all()
        title = func.lower(func.coalesce(func.nullif(Item.title, ""), Item.name))
        titles = conn.execute(select(Item.id, Item.kind).where(live).order_by(title, Item.id)).all()
        genres = [(gid, slug) for gid, slug in conn.execute(
            select(Genre.id, Genre.slug).where(Genre.is_deleted.is_(False)).order_by(Genre.id))]
        pair_rows = conn.execute(select(ItemGenre.item_id, ItemGenre.genre_id).distinct()).all()
        pairs = np.fromiter(chain.from_iterable(pair_rows), dtype=np.int64,
                            count=2 * len(pair_rows)).reshape(-1, 2)
        by_kind: dict[str, list[Any]] = {}
        for row in rows:
            by_kind.setdefault(row.kind, []).append(row)
        title_order: dict[str, list[int]] = {}
        for item_id, kind in titles:
            title_order.setdefault(kind, []).append(item_id)
        copies: dict[int, tuple[bool, bool, int]] = {}
        for item_id, condition, grade in conn.execute(
                select(ItemVariation.item_id, ItemVariation.condition, ItemVariation.media_grade)
                .where(ItemVariation.is_deleted.is_(False), ItemVariation.condition != "")):
            new, used, best = copies.get(item_id, (False, False, 0))
            if condition == "new":
                new = True
            elif condition == "used":
                used, best = True, max(best, GRADE_RANK.get(grade.upper(), 0))
            copies[item_id] = (new, used, best)
        self.kinds = {kind: KindIndex(kind_rows, title_order.get(kind, []), pairs, genres, buckets, copies)
                      for kind, kind_rows in by_kind.items()}
        self.empty = KindIndex([], [], pairs[:0], genres, buckets)

    def listing(self, query: CatalogQuery, dialect: str) -> Listing:
        if query.q and not search_terms(query.q):  # nothing searchable: match nothing, not everything
            return Listing((), 0, {}, {}, 0, {}, {"new": 0, "used": 0})
        return self.kinds.get(query.kind, self.empty).listing(query, dialect)


_build_lock = threading.Lock()


def catalog_index(revision: int, buckets: tuple[tuple[int, int | None], ...]) -> CatalogIndex:
    """The index of ``revision`` for this process, built on first use (one builder at a time)."""
    current = shop_extensions(current_app).get("catalog_listing_index")
    if current is not None and current.revision == revision:
        return current  # type: ignore[no-any-return]
    with _build_lock:
        current = shop_extensions(current_app).get("catalog_listing_index")
        if current is None or current.revision != revision:
            current = CatalogIndex(revision, buckets)
            shop_extensions(current_app)["catalog_listing_index"] = current
    return current  # type: ignore[no-any-return]
